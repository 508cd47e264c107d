"""Stamp a library's branding into a fact sheet's brand zone without rebuilding the PDF.

The stamp is drawn once per zone size as a one-page vector PDF (:mod:`stampdraw`), turned into
a Form XObject and placed on each selected page with qpdf's placement maths (which undoes
``/Rotate`` so the stamp reads upright). The page's own content streams are not parsed or
changed: they are only bracketed by ``q … Q`` so a content stream that leaves the graphics
state altered cannot displace the stamp. Links, text, fonts, the structure tree and tags are
untouched, and nothing is rasterised.

The stamp's content is wrapped in ``/Artifact BDC … EMC`` (a pagination artifact, "footer"
for the footer strip): in a tagged PDF assistive technology then skips it as repeated page
furniture instead of reading it into the middle of the document's own reading order, while
its text stays extractable and selectable.

After stamping the result is re-opened with qpdf and pdfium and checked (same page count and
sizes, every page's original text still there); a failure raises :class:`StampCheckFailed`,
a server error: the input was already accepted, so the fault is ours.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pikepdf  # type: ignore[import-untyped,unused-ignore]

from assets_hub.branding.brand import Brand
from assets_hub.documents.stampdraw import edge_clearance, render_stamp
from assets_hub.documents.zones import BrandZone, Placement, validate_zone
from assets_hub.errors import Unprocessable
from assets_hub.media.pdfscan import DAMAGED, ENCRYPTED, PDFIUM_LOCK

Source = bytes | Path
_SPACE = re.compile(r"\s+")


class StampCheckFailed(RuntimeError):
    """The stamped file did not pass its own check (500: never served)."""


def open_pdf(source: Source) -> pikepdf.Pdf:
    """Open an accepted PDF; Unprocessable (422) if it is encrypted or cannot be read."""
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise Unprocessable(ENCRYPTED) from exc
    except pikepdf.PdfError as exc:
        raise Unprocessable(DAMAGED) from exc
    if pdf.is_encrypted:
        pdf.close()
        raise Unprocessable(ENCRYPTED)
    return pdf


def displayed_size(page: pikepdf.Page) -> tuple[float, float]:
    """Width and height in points of the page's visible box as a viewer shows it."""
    box = pikepdf.Rectangle(page.cropbox)
    width, height = abs(box.width), abs(box.height)
    if _rotation(page) in (90, 270):
        return height, width
    return width, height


def page_sizes(source: Source) -> list[tuple[float, float]]:
    """Displayed page sizes of a PDF, for :func:`validate_zone` when an editor saves a zone."""
    with open_pdf(source) as pdf:
        return [displayed_size(page) for page in pdf.pages]


