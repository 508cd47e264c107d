"""Case studies: sanitised accessible HTML, branded PDF, editable Word, text for search."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import docx
import pikepdf
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from PIL import Image

from assets_hub.branding.brand import Brand
from assets_hub.documents.casestudy import (
    CaseImage,
    CaseStudy,
    OutcomeFigure,
    casestudy_text,
)
from assets_hub.documents.casestudy_docx import casestudy_docx
from assets_hub.documents.casestudy_html import casestudy_html, sanitise_html
from assets_hub.documents.casestudy_pdf import casestudy_pdf
from assets_hub.documents.stamp import page_texts

HOSTILE = """# Story <script>alert('h1')</script>

Hello <script>alert(1)</script> and <img src=x onerror="alert(2)"> friends.

<div onclick="steal()"><iframe src="https://evil.example"></iframe></div>

[click me](javascript:alert(3)) [caps](JAVASCRIPT:alert(4)) [entity](jav&#x61;script:alert(5))
[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox) <javascript:alert(6)>
[ref link][evil] ![pixel](https://tracker.example/p.gif "x") [ok](https://example.org/ok)

[evil]: javascript:alert(7)

<style>body{display:none}</style>
<a href="https://evil.example" onmouseover="x()">raw anchor</a>

Template {{7*7}} and {% raw %} stay literal.
"""


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def study() -> CaseStudy:
    return CaseStudy(
        title='Reading Well "><img src=x onerror=alert(1)> <font size=80>',
        library_featured="Little Snoring Community Library",
        summary="How a small library doubled its members.",
        body_markdown=HOSTILE + "\n## Results\n\n- **Members** doubled\n- Loans up\n",
        pull_quote="It changed my life {{7*7}}",
        pull_quote_by="A reader",
        figures=(OutcomeFigure("new members", "1,240"), OutcomeFigure("more loans", "35%")),
        images=(CaseImage(photo(), "Children at rhyme time", "Rhyme time in March"),),
        credit="National campaign team",
        licence="CC BY 4.0",
    )


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = Collector()
    collector.feed(html)
    return collector.tags


def assert_safe(html: str) -> None:
    for tag, attrs in parsed(html):
        assert tag not in {"script", "style", "iframe", "object", "embed", "svg", "form"}
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs
        for value in attrs.values():
            assert "script:" not in (value or "").lower().replace(" ", "")
        if tag == "a":
            href = attrs.get("href")
            if href is not None:
                assert href.split(":", 1)[0] in {"https", "http", "mailto", "tel"}, href
            assert attrs.get("rel") == "noopener noreferrer"
    # Scripts typed into the text are shown escaped, never as elements.
    assert "<script" not in html.lower()


def test_html_sanitises_hostile_markdown(study: CaseStudy) -> None:
    html = casestudy_html(study, ["/assets/7/rendition?size=m&v=2"])
    assert_safe(html)
    tags = parsed(html)
    links = [a.get("href") for t, a in tags if t == "a"]
    # Image syntax is off: the "pixel" is an ordinary link, never fetched by a browser.
    assert links == ["https://tracker.example/p.gif", "https://example.org/ok"]
    # Raw HTML shows as text, never as markup; templates are not evaluated (INJ-05).
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html and "49" not in html
    # Images only from the chosen assets: the body's tracking pixel is not an <img>.
    assert [a["src"] for t, a in tags if t == "img"] == ["/assets/7/rendition?size=m&v=2"]
    assert ("img", {"src": "/assets/7/rendition?size=m&v=2", "alt": "Children at rhyme time",
                    "loading": "lazy", "decoding": "async"}) in tags  # fmt: skip


def test_html_structure_is_accessible(study: CaseStudy) -> None:
    html = casestudy_html(study, ["/img/1"])
    tags = [t for t, _ in parsed(html)]
    assert tags[0] == "article" and 'lang="en-GB"' in html
    assert tags.count("h1") == 1
    assert "h2" in tags and "h1" not in tags[3:]  # body headings moved below the title
    assert "<blockquote>" in html and "<figcaption>A reader</figcaption>" in html
    assert "<dt>new members</dt><dd>1,240</dd>" in html
    assert casestudy_html(study).count("<img") == 0  # no URL, no image


@pytest.mark.parametrize(
    "dirty",
    [
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        "<svg onload=alert(1)><script>alert(2)</script></svg>",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<form action="https://evil.example"><input name=x></form>',
        '"><img src=x onerror=alert(1)>',
    ],
)
def test_sanitiser_allow_list(dirty: str) -> None:
    assert_safe(sanitise_html(dirty))


def test_pdf_is_branded_and_titled(study: CaseStudy, brand: Brand) -> None:
    data = casestudy_pdf(study, brand)
    text = "\n".join(page_texts(data))
    assert "Little Snoring Community Library" in text
    assert "01234 567890" in text  # the downloading library's contact details
    assert "<font size=80>" in text  # markup in the title drawn, not obeyed
    assert "1,240" in text and "It changed my life" in text
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert str(pdf.docinfo.Title).startswith("Reading Well")
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        with pdf.open_outline() as outline:
            assert outline.root[0].title.startswith("Reading Well")
        uris = [
            str(a.A.URI)
            for page in pdf.pages
            for a in page.obj.get("/Annots", [])
            if "/A" in a and "/URI" in a.A
        ]
        assert uris == ["https://tracker.example/p.gif", "https://example.org/ok"]
    assert casestudy_pdf(study, brand) == data  # deterministic: cacheable


def test_docx_opens_with_library_name(study: CaseStudy, brand: Brand) -> None:
    data = casestudy_docx(study, brand)
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert "Little Snoring Community Library" in section.header.paragraphs[0].text
    assert "01234 567890" in section.footer.paragraphs[0].text
    assert document.core_properties.title.startswith("Reading Well")
    assert document.core_properties.language == "en-GB"
    styles = {p.style.name for p in document.paragraphs if p.style is not None}
    assert {"Title", "Heading 1", "Heading 2", "List Bullet", "Intense Quote"} <= styles
    body = "\n".join(p.text for p in document.paragraphs)
    assert "<script>alert(1)</script>" in body  # typed text stays text
    links = [
        rel.target_ref
        for rel in document.part.rels.values()
        if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK
    ]
    assert links == ["https://tracker.example/p.gif", "https://example.org/ok"]
    table = document.tables[-1]
    assert [c.text for c in table.rows[1].cells] == ["new members", "1,240"]
    alts = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert alts == ["Children at rhyme time"]


def test_text_for_search(study: CaseStudy) -> None:
    text = casestudy_text(study)
    assert "Reading Well" in text and "Members doubled" in text
    assert "1,240 new members" in text and "Rhyme time in March" in text
    assert "**" not in text and "## " not in text


@pytest.mark.parametrize(
    "change",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "nul\x00"},
        {"body_markdown": "x" * 100_001},
        {"language": "en GB"},
        {"summary": 42},
    ],
)
def test_invalid_case_study_refused(change: dict[str, object]) -> None:
    values: dict[str, object] = {
        "title": "t",
        "library_featured": "l",
        "summary": "s",
        "body_markdown": "b",
    }
    values.update(change)
    with pytest.raises(ValueError):
        CaseStudy(**values)  # type: ignore[arg-type]


def test_unreadable_image_refused(brand: Brand) -> None:
    study = CaseStudy("t", "l", "s", "b", images=(CaseImage(b"not an image", "alt"),))
    with pytest.raises(ValueError, match="image"):
        casestudy_pdf(study, brand)
    with pytest.raises(ValueError, match="image"):
        casestudy_docx(study, brand)
