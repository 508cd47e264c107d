"""A case study as a branded A4 PDF for the downloading library (reportlab platypus).

Every page ends with the library's footer stamp (logo, name, contact lines, QR code: the same
drawing as fact-sheet stamps). Headings use the brand's primary colour when it reaches 4.5:1
on white, else black; the pull quote has a primary-coloured rule, never coloured text that
could be unreadable.

Accessibility, as far as reportlab allows: the title and language are set in the document
(``/Lang``, ``/Title``, viewers show the title rather than the file name), headings are
bookmarks (a navigable outline), text is real text in an embedded Unicode font in reading
order, and images are followed by their captions. reportlab cannot write a structure tree,
so the PDF is not *tagged*; the accessible version of record is the HTML page.

Text is always escaped before it reaches reportlab's paragraph mini-language, so a title
containing ``<font>`` or ``<a href>`` is shown, not obeyed (BR-04, INJ-05).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from markdown_it.token import Token
from reportlab.lib.colors import HexColor  # type: ignore[import-untyped,unused-ignore]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped,unused-ignore]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped,unused-ignore]
from reportlab.lib.units import mm  # type: ignore[import-untyped,unused-ignore]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped,unused-ignore]
from reportlab.platypus import (  # type: ignore[import-untyped,unused-ignore]
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import WHITE, readable_text_colour
from assets_hub.documents.casestudy import CaseStudy, safe_href
from assets_hub.documents.stampdraw import EDGE_CLEAR_PT, draw_stamp, plan_stamp
from assets_hub.documents.textfit import encoded_picture, load_picture, register_font

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
FOOTER_H = 26 * mm
MAX_IMAGE_PX = 1600  # ~200 dpi across the text column: sharp in print, small in bytes


class _Doc(SimpleDocTemplate):  # type: ignore[misc]
    """Adds headings to the outline (bookmarks), never skipping a level."""

    def __init__(self, *args: Any, page_end: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_level = -1
        self._bookmarks = 0
        self._page_end = page_end

    def afterPage(self) -> None:
        # Page furniture drawn after the content, so text extraction (search, screen readers
        # of untagged PDFs) meets the article first and the library's footer last.
        if self._page_end is not None:
            self._page_end(self.canv, self)

    def afterFlowable(self, flowable: Flowable) -> None:
        level = getattr(flowable, "outline_level", None)
        if level is None:
            return
        level = min(level, self._last_level + 1)  # reportlab refuses jumps (h1 → h3)
        self._last_level = level
        self._bookmarks += 1
        key = f"h{self._bookmarks}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=False)


def _styles(brand: Brand) -> dict[str, ParagraphStyle]:
    regular = register_font(brand.font)
    bold = register_font(brand.font, bold=True)
    # The bundled families have no italic face: <i> falls back to the regular one.
    pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=regular,
                                  boldItalic=bold)  # fmt: skip
    accent = readable_text_colour(WHITE, brand.primary)
    ink = HexColor("#1a1a1a")
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=15, textColor=ink,
                          spaceAfter=6)  # fmt: skip
    styles = {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=24, leading=29,
                                textColor=HexColor(accent), spaceAfter=4),
        "library": ParagraphStyle("library", parent=body, fontName=bold, fontSize=12,
                                  leading=16),
        "summary": ParagraphStyle("summary", parent=body, fontSize=12.5, leading=18,
                                  spaceAfter=10),
        "quote": ParagraphStyle("quote", parent=body, fontName=bold, fontSize=14, leading=20),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11,
                                textColor=HexColor("#444444")),
        "figure": ParagraphStyle("figure", parent=body, fontName=bold, fontSize=20,
                                 leading=24, textColor=HexColor(accent)),
        "code": ParagraphStyle("code", parent=body, fontSize=9, leading=12, leftIndent=12,
                               backColor=HexColor("#f2f2f2"), borderPadding=4),
    }  # fmt: skip
    for level, size in ((2, 17), (3, 14), (4, 12), (5, 11), (6, 10.5)):
        styles[f"h{level}"] = ParagraphStyle(
            f"h{level}", parent=body, fontName=bold, fontSize=size, leading=size * 1.3,
            textColor=HexColor(accent), spaceBefore=8, spaceAfter=4, keepWithNext=1,
        )  # fmt: skip
    return styles


def _para(markup: str, style: ParagraphStyle, outline_level: int | None = None) -> Paragraph:
    para = Paragraph(markup, style)
    para.outline_level = outline_level
    return para


def _text(value: str) -> str:
    """Plain text as paragraph markup: escaped, newlines as line breaks."""
    return "<br/>".join(escape(line) for line in value.split("\n"))


def inline_markup(token: Token, link_colour: str) -> str:
    """reportlab markup for an inline token; only http(s)/mailto/tel links become links."""
    out: list[str] = []
    open_links: list[bool] = []
    for child in token.children or ():
        kind = child.type
        if kind == "text":
            out.append(escape(child.content))
        elif kind == "code_inline":
            out.append(escape(child.content))
        elif kind in ("softbreak",):
            out.append(" ")
        elif kind == "hardbreak":
            out.append("<br/>")
        elif kind in ("strong_open", "strong_close"):
            out.append("<b>" if kind.endswith("open") else "</b>")
        elif kind in ("em_open", "em_close", "s_open", "s_close"):
            out.append("<i>" if kind.endswith("open") else "</i>")
        elif kind == "link_open":
            href = safe_href(str(child.attrs.get("href", "")))
            open_links.append(href is not None)
            if href is not None:
                out.append(f'<a href="{escape(href, {chr(34): "&quot;"})}" '
                           f'color="{link_colour}"><u>')  # fmt: skip
        elif kind == "link_close" and open_links and open_links.pop():
            out.append("</u></a>")
    return "".join(out)


def markdown_flowables(
    study: CaseStudy, styles: dict[str, ParagraphStyle], accent: str
) -> list[Flowable]:
    """Flowables for the body's block tokens (headings one level below the title)."""
    flow: list[Flowable] = []
    heading: int | None = None
    lists: list[list[int]] = []  # per open list: [next number or 0 for bullets]
    quote_depth = 0
    row: list[Paragraph] = []
    rows: list[list[Paragraph]] = []
    in_cell = False
    for token in study.tokens:
        kind = token.type
        if kind == "heading_open":
            heading = min(6, int(token.tag[1]) + 1)
        elif kind == "heading_close":
            heading = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append([int(token.attrs.get("start", 1)) if kind.startswith("ordered") else 0])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "hr":
            flow.append(HRFlowable(width="100%", color=HexColor("#999999"), spaceBefore=4,
                                   spaceAfter=8))  # fmt: skip
        elif kind in ("code_block", "fence"):
            flow.append(_para(_text(token.content.rstrip("\n")), styles["code"]))
        elif kind in ("th_open", "td_open", "th_close", "td_close"):
            in_cell = kind.endswith("open")
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            rows.append(row)
        elif kind == "table_close":
            flow.append(_table(rows, accent))
            rows = []
        elif kind == "inline":
            markup = inline_markup(token, accent)
            if in_cell:
                row.append(Paragraph(markup, styles["body"]))
            elif heading is not None:
                flow.append(_para(markup, styles[f"h{heading}"], outline_level=heading - 1))
            else:
                style = _indented(styles["body"], len(lists), quote_depth)
                flow.append(_para(_list_prefix(lists) + markup, style))
    return flow