def stamp_pdf(source: Source, zone: BrandZone, brand: Brand) -> bytes:
    """The PDF with ``brand`` stamped into ``zone`` on each selected page, checked.

    ValueError if the zone lies outside a page or cannot hold the library's name (422),
    Unprocessable if the PDF cannot be opened (422), StampCheckFailed if the result fails its
    check (500). Deterministic: the same input, zone and brand give the same bytes.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    with open_pdf(data) as pdf:
        placements = apply_stamp(pdf, zone, brand)
        result = save_pdf(pdf)
    verify_stamped(data, result, text_pages={p.page_index for p in placements})
    return result


def save_pdf(pdf: pikepdf.Pdf) -> bytes:
    """The document's bytes: existing streams copied as they are, the result deterministic.

    ``StreamDecodeLevel.none`` keeps qpdf from decompressing and recompressing every image and
    content stream (3x faster on a 15 MB sheet, and the original bytes stay the original
    bytes); only our new, uncompressed streams get compressed. ``deterministic_id``: equal
    inputs give equal bytes, so cached copies are stable.
    """
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        compress_streams=True,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
    )
    return out.getvalue()


def apply_stamp(pdf: pikepdf.Pdf, zone: BrandZone, brand: Brand) -> list[Placement]:
    """Stamp an open document in place (used by :mod:`forms` to stamp and fill in one pass)."""
    sizes = [displayed_size(page) for page in pdf.pages]
    placements = validate_zone(zone, sizes)
    forms: dict[tuple[float, ...], pikepdf.Object] = {}
    for placement in placements:
        page = sizes[placement.page_index]
        clear = edge_clearance(placement.x, placement.y, placement.width, placement.height, page)
        key = (round(placement.width, 2), round(placement.height, 2), *(round(c, 2) for c in clear))
        formx = forms.get(key)
        if formx is None:  # one XObject per zone size, shared by every page that uses it
            formx = forms[key] = _stamp_xobject(pdf, key[0], key[1], brand, placement.footer, clear)
        _place(pdf.pages[placement.page_index], formx, placement)
    return placements


def _stamp_xobject(
    pdf: pikepdf.Pdf,
    width: float,
    height: float,
    brand: Brand,
    footer: bool,
    clear: tuple[float, float, float, float],
) -> pikepdf.Object:
    stamp_bytes, _plan = render_stamp(width, height, brand, clear)
    with pikepdf.open(io.BytesIO(stamp_bytes)) as stamp:
        page = stamp.pages[0]
        page.contents_coalesce()
        body = page.obj.Contents.read_bytes()
        kind = b"<</Type /Pagination /Subtype /Footer>>" if footer else b"<</Type /Pagination>>"
        page.obj.Contents.write(b"/Artifact " + kind + b" BDC\n" + body + b"\nEMC\n")
        return pdf.copy_foreign(page.as_form_xobject())


def _place(page: pikepdf.Page, formx: pikepdf.Object, placement: Placement) -> None:
    # Pages often share one /Resources dictionary (or inherit it from /Pages): reuse the name
    # the stamp already has there instead of adding one entry per page.
    xobjects: Any = page.resources.get("/XObject", {})
    name = next((k for k, v in xobjects.items() if v.objgen == formx.objgen), None)
    if name is None:
        name = page.add_resource(formx, pikepdf.Name.XObject, free_name(page, "Brand"))
    else:
        name = pikepdf.Name(name)
    rect = _user_rect(page, placement)
    content = page.calc_form_xobject_placement(
        formx, name, rect, invert_transformations=True, allow_shrink=True, allow_expand=True
    )
    # Bracket the original content so a leftover CTM or clip cannot move or hide the stamp;
    # qpdf adds streams to /Contents without re-encoding the page's own.
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n" + content + b"\n", prepend=False)


def free_name(page: pikepdf.Page, prefix: str) -> pikepdf.Name:
    """The first ``/{prefix}{n}`` not used as an XObject name on the page.

    pikepdf's own ``prefix=`` appends random characters, which would make equal inputs give
    different bytes and defeat caching by content.
    """
    used: Any = page.resources.get("/XObject", {})  # inherited from /Pages too
    n = 0
    while f"/{prefix}{n}" in used:
        n += 1
    return pikepdf.Name(f"/{prefix}{n}")


def _rotation(page: pikepdf.Page) -> int:
    return int(page.obj.get("/Rotate", 0)) % 360


def _user_rect(page: pikepdf.Page, p: Placement) -> pikepdf.Rectangle:
    """The placement (top-left origin on the displayed page) in the page's user space."""
    box = pikepdf.Rectangle(page.cropbox)
    x0, y0 = min(box.llx, box.urx), min(box.lly, box.ury)
    bw, bh = abs(box.width), abs(box.height)
    rotate = _rotation(page)
    if rotate == 90:  # displayed top edge is the box's left edge
        llx, lly, w, h = x0 + p.y, y0 + p.x, p.height, p.width
    elif rotate == 180:
        llx, lly, w, h = x0 + bw - p.x - p.width, y0 + p.y, p.width, p.height
    elif rotate == 270:
        llx, lly, w, h = x0 + bw - p.y - p.height, y0 + bh - p.x - p.width, p.height, p.width
    else:
        llx, lly, w, h = x0 + p.x, y0 + bh - p.y - p.height, p.width, p.height
    return pikepdf.Rectangle(llx, lly, llx + w, lly + h)


def squash(text: str) -> str:
    """Text without whitespace, for comparing extractions that differ only in line breaks."""
    return _SPACE.sub("", text.replace("\x00", ""))


def page_texts(data: bytes, pages: Iterable[int] | None = None) -> list[str]:
    """Text of the given pages (default: all) as pdfium extracts it for search and readers."""
    import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            texts = []
            for index in range(len(document)) if pages is None else pages:
                page = document[index]
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return texts
        finally:
            document.close()


def verify_stamped(
    original: bytes, result: bytes, *, text_pages: Iterable[int] | None = None
) -> None:
    """StampCheckFailed unless ``result`` opens and keeps ``original``'s pages and text.

    ``text_pages``: the page indexes whose text is compared (None: all). Pages we did not
    touch keep their content streams byte for byte, so checking only the stamped ones keeps
    the check cheap on long documents; page count and sizes are always checked for every page.
    """
    try:
        with (
            pikepdf.open(io.BytesIO(original)) as before,
            pikepdf.open(io.BytesIO(result)) as after,
        ):
            if len(before.pages) != len(after.pages):
                raise StampCheckFailed("the stamped PDF has a different number of pages")
            for index, (a, b) in enumerate(zip(before.pages, after.pages, strict=True)):
                if displayed_size(a) != displayed_size(b):
                    raise StampCheckFailed(f"page {index + 1} changed size when stamped")
    except pikepdf.PdfError as exc:
        raise StampCheckFailed("the stamped PDF does not open") from exc
    pages = None if text_pages is None else sorted(set(text_pages))
    try:
        old, new = page_texts(original, pages), page_texts(result, pages)
    except Exception as exc:
        raise StampCheckFailed("the stamped PDF does not open in pdfium") from exc
    for index, text_before, text_after in zip(pages or range(len(old)), old, new, strict=True):
        if not _kept_in_order(text_before, text_after):
            raise StampCheckFailed(f"page {index + 1} lost text when stamped")


def _kept_in_order(before: str, after: str) -> bool:
    """Every line of ``before`` is in ``after``, in order; the stamp's own lines may come
    between them (text extraction orders lines by position, and the stamp's sit among the
    page's own when a zone covers text)."""
    wanted = [squash(line) for line in before.splitlines() if line.strip()]
    found = iter(squash(line) for line in after.splitlines() if line.strip())
    return all(any(line == got for got in found) for line in wanted)
