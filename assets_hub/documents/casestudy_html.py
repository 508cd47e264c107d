"""A case study as an accessible HTML fragment for the asset page.

Structure: an ``<article lang>`` with the title as its heading, the library and summary, the
body (Markdown headings shifted one level below the title, so the outline stays valid), the
pull quote as ``<figure><blockquote>…<figcaption>``, outcome figures as a description list,
images as ``<figure>`` with alt text and caption, then credit and licence.

Two layers keep it safe (INJ-01, INJ-05): every field is HTML-escaped where it is placed and
the Markdown parser has raw HTML off; then the whole fragment goes through nh3 (Ammonia) with
an allow-list of tags and attributes, ``http``/``https``/``mailto``/``tel`` links only, and
``rel="noopener noreferrer"`` on every link. Nothing user-typed is ever a template.

Image ``src`` values come from the caller (``image_urls``, same order as ``study.images``).
They should be stable app URLs that redirect to short-lived storage URLs, never presigned
URLs themselves: this HTML may be cached (DL-07).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape

import nh3
from markdown_it.token import Token

from assets_hub.documents.casestudy import CaseStudy, markdown_parser

_BODY_TAGS = {
    "p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote", "hr",
    "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_FRAME_TAGS = {"article", "header", "footer", "section", "figure", "figcaption", "img",
               "dl", "dt", "dd", "div", "h1", "span"}  # fmt: skip
_ATTRIBUTES = {
    "*": {"class", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "loading", "decoding"},
    "ol": {"start"},
}


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_BODY_TAGS | _FRAME_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitise_html(html: str) -> str:
    """``html`` reduced to the case-study allow-list (also usable on any rendered Markdown)."""
    return _cleaner().clean(html)


def render_markdown(markdown: str, *, heading_offset: int = 1) -> str:
    """Sanitised HTML for ``markdown``; headings moved down ``heading_offset`` levels (≤ h6)."""
    md = markdown_parser()
    tokens = md.parse(markdown)
    _shift_headings(tokens, heading_offset)
    return sanitise_html(md.renderer.render(tokens, md.options, {}))


def _shift_headings(tokens: list[Token], offset: int) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + offset)
            token.tag = f"h{level}"


def casestudy_html(
    study: CaseStudy,
    image_urls: Sequence[str] = (),
    *,
    title_level: int = 1,
) -> str:
    """The case study as a sanitised, accessible HTML fragment.

    ``image_urls[i]`` is the ``src`` for ``study.images[i]``; images without a URL are left
    out. ``title_level`` is the title's heading level (1 when the fragment is the page).
    """
    if not 1 <= title_level <= 5:
        raise ValueError("title_level must be 1 to 5")
    h = f"h{title_level}"
    sub = f"h{title_level + 1}"
    parts = [
        f'<article class="case-study" lang="{escape(study.language)}">',
        "<header>",
        f"<{h}>{escape(study.title)}</{h}>",
    ]
    if study.library_featured:
        parts.append(f'<p class="case-study-library">{escape(study.library_featured)}</p>')
    if study.summary:
        parts.append(f'<p class="case-study-summary">{_lines(study.summary)}</p>')
    parts.append("</header>")
    body = render_markdown(study.body_markdown, heading_offset=title_level)
    parts.append(f'<div class="case-study-body">{body}</div>')
    if study.pull_quote:
        parts.append('<figure class="case-study-quote">')
        parts.append(f"<blockquote><p>{_lines(study.pull_quote)}</p></blockquote>")
        if study.pull_quote_by:
            parts.append(f"<figcaption>{escape(study.pull_quote_by)}</figcaption>")
        parts.append("</figure>")
    if study.figures:
        parts.append(f'<section class="case-study-outcomes"><{sub}>Outcomes</{sub}><dl>')
        for figure in study.figures:
            # Number first, as people read "1,240 new members": the <dt> names the figure.
            parts.append(
                f"<div><dt>{escape(figure.label)}</dt><dd>{escape(figure.value)}</dd></div>"
            )
        parts.append("</dl></section>")
    for image, url in zip(study.images, image_urls, strict=False):
        parts.append('<figure class="case-study-image">')
        parts.append(
            f'<img src="{escape(url)}" alt="{escape(image.alt)}" loading="lazy" decoding="async">'
        )
        if image.caption:
            parts.append(f"<figcaption>{escape(image.caption)}</figcaption>")
        parts.append("</figure>")
    footer = []
    if study.credit:
        footer.append(f"<p>Credit: {escape(study.credit)}</p>")
    if study.licence:
        footer.append(f"<p>Licence: {escape(study.licence)}</p>")
    if footer:
        parts.append('<footer class="case-study-credits">' + "".join(footer) + "</footer>")
    parts.append("</article>")
    return sanitise_html("\n".join(parts))


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.split("\n"))
