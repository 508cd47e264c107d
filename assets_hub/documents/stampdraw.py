"""Draw one brand stamp as a one-page vector PDF (reportlab): band, logo, text, QR code.

Layout, left to right inside a padded band in the library's primary colour: the logo (aspect
kept, at most 30% of the width), the text block (library name in bold, then the contact
lines, shrink-to-fit and wrapped), and the QR code (black on white with its quiet zone, drawn
as vector rectangles, so it stays sharp at any zoom). When the zone is too narrow the QR code
goes first, then the logo; when the text does not fit even at :data:`MIN_TEXT_PT`, the least
important contact lines are left out (opening hours, then address, e-mail, phone). The name
is never left out: if it cannot fit, ValueError (the zone is too small).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.colors import HexColor  # type: ignore[import-untyped,unused-ignore]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped,unused-ignore]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped,unused-ignore]

from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import readable_text_colour
from assets_hub.branding.qr import QUIET_ZONE_MODULES, qr_matrix
from assets_hub.documents.textfit import (
    TextBlock,
    decode_logo,
    fit_blocks,
    register_font,
)

MAX_TEXT_PT = 12.0
MIN_TEXT_PT = 5.0  # smallest size still legible in print
NAME_SCALE = 1.25
MIN_QR_MODULE_PT = 0.9  # ~0.32 mm: the usual lower limit for phone cameras at arm's length
MIN_TEXT_WIDTH_PT = 48.0
LOGO_DPI = 220  # pixels embedded per inch of placed logo: sharp in print, small in bytes
# Contact lines in the order drawn; dropped from the end when space runs out.
CONTACT_FIELDS = ("website", "phone", "email", "address", "opening_hours")


@dataclass(frozen=True)
class StampPlan:
    """What a stamp of a given size shows for a brand (for editors' warnings and tests)."""

    width: float
    height: float
    logo: tuple[float, float, float, float] | None  # x, y, w, h from bottom-left
    qr: tuple[float, float, float] | None  # x, y, side
    text_box: tuple[float, float, float, float]
    blocks: tuple[TextBlock, ...]
    omitted: tuple[str, ...]  # contact fields left out for lack of space
    background: str
    text_colour: str


def library_name(brand: Brand) -> str:
    """The name the stamp shows (a profile without one still gets a labelled stamp)."""
    return brand.fields.get("library_name") or "Your local library"


def _field_text(brand: Brand, name: str) -> str:
    value = brand.fields.get(name, "")
    # Addresses and hours are multi-line in profiles; in a stamp they run on, comma-separated.
    return ", ".join(part for part in value.split("\n") if part)


# Printers trim and grip the sheet's edge: content keeps this far from every page edge (the
# band's colour still reaches the edge).
EDGE_CLEAR_PT = 10 / 25.4 * 72  # 10 mm


def edge_clearance(
    x: float, y: float, width: float, height: float, page: tuple[float, float]
) -> tuple[float, float, float, float]:
    """How far (left, bottom, right, top, pt) a zone at ``x, y`` from the page's top-left
    must inset its content to keep EDGE_CLEAR_PT from the page's edges."""
    right = page[0] - x - width
    bottom = page[1] - y - height
    return tuple(max(0.0, EDGE_CLEAR_PT - d) for d in (x, bottom, right, y))  # type: ignore[return-value]


def plan_stamp(
    width: float,
    height: float,
    brand: Brand,
    clear: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
) -> StampPlan:
    """Lay a stamp of ``width`` x ``height`` points out for ``brand``; ValueError if no fit.

    ``clear`` (left, bottom, right, top, pt) is the least inset of the content from each
    side of the zone (:func:`edge_clearance`: 10 mm from the page edges).
    """
    pad = max(3.0, min(10.0, min(width, height) * 0.08))
    left_pad, bottom_pad, right_pad, top_pad = (max(pad, c) for c in clear)
    inner_x, inner_y = left_pad, bottom_pad
    inner_w, inner_h = width - left_pad - right_pad, height - bottom_pad - top_pad
    if inner_w <= 0 or inner_h <= 0:
        raise ValueError(
            f"the brand zone ({width:g} × {height:g} pt) leaves no room for the stamp 10 mm "
            "inside the page edges; make the zone larger or move it inwards"
        )
    qr = _qr_box(brand, inner_x, inner_y, inner_w, inner_h)
    logo = _logo_box(brand, inner_x, inner_y, inner_w, inner_h)
    regular = register_font(brand.font)
    bold = register_font(brand.font, bold=True)
    name = library_name(brand)
    contacts = [(f, _field_text(brand, f)) for f in CONTACT_FIELDS if brand.fields.get(f)]
    # Give up decorations before text: QR first (the website is printed anyway), then logo.
    for use_qr, use_logo in ((True, True), (False, True), (False, False)):
        q = qr if use_qr else None
        lg = logo if use_logo else None
        left = inner_x + (lg[2] + pad if lg else 0.0)
        right = inner_x + inner_w - (q[2] + pad if q else 0.0)
        text_w = right - left
        if text_w < MIN_TEXT_WIDTH_PT:
            continue
        for keep in range(len(contacts), -1, -1):
            parts = [(name, bold, NAME_SCALE)] + [(t, regular, 1.0) for _, t in contacts[:keep]]
            blocks = fit_blocks(parts, text_w, inner_h, max_size=MAX_TEXT_PT, min_size=MIN_TEXT_PT)
            if blocks is not None:
                background = brand.primary
                return StampPlan(
                    width,
                    height,
                    lg,
                    q,
                    (left, inner_y, text_w, inner_h),
                    tuple(blocks),
                    tuple(f for f, _ in contacts[keep:]),
                    background,
                    readable_text_colour(background, brand.text),
                )
    raise ValueError(
        f"the brand zone ({width:g} × {height:g} pt) is too small for the library's name "
        f"at {MIN_TEXT_PT:g} pt; make the zone larger"
    )


def _qr_box(
    brand: Brand, x: float, y: float, w: float, h: float
) -> tuple[float, float, float] | None:
    if not brand.qr_url:
        return None
    side = min(h, w * 0.3)
    total = len(qr_matrix(brand.qr_url)) + 2 * QUIET_ZONE_MODULES
    if side / total < MIN_QR_MODULE_PT:
        return None  # an unscannable code is worse than none; the URL is printed as text
    return (x + w - side, y + (h - side) / 2, side)


def _logo_box(
    brand: Brand, x: float, y: float, w: float, h: float
) -> tuple[float, float, float, float] | None:
    if not brand.logo:
        return None
    image = decode_logo(brand.logo, 1024)
    aspect = image.width / image.height
    lw, lh = h * aspect, h
    if lw > w * 0.3:
        lw, lh = w * 0.3, w * 0.3 / aspect
    return (x, y + (h - lh) / 2, lw, lh)


def render_stamp(
    width: float,
    height: float,
    brand: Brand,
    clear: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
) -> tuple[bytes, StampPlan]:
    """A one-page PDF of exactly ``width`` x ``height`` points holding the stamp, and its plan.

    Deterministic (reportlab ``invariant``): the same brand and size give the same bytes.
    """
    plan = plan_stamp(width, height, brand, clear)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=1, pageCompression=1)
    draw_stamp(canvas, plan, brand)
    canvas.showPage()
    canvas.save()
    return out.getvalue(), plan