def _list_prefix(lists: list[list[int]]) -> str:
    if not lists:
        return ""
    counter = lists[-1]
    if counter[0] == 0:
        return "•\u00a0"
    number = counter[0]
    counter[0] += 1
    return f"{number}.\u00a0"


def _indented(style: ParagraphStyle, lists: int, quotes: int) -> ParagraphStyle:
    if not lists and not quotes:
        return style
    return ParagraphStyle(f"body-{lists}-{quotes}", parent=style,
                          leftIndent=14 * (lists + quotes))  # fmt: skip


def _table(rows: list[list[Paragraph]], accent: str) -> Table:
    width = max((len(r) for r in rows), default=1)
    cells = [r + [""] * (width - len(r)) for r in rows]
    table = Table(cells, colWidths=[(PAGE_W - 2 * MARGIN) / width] * width, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, HexColor("#999999")),
        ("LINEBELOW", (0, 0), (-1, 0), 1.5, HexColor(accent)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))  # fmt: skip
    return table


def casestudy_pdf(study: CaseStudy, brand: Brand) -> bytes:
    """The case study as an A4 PDF branded for ``brand``'s library (deterministic bytes).

    ValueError if an image cannot be read or the footer cannot hold the library's name.
    """
    styles = _styles(brand)
    accent = readable_text_colour(WHITE, brand.primary)
    # Fails early, before any layout work; at the page bottom: 10 mm clear of three edges.
    footer = plan_stamp(PAGE_W, FOOTER_H, brand, (EDGE_CLEAR_PT, EDGE_CLEAR_PT, EDGE_CLEAR_PT, 0))

    def on_page_end(canvas: Any, document: Any) -> None:
        draw_stamp(canvas, footer, brand)
        canvas.saveState()
        canvas.setFont(styles["small"].fontName, 8)
        canvas.setFillColor(HexColor("#444444"))
        canvas.drawRightString(PAGE_W - MARGIN, FOOTER_H + 4 * mm, f"Page {document.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = _Doc(
        out,
        page_end=on_page_end,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOTER_H + 10 * mm,
        title=study.title,
        author=study.credit or study.library_featured,
        subject=study.summary[:500],
        creator="assets hub",
        lang=study.language,
        invariant=1,
        displayDocTitle=1,
    )
    flow: list[Flowable] = [
        _para(_text(study.title), styles["title"], outline_level=0),
    ]
    if study.library_featured:
        flow.append(Paragraph(_text(study.library_featured), styles["library"]))
    if study.summary:
        flow.append(Paragraph(_text(study.summary), styles["summary"]))
    flow.extend(markdown_flowables(study, styles, accent))
    if study.pull_quote:
        flow.append(_quote(study, styles, brand.primary))
    if study.figures:
        flow.append(_para("Outcomes", styles["h2"], outline_level=1))
        flow.append(_figures(study, styles))
    for image in study.images:
        flow.extend(_picture(image.data, image.caption or image.alt, styles))
    credits = [f"Credit: {study.credit}" if study.credit else "",
               f"Licence: {study.licence}" if study.licence else ""]  # fmt: skip
    if any(credits):
        flow.append(Spacer(1, 8))
        flow.append(Paragraph(_text("\n".join(c for c in credits if c)), styles["small"]))
    doc.build(flow)
    return out.getvalue()


