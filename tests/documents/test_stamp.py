"""Stamping fact sheets: the page stays a real document, the stamp is real text in its zone."""

from __future__ import annotations

import dataclasses
import io

import pikepdf
import pypdfium2 as pdfium
import pytest

from assets_hub.branding.brand import Brand
from assets_hub.documents.stamp import (
    StampCheckFailed,
    page_sizes,
    page_texts,
    squash,
    stamp_pdf,
    verify_stamped,
)
from assets_hub.documents.stampdraw import MIN_TEXT_PT, plan_stamp
from assets_hub.documents.zones import BrandZone, ZoneRect
from assets_hub.errors import Unprocessable
from assets_hub.media.pdfscan import PDFIUM_LOCK
from tests.documents.conftest import LINK, fact_sheet, tagged


def uris(data: bytes) -> list[list[str]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            [str(a.A.URI) for a in page.obj.get("/Annots", []) if "/A" in a] for page in pdf.pages
        ]


def images(data: bytes) -> list[tuple[int, int]]:
    """Pixel sizes of every image XObject in the file (inside forms too)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            (int(obj.Width), int(obj.Height))
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image
        ]


def pixel(data: bytes, page: int, xy: tuple[int, int]) -> tuple[int, ...]:
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            image = document[page].render(scale=1).to_pil().convert("RGB")
            return tuple(image.getpixel(xy))  # type: ignore[arg-type,unused-ignore]
        finally:
            document.close()


@pytest.fixture(scope="module")
def sheet() -> bytes:
    return fact_sheet(10)


def test_ten_page_two_column_sheet_keeps_everything(sheet: bytes, brand: Brand) -> None:
    result = stamp_pdf(sheet, BrandZone("all"), brand)
    assert page_sizes(result) == page_sizes(sheet)
    assert uris(result) == uris(sheet) == [[LINK]] * 10
    before, after = page_texts(sheet), page_texts(result)
    assert len(after) == 10
    for old, new in zip(before, after, strict=True):
        # The original text comes first and unchanged; the stamp follows it.
        assert squash(new).startswith(squash(old))
        assert "Little Snoring Community Library" in new
        assert "01234 567890" in new
        assert "little-snoring.example.org.uk" in new
    # Not rasterised: the only new image is the logo (plus its alpha mask), logo-sized.
    assert images(sheet) == []
    assert 0 < len(images(result)) <= 2
    assert all(w <= 1024 and h <= 1024 for w, h in images(result))
    # Kilobytes, not megabytes: one shared stamp XObject for all ten pages.
    assert len(result) - len(sheet) < 150_000


def test_original_content_streams_untouched(sheet: bytes, brand: Brand) -> None:
    result = stamp_pdf(sheet, BrandZone("first"), brand)
    with pikepdf.open(io.BytesIO(sheet)) as a, pikepdf.open(io.BytesIO(result)) as b:
        original = a.pages[0].obj.Contents.read_bytes()
        streams = [s.read_bytes() for s in b.pages[0].obj.Contents]
        assert original in streams
        assert b.pages[1].obj.Contents.read_bytes() == a.pages[1].obj.Contents.read_bytes()


def test_selected_pages_only(sheet: bytes, brand: Brand) -> None:
    result = stamp_pdf(sheet, BrandZone((2, 5)), brand)
    stamped = [i for i, t in enumerate(page_texts(result)) if "Little Snoring" in t]
    assert stamped == [1, 4]


def test_stamp_lands_in_zone(sheet: bytes, brand: Brand) -> None:
    zone = BrandZone("first", ZoneRect(0.5, 0.0, 0.5, 0.1))  # top-right
    result = stamp_pdf(sheet, zone, brand)
    navy = (0x1D, 0x3C, 0x6E)
    assert pixel(result, 0, (590, 3)) == navy  # inside the zone's padding
    assert pixel(result, 0, (3, 3)) == (255, 255, 255)
    assert pixel(result, 0, (590, 838)) == (255, 255, 255)  # footer untouched


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_pages_stamped_upright_in_displayed_footer(brand: Brand, rotate: int) -> None:
    with pikepdf.open(io.BytesIO(fact_sheet(1))) as pdf:
        pdf.pages[0].obj.Rotate = rotate
        out = io.BytesIO()
        pdf.save(out)
    source = out.getvalue()
    result = stamp_pdf(source, BrandZone("first"), brand)
    _width, height = page_sizes(result)[0]
    navy = (0x1D, 0x3C, 0x6E)
    assert pixel(result, 0, (2, round(height) - 3)) == navy  # displayed bottom-left corner
    assert pixel(result, 0, (2, 2)) == (255, 255, 255)
    assert "Little Snoring" in page_texts(result)[0]


def test_tagged_pdf_keeps_structure_and_stamp_is_artifact(brand: Brand) -> None:
    source = tagged(fact_sheet(2))
    result = stamp_pdf(source, BrandZone("all"), brand)
    with pikepdf.open(io.BytesIO(result)) as pdf:
        assert pdf.Root.MarkInfo.Marked
        assert pdf.Root.StructTreeRoot.K[0].S == pikepdf.Name.Document
        assert str(pdf.Root.Lang) == "en-GB"
        forms = [
            xobj
            for name, xobj in pdf.pages[0].Resources.XObject.items()
            if name.startswith("/Brand")
        ]
        assert len(forms) == 1
        content = forms[0].read_bytes()
        assert content.startswith(b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC")
        assert content.rstrip().endswith(b"EMC")
    assert "Little Snoring" in page_texts(result)[1]


def test_deterministic(sheet: bytes, brand: Brand) -> None:
    assert stamp_pdf(sheet, BrandZone(), brand) == stamp_pdf(sheet, BrandZone(), brand)


def test_zone_outside_page_refused(sheet: bytes, brand: Brand) -> None:
    with pytest.raises(ValueError, match="outside page 1"):
        stamp_pdf(sheet, BrandZone("first", ZoneRect(400, 700, 300, 200, "pt")), brand)
    with pytest.raises(ValueError, match="names page 11"):
        stamp_pdf(sheet, BrandZone((11,)), brand)


def test_text_shrinks_and_wraps_inside_zone(brand: Brand) -> None:
    long = dataclasses.replace(
        brand,
        fields={**brand.fields, "library_name": "Great Snoring and Little Snoring " * 3},
    )
    plan = plan_stamp(240, 90, long)
    left, bottom, width, height = plan.text_box
    assert sum(block.height for block in plan.blocks) <= height
    assert len(plan.blocks[0].lines) > 1  # the name wrapped
    assert all(block.size >= MIN_TEXT_PT for block in plan.blocks)
    assert left >= 0 and left + width <= 240 and bottom >= 0 and bottom + height <= 90
    from assets_hub.documents.textfit import text_width

    for block in plan.blocks:
        assert all(text_width(line, block.font, block.size) <= width + 1e-6 for line in block.lines)
    # Everything the plan keeps is drawn: the stamped text holds every kept line.
    joined = "".join(line for block in plan.blocks for line in block.lines)
    assert squash("Great Snoring and Little Snoring " * 3) in squash(joined)


def test_small_zone_drops_least_important_lines_then_refuses(brand: Brand) -> None:
    plan = plan_stamp(200, 30, brand)
    assert plan.qr is None  # too small to scan: left out rather than drawn unscannable
    assert "opening_hours" in plan.omitted
    assert plan.blocks[0].lines[0].startswith("Little Snoring")
    with pytest.raises(ValueError, match="too small"):
        plan_stamp(40, 8, brand)


def test_brand_without_logo_or_qr(sheet: bytes) -> None:
    plain = Brand("p", 1, primary="#ffffff", text="#ffffff", fields={"library_name": "Anytown"})
    result = stamp_pdf(sheet, BrandZone("first"), plain)
    assert "Anytown" in page_texts(result)[0]
    assert images(result) == []
    assert plan_stamp(300, 60, plain).text_colour == "#000000"  # white on white refused


def test_encrypted_and_damaged_refused(sheet: bytes, brand: Brand) -> None:
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(Unprocessable, match="Password"):
        stamp_pdf(out.getvalue(), BrandZone(), brand)
    with pytest.raises(Unprocessable, match="damaged"):
        stamp_pdf(b"%PDF-1.7\ngarbage", BrandZone(), brand)


def test_verify_catches_lost_pages_and_text() -> None:
    with pytest.raises(StampCheckFailed, match="number of pages"):
        verify_stamped(fact_sheet(2), fact_sheet(3))
    other = fact_sheet(1, size=(595.28, 841.89))
    with pikepdf.open(io.BytesIO(other)) as pdf:
        pdf.pages[0].obj.Contents = pdf.make_stream(b"")
        out = io.BytesIO()
        pdf.save(out)
    with pytest.raises(StampCheckFailed, match="lost text"):
        verify_stamped(other, out.getvalue())
    with pytest.raises(StampCheckFailed, match="does not open"):
        verify_stamped(other, b"not a pdf")


def test_inherited_and_shared_resources(brand: Brand) -> None:
    """Producers that put /Resources on the page tree, shared by every page, still work."""
    with pikepdf.open(io.BytesIO(fact_sheet(3))) as pdf:
        shared = pdf.make_indirect(pdf.pages[0].obj.Resources)
        pdf.Root.Pages.Resources = shared
        for page in pdf.pages:
            del page.obj.Resources
        out = io.BytesIO()
        pdf.save(out)
    source = out.getvalue()
    result = stamp_pdf(source, BrandZone("all"), brand)  # the self-check compares all text
    texts = page_texts(result)
    assert all("Little Snoring" in t and "column 1 line 11" in t for t in texts)
    with pikepdf.open(io.BytesIO(result)) as pdf:
        names = {str(k) for page in pdf.pages for k in page.resources.XObject.keys()}
        assert names == {"/Brand0"}


def test_crop_box_offset(brand: Brand) -> None:
    """The zone is measured in the visible (crop) box, wherever its origin is."""
    with pikepdf.open(io.BytesIO(fact_sheet(1))) as pdf:
        pdf.pages[0].obj.CropBox = pikepdf.Array([40, 60, 540, 800])
        out = io.BytesIO()
        pdf.save(out)
    source = out.getvalue()
    assert page_sizes(source) == [(500, 740)]
    result = stamp_pdf(source, BrandZone("first"), brand)
    navy = (0x1D, 0x3C, 0x6E)
    assert pixel(result, 0, (2, 737)) == navy  # bottom-left of the visible page
    assert pixel(result, 0, (497, 737)) == navy  # bottom-right: the strip spans the box
    assert pixel(result, 0, (2, 660)) == (255, 255, 255)  # above the 74 pt strip


@pytest.mark.parametrize(
    "zone",
    [BrandZone("last"), BrandZone("first", ZoneRect(0.0, 0.0, 1.0, 0.12))],
    ids=["footer", "header"],
)
def test_the_stamps_content_keeps_10_mm_from_the_page_edges(
    sheet: bytes, brand: Brand, zone: BrandZone
) -> None:
    from PIL import Image, ImageChops

    result = stamp_pdf(sheet, zone, brand)
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        page = 0 if zone.pages == "first" else len(pdf.pages) - 1
    scale = 4  # 288 dpi: 10 mm is 113 px
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(result)
        try:
            image = document[page].render(scale=scale).to_pil().convert("RGB")
        finally:
            document.close()
    height = image.height
    band = (0, height - round(0.1 * height), image.width, height)
    if zone.rect is not None:
        band = (0, 0, image.width, round(0.12 * height))
    strip = image.crop(band)
    navy = Image.new("RGB", strip.size, (0x1D, 0x3C, 0x6E))
    ink = ImageChops.difference(strip, navy).convert("L").point(lambda v: 255 if v > 40 else 0)
    box = ink.getbbox()
    assert box is not None  # the stamp drew something
    edge = 10 / 25.4 * 72 * scale - 1  # 10 mm in px, less a pixel of anti-aliasing
    assert box[0] >= edge and strip.width - box[2] >= edge
    if zone.rect is None:
        assert strip.height - box[3] >= edge  # the footer's bottom is the page's
    else:
        assert box[1] >= edge  # the header's top is the page's