def draw_stamp(canvas: Canvas, plan: StampPlan, brand: Brand) -> None:
    """Draw a planned stamp with its lower-left corner at the canvas origin."""
    canvas.saveState()
    canvas.setFillColor(HexColor(plan.background))
    canvas.rect(0, 0, plan.width, plan.height, stroke=0, fill=1)
    if plan.logo is not None and brand.logo:
        lx, ly, lw, lh = plan.logo
        px = max(1, round(max(lw, lh) / 72 * LOGO_DPI))
        logo = decode_logo(brand.logo, px)
        canvas.drawImage(ImageReader(logo), lx, ly, lw, lh, mask="auto")
    if plan.qr is not None and brand.qr_url:
        _draw_qr(canvas, brand.qr_url, *plan.qr)
    _draw_text(canvas, plan)
    canvas.restoreState()


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, side: float) -> None:
    matrix = qr_matrix(url)
    total = len(matrix) + 2 * QUIET_ZONE_MODULES
    module = side / total
    canvas.setFillColor(HexColor("#ffffff"))
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#000000"))
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + side - (row_index + QUIET_ZONE_MODULES + 1) * module
        col = 0
        while col < len(row):  # one rectangle per run of dark modules keeps the stream small
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            left = x + (start + QUIET_ZONE_MODULES) * module
            path.rect(left, top, (col - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_text(canvas: Canvas, plan: StampPlan) -> None:
    left, bottom, _w, box_h = plan.text_box
    total = sum(block.height for block in plan.blocks)
    # Centre the block vertically; the first baseline sits one ascent below the top.
    cursor = bottom + (box_h + total) / 2
    canvas.setFillColor(HexColor(plan.text_colour))
    for block in plan.blocks:
        for line in block.lines:
            cursor -= block.leading
            baseline = cursor + (block.leading - block.size) / 2 + 0.2 * block.size
            text = canvas.beginText(left, baseline)
            text.setFont(block.font, block.size)
            text.textOut(line)  # drawn as data: no markup is interpreted (BR-04)
            canvas.drawText(text)
