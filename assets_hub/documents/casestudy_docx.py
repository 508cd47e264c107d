"""A case study as an editable Word document (python-docx) for local adaptation.

Word's built-in styles carry the structure (Title, Heading 1…, List Bullet/Number, Quote,
Intense Quote, Caption, a grid table for outcome figures), so the document's navigation pane
and screen readers work and a library can restyle it with its own template. The library's
logo, name and contact details go in the page header and footer; images carry their alt text
(``descr``). Links are real hyperlinks (http, https, mailto, tel only). All text is inserted as
text runs: nothing typed by a user is interpreted (BR-04, INJ-05).
"""

from __future__ import annotations

import io
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from markdown_it.token import Token

from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import WHITE, readable_text_colour, to_rgb
from assets_hub.documents.casestudy import CaseStudy, safe_href
from assets_hub.documents.stampdraw import CONTACT_FIELDS, library_name
from assets_hub.documents.textfit import decode_logo, encoded_picture, load_picture, png_bytes

TEXT_WIDTH = Cm(16)
MAX_IMAGE_PX = 1600


def casestudy_docx(study: CaseStudy, brand: Brand) -> bytes:
    """The case study as a .docx branded for ``brand``'s library (ValueError: bad image)."""
    document = docx.Document()
    accent = RGBColor(*to_rgb(readable_text_colour(WHITE, brand.primary)))
    props = document.core_properties
    props.title = study.title
    props.subject = study.summary[:255]
    props.author = study.credit or library_name(brand)
    props.language = study.language
    props.keywords = "case study"
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, not python-docx's Letter
    section.left_margin = section.right_margin = Cm(2.5)
    _header(section, brand)
    _footer(section, brand)

    document.add_heading(study.title, level=0)
    if study.library_featured:
        para = document.add_paragraph()
        para.add_run(study.library_featured).bold = True
    if study.summary:
        document.add_paragraph(study.summary, style="Subtitle")
    _body(document, study.tokens, accent)
    if study.pull_quote:
        document.add_paragraph(f"“{study.pull_quote}”", style="Intense Quote")
        if study.pull_quote_by:
            by = document.add_paragraph(f"— {study.pull_quote_by}")
            by.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if study.figures:
        document.add_heading("Outcomes", level=1)
        table = document.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        head = table.rows[0].cells
        head[0].text, head[1].text = "Outcome", "Figure"
        for figure in study.figures:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = figure.label, figure.value
    for image in study.images:
        picture = load_picture(image.data, MAX_IMAGE_PX)
        shape = document.add_picture(io.BytesIO(encoded_picture(picture)), width=TEXT_WIDTH)
        shape._inline.docPr.set("descr", image.alt)  # alt text read by Word and screen readers
        if image.caption:
            document.add_paragraph(image.caption, style="Caption")
    credits = [f"Credit: {study.credit}" if study.credit else "",
               f"Licence: {study.licence}" if study.licence else ""]  # fmt: skip
    for line in filter(None, credits):
        para = document.add_paragraph(line)
        para.runs[0].font.size = Pt(9)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _header(section: Any, brand: Brand) -> None:
    para = section.header.paragraphs[0]
    if brand.logo:
        logo = decode_logo(brand.logo, 600)
        shape = para.add_run().add_picture(io.BytesIO(png_bytes(logo)), height=Cm(1.2))
        shape._inline.docPr.set("descr", f"{library_name(brand)} logo")
        para.add_run("  ")
    run = para.add_run(library_name(brand))
    run.bold = True
    run.font.size = Pt(12)


def _footer(section: Any, brand: Brand) -> None:
    para = section.footer.paragraphs[0]
    lines = [brand.fields[f].replace("\n", ", ") for f in CONTACT_FIELDS if brand.fields.get(f)]
    run = para.add_run(" · ".join(lines))
    run.font.size = Pt(9)


def _body(document: Any, tokens: tuple[Token, ...], accent: RGBColor) -> None:
    heading: int | None = None
    lists: list[str] = []
    quote = 0
    table_rows: list[list[Token]] = []
    row: list[Token] | None = None
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading = min(9, int(token.tag[1]))  # title is level 0, so "#" is Heading 1
        elif kind == "heading_close":
            heading = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("List Bullet" if kind.startswith("bullet") else "List Number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind in ("blockquote_open", "blockquote_close"):
            quote += 1 if kind.endswith("open") else -1
        elif kind in ("code_block", "fence"):
            para = document.add_paragraph()
            run = para.add_run(token.content.rstrip("\n"))
            run.font.name = "Courier New"
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            table_rows.append(row)
            row = None
        elif kind == "table_close":
            _table(document, table_rows, accent)
            table_rows = []
        elif kind == "inline" and row is not None:
            row.append(token)
        elif kind == "inline":
            if heading is not None:
                para = document.add_heading(level=heading)
            elif lists:
                depth = len(lists)
                style = lists[-1] + (f" {depth}" if 1 < depth <= 3 else "")
                para = document.add_paragraph(style=style)
            elif quote:
                para = document.add_paragraph(style="Quote")
            else:
                para = document.add_paragraph()
            add_inline(para, token, accent)


def _table(document: Any, rows: list[list[Token]], accent: RGBColor) -> None:
    if not rows:
        return
    width = max(len(r) for r in rows)
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    for tokens in rows:
        cells = table.add_row().cells
        for cell, token in zip(cells, tokens, strict=False):
            add_inline(cell.paragraphs[0], token, accent)


def add_inline(para: Any, token: Token, accent: RGBColor) -> None:
    """Runs for an inline token: bold/italic/strike kept, safe links as hyperlinks."""
    bold = italic = strike = False
    link: Any = None
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline", "softbreak"):
            text = " " if kind == "softbreak" else child.content
            run = _run(para, link, text)
            run.bold, run.italic, run.font.strike = bold or None, italic or None, strike or None
            if link is not None:
                run.font.underline = True
                run.font.color.rgb = accent
        elif kind == "hardbreak":
            para.add_run().add_break()
        elif kind in ("strong_open", "strong_close"):
            bold = kind.endswith("open")
        elif kind in ("em_open", "em_close"):
            italic = kind.endswith("open")
        elif kind in ("s_open", "s_close"):
            strike = kind.endswith("open")
        elif kind == "link_open":
            href = safe_href(str(child.attrs.get("href", "")))
            link = _hyperlink(para, href) if href else None
        elif kind == "link_close":
            link = None


def _run(para: Any, link: Any, text: str) -> Any:
    if link is None:
        return para.add_run(text)
    # A run created by the paragraph, then moved inside the <w:hyperlink> element.
    run = para.add_run(text)
    link.append(run._r)
    return run


def _hyperlink(para: Any, url: str) -> Any:
    """A ``<w:hyperlink>`` to an external URL, appended to the paragraph."""
    rel_id = para.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    element = OxmlElement("w:hyperlink")
    element.set(qn("r:id"), rel_id)
    para._p.append(element)
    return element
