"""Case studies as validated data, their Markdown parsed once, and their text for search.

Markdown is parsed by markdown-it-py (CommonMark, plus tables and strikethrough) with raw HTML
**off** (typed tags show as text) and images **off** (``![x](url)`` shows as text): pictures
come only from the assets chosen for the case study, so no renderer ever fetches a URL from
the body (no tracking pixels in pages, no server-side requests from the PDF/DOCX renderers).
The HTML renderer additionally passes its output through an allow-list sanitiser (nh3);
the PDF and Word renderers walk the token stream and write text as data (BR-04, INJ-05).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from assets_hub.branding.text import clean_text

MAX_TITLE = 200
MAX_SHORT = 200  # library featured, credit, licence, figure labels, image alt
MAX_SUMMARY = 2_000
MAX_QUOTE = 1_000
MAX_BODY = 100_000
MAX_FIGURES = 12
MAX_IMAGES = 12
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Everything below U+0020 except tab and newline, DEL, C1 controls, and line/paragraph
# separators: invalid in XML (Word) or invisible and confusing.
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
SAFE_LINK_SCHEMES = ("http", "https", "mailto", "tel")


@dataclass(frozen=True)
class OutcomeFigure:
    """One headline result: ``value`` as displayed ("1,240", "35%"), ``label`` what it counts."""

    label: str
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", _short(self.label, "figure label", required=True))
        object.__setattr__(self, "value", _short(str(self.value), "figure value", 40, True))


@dataclass(frozen=True)
class CaseImage:
    """An image chosen from the asset library: encoded bytes, alt text, optional caption."""

    data: bytes
    alt: str
    caption: str = ""

    def __post_init__(self) -> None:
        if not self.data or len(self.data) > MAX_IMAGE_BYTES:
            raise ValueError(f"a case study image must be 1 byte to {MAX_IMAGE_BYTES} bytes")
        object.__setattr__(self, "alt", _short(self.alt, "image alt text"))
        object.__setattr__(self, "caption", _short(self.caption, "image caption", MAX_SUMMARY))


@dataclass(frozen=True)
class CaseStudy:
    """The structured content of one case study (validated and normalised on construction)."""

    title: str
    library_featured: str
    summary: str
    body_markdown: str
    pull_quote: str = ""
    pull_quote_by: str = ""
    figures: tuple[OutcomeFigure, ...] = ()
    images: tuple[CaseImage, ...] = ()
    credit: str = ""
    licence: str = ""
    language: str = "en-GB"
    _tokens: tuple[Token, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "title", _short(self.title, "title", MAX_TITLE, True))
        set_(self, "library_featured", _short(self.library_featured, "library featured"))
        set_(
            self, "summary", clean_text(_str(self.summary), max_length=MAX_SUMMARY, label="summary")
        )
        set_(self, "body_markdown", clean_markdown(self.body_markdown))
        set_(
            self,
            "pull_quote",
            clean_text(_str(self.pull_quote), max_length=MAX_QUOTE, label="pull quote"),
        )
        set_(self, "pull_quote_by", _short(self.pull_quote_by, "pull quote attribution"))
        set_(self, "credit", _short(self.credit, "credit"))
        set_(self, "licence", _short(self.licence, "licence"))
        if len(self.figures) > MAX_FIGURES or len(self.images) > MAX_IMAGES:
            raise ValueError(f"at most {MAX_FIGURES} figures and {MAX_IMAGES} images")
        set_(self, "figures", tuple(self.figures))
        set_(self, "images", tuple(self.images))
        if not all(isinstance(f, OutcomeFigure) for f in self.figures) or not all(
            isinstance(i, CaseImage) for i in self.images
        ):
            raise ValueError("figures must be OutcomeFigure and images CaseImage values")
        if not isinstance(self.language, str) or not _LANGUAGE.fullmatch(self.language):
            raise ValueError("language must be a language tag such as en-GB or cy")
        set_(self, "_tokens", tuple(markdown_parser().parse(self.body_markdown)))

    @property
    def tokens(self) -> tuple[Token, ...]:
        """The body's markdown-it block tokens (parsed once)."""
        return self._tokens


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("case study text fields must be text")
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")  # INJ-07
    return value


def _short(value: object, label: str, limit: int = MAX_SHORT, required: bool = False) -> str:
    text = clean_text(_str(value), max_length=limit, label=label).replace("\n", " ")
    if required and not text:
        raise ValueError(f"{label} is required")
    return text


def clean_markdown(value: object) -> str:
    """Body Markdown: NFC, controls removed, length checked; whitespace kept (it is syntax)."""
    text = _str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _BODY_CONTROLS.sub("", unicodedata.normalize("NFC", text))
    if len(text) > MAX_BODY:
        raise ValueError(f"body is {len(text)} characters long; the maximum is {MAX_BODY}")
    return text


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML and images disabled."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable(["image", "html_inline", "html_block"])
    return md


def safe_href(href: str) -> str | None:
    """``href`` if it is an absolute web, e-mail or phone link; None otherwise.

    Relative and protocol-relative links are dropped too: the body is shown on other sites'
    copies (PDF, Word) where they could only be broken or misleading.
    """
    scheme, sep, rest = href.partition(":")
    if not sep or scheme.lower() not in SAFE_LINK_SCHEMES or any(c <= " " for c in href):
        return None
    if scheme.lower() in ("http", "https") and not rest.startswith("//"):
        return None
    return href


def inline_text(token: Token) -> str:
    """The plain text of an inline token (markup dropped, breaks as spaces)."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def casestudy_text(study: CaseStudy) -> str:
    """Everything a searcher could look for, as plain text, in reading order."""
    parts = [study.title, study.library_featured, study.summary]
    for token in study.tokens:
        if token.type == "inline":
            parts.append(inline_text(token))
        elif token.type in ("code_block", "fence"):
            parts.append(token.content)
    if study.pull_quote:
        parts.append(study.pull_quote)
        parts.append(study.pull_quote_by)
    parts.extend(f"{f.value} {f.label}" for f in study.figures)
    for image in study.images:
        parts.extend((image.alt, image.caption))
    parts.extend((study.credit, study.licence))
    return "\n".join(p.strip() for p in parts if p and p.strip())