def _quote(study: CaseStudy, styles: dict[str, ParagraphStyle], primary: str) -> Flowable:
    parts = [Paragraph(f"“{_text(study.pull_quote)}”", styles["quote"])]
    if study.pull_quote_by:
        parts.append(Paragraph(f"— {_text(study.pull_quote_by)}", styles["body"]))
    table = Table([[parts]], colWidths=[PAGE_W - 2 * MARGIN])
    table.setStyle(TableStyle([
        ("LINEBEFORE", (0, 0), (0, 0), 4, HexColor(primary)),
        ("LEFTPADDING", (0, 0), (0, 0), 14),
        ("TOPPADDING", (0, 0), (0, 0), 8),
        ("BOTTOMPADDING", (0, 0), (0, 0), 8),
    ]))  # fmt: skip
    return KeepTogether([Spacer(1, 6), table, Spacer(1, 6)])


def _figures(study: CaseStudy, styles: dict[str, ParagraphStyle]) -> Table:
    per_row = 3
    cells = [
        [Paragraph(_text(f.value), styles["figure"]), Paragraph(_text(f.label), styles["body"])]
        for f in study.figures
    ]
    rows: list[list[Any]] = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    rows[-1] += [""] * (per_row - len(rows[-1]))
    table = Table(rows, colWidths=[(PAGE_W - 2 * MARGIN) / per_row] * per_row)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _picture(data: bytes, caption: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    picture = load_picture(data, MAX_IMAGE_PX)
    width = PAGE_W - 2 * MARGIN
    height = width * picture.height / picture.width
    limit = (PAGE_H - 2 * MARGIN - FOOTER_H) * 0.55
    if height > limit:
        width, height = width * limit / height, limit
    image = Image(io.BytesIO(encoded_picture(picture)), width=width, height=height)
    parts: list[Flowable] = [Spacer(1, 6), image]
    if caption:
        parts.append(Paragraph(_text(caption), styles["small"]))
    return [KeepTogether(parts)]
