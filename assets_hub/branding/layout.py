"""The layout engine: where the photo, band, logo, QR code and each line of text go.

A layout is pure geometry and laid-out text (no pixels); :mod:`assets_hub.branding.compositor`
draws it and :mod:`assets_hub.media.renditions` puts the photo in :attr:`Layout.photo`. The
rules it keeps (issue 15), which :func:`layout_report` lets tests and editors check:

* The band sits *outside* the photo: the photo fills the area the band leaves. The band is as
  tall as its content needs (up to :data:`MAX_BAND` of the live area), its colour reaching the
  frame edge while its content stays inside the platform's safe zone.
* In the band: logo | text stack | QR code. Without a logo (or QR code) the text takes its
  place. The stack is in order of importance and each level is smaller than the one above:
  library name, event title, date and time, contact (and the custom line), credit. Every level
  has a minimum size relative to the output's short side (:data:`ROLES`).
* Text fits by shrinking to the minimum size, then by taking more lines, and only then is the
  field to shorten reported (:class:`DoesNotFit`). Lines break only at spaces, never inside a
  word, URL, e-mail address, phone number or postcode; a separator never starts or ends a line;
  titles are balanced.
* Text on the photo (a template's plates: the event by default) goes on an opaque plate, which
  the renderer moves to the other side of the photo, or into the band, when it would cover the
  subject (``placement``).

:func:`check_fit` is the fit check the customise page runs before offering a download.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageDraw

from assets_hub.branding.brand import Brand, clean_local_fields
from assets_hub.branding.colour import contrast_ratio, readable_text_colour
from assets_hub.branding.overlays import DEFAULT_TEMPLATE, Box, Template, TextSlot
from assets_hub.branding.presets import Preset, SafeArea
from assets_hub.branding.qr import QUIET_ZONE_MODULES, qr_matrix
from assets_hub.branding.text import TextBlock, clean_text, fit_text, protect_tokens

Rect = tuple[int, int, int, int]  # left, top, width, height in frame pixels
Placement = Literal["template", "flipped", "band"]
PLACEMENTS: tuple[Placement, ...] = ("template", "flipped", "band")


@dataclass(frozen=True)
class Role:
    """A level of the type hierarchy: sizes as fractions of the output's short side."""

    level: int
    min_size: float
    max_size: float
    floor_px: int  # never smaller than this at full size, whatever the frame


# Name > event title > date and time > contact (and the custom line) > credit.
ROLES: dict[str, Role] = {
    "name": Role(0, 0.032, 0.060, 22),
    "title": Role(1, 0.028, 0.052, 20),
    "when": Role(2, 0.024, 0.036, 18),
    "contact": Role(3, 0.020, 0.028, 16),
    "extra": Role(3, 0.020, 0.028, 16),
    "credit": Role(4, 0.016, 0.020, 14),
}
STEP_DOWN = 0.9  # each level at most this fraction of the size of the level above
MAX_BAND = 0.5  # of the live area's height (top/bottom band) or width (side band)
MAX_PLATE = 0.4  # of the photo area's height
EXTRA_LINES = 2  # lines a slot may take beyond its template's max_lines before it is refused
LOGO_HEIGHT = 0.12  # of the short side
LOGO_MAX_WIDTH = 0.24  # of the live width
QR_SIDE = (0.12, 0.2)  # of the short side: preferred, largest
PAD = 0.028  # band padding, of the short side
MIN_CONTRAST = 4.5
MIN_CONTRAST_LARGE = 3.0  # WCAG "large text": 24 px, or 18.66 px bold


class DoesNotFit(ValueError):
    """Text that must be shown does not fit; ``slot`` and ``field`` say what to shorten."""

    def __init__(self, slot: str, detail: str, field: str | None = None) -> None:
        what = f"; shorten {field.replace('_', ' ')}" if field else "; shorten the text"
        super().__init__(f"text slot {slot!r} does not fit: {detail}{what}")
        self.slot = slot
        self.field = field


@dataclass(frozen=True)
class PlacedText:
    """One laid-out text slot: the block, where it is painted, and in what colours."""

    slot: str
    role: str
    fields: tuple[str, ...]
    block: TextBlock
    box: Rect  # the block's own box (exactly its width and height)
    font: str
    bold: bool
    colour: str
    background: str
    align: str


@dataclass(frozen=True)
class Layout:
    """Every element's box in frame pixels, for one frame, brand, template and fields."""

    size: tuple[int, int]
    live: Rect  # the frame inside the platform's safe zone
    photo: Rect  # where the photo goes (the frame minus the band)
    band: Rect | None  # the band's colour, edge to edge
    band_colour: str
    logo: Rect | None
    qr: Rect | None
    qr_module_px: int
    plates: tuple[Rect, ...]
    plate_colour: str
    texts: tuple[PlacedText, ...]
    placement: Placement
    warnings: tuple[str, ...]
    scale: float = 1.0


def role_of(fields: tuple[str, ...]) -> str:
    """The hierarchy level of a slot showing ``fields``."""
    first = fields[0] if fields else ""
    if first.startswith("library_name"):
        return "name"
    if first.startswith("event_title"):
        return "title"
    if first in ("event_date", "event_time"):
        return "when"
    if first == "custom":
        return "extra"
    return "contact"


def min_px(role: str, short: int, scale: float) -> int:
    """The smallest size (px) of ``role`` on a frame whose short side is ``short``."""
    spec = ROLES[role]
    return max(3, round(spec.floor_px * scale), math.ceil(spec.min_size * short - 1e-9))


def _slot_text(slot: TextSlot, values: Mapping[str, str]) -> tuple[str, str | None]:
    """The slot's fields joined, tokens protected, and the longest field (what to shorten).

    The separator sticks to the item before it (a no-break space), so a wrapped line never
    starts with "·"; :func:`~assets_hub.branding.text.wrap` drops one left at a line's end.
    """
    parts = [(name, protect_tokens(values[name])) for name in slot.fields if values.get(name)]
    separator = slot.separator
    if separator.startswith(" ") and separator.strip():
        separator = "\u00a0" + separator[1:]
    longest = max(parts, key=lambda p: len(p[1]))[0] if parts else None
    return separator.join(text for _, text in parts), longest


@dataclass(frozen=True)
class _Item:
    key: str
    role: str
    fields: tuple[str, ...]
    text: str
    longest: str | None
    bold: bool
    font: str
    max_lines: int
    separator: str
    ellipsis: bool
    balance: bool
    align: str
    required: bool


def _fit_item(item: _Item, width: int, low: int, high: int) -> TextBlock:
    """Largest size ≤ high in the slot's lines; then at the minimum with more lines."""
    block = TextBlock(False, low, (), 0, 0, 0, 0)
    for extra in range(EXTRA_LINES + 1):
        block = fit_text(
            item.text,
            box=(max(1, width), 1 << 20),
            font=item.font,
            bold=item.bold,
            sizes=(low, high if extra == 0 else low),
            max_lines=item.max_lines + extra,
            break_words=False,
            separator=item.separator,
            balance=item.balance,
            ellipsis=item.ellipsis and extra == EXTRA_LINES,
        )
        if block.fits:
            return block
    return block


def _stack(
    items: list[_Item],
    width: int,
    short: int,
    scale: float,
    shrink: float,
    above: Mapping[int, int] | None = None,
) -> list[tuple[_Item, TextBlock]]:
    """Fit ``items`` (in hierarchy order) top down; each level smaller than the one above.

    ``above``: sizes already used per level elsewhere (the band's, for the photo's plate):
    a level is kept smaller than the more important ones there and larger than the less
    important ones. A slot that may be cut (``ellipsis``) and still does not fit is left out.
    """
    placed: list[tuple[_Item, TextBlock]] = []
    used = dict(above or {})
    elsewhere = dict(above or {})
    for item in items:
        spec = ROLES[item.role]
        low = min_px(item.role, short, scale)
        # Larger than every less important level elsewhere, leaving a px per level between.
        lower = [
            size + level - spec.level for level, size in elsewhere.items() if level > spec.level
        ]
        if lower:
            low = max(low, max(lower))
        high = max(low, round(spec.max_size * short * shrink))
        higher = [size for level, size in used.items() if level < spec.level]
        if higher:
            high = max(low, min(high, int(min(higher) * STEP_DOWN)))
        block = _fit_item(item, width, low, high)
        if not block.fits:
            if item.ellipsis and not item.required:
                continue
            raise DoesNotFit(item.key, block.reason or "too long", item.longest)
        placed.append((item, block))
        used[spec.level] = min(used.get(spec.level, block.size), block.size)
    return placed


def _gap(block: TextBlock) -> int:
    return round(block.size * 0.45)


def _stack_height(placed: list[tuple[_Item, TextBlock]]) -> int:
    blocks = [b for _, b in placed]
    if not blocks:
        return 0
    return sum(b.height for b in blocks) + sum(_gap(b) for b in blocks[1:])


def _items(
    template: Template,
    brand: Brand,
    values: Mapping[str, str],
    credit: str | None,
    in_band: bool,
) -> tuple[list[_Item], list[_Item]]:
    """(band items, photo items), each in hierarchy order (stable within a level)."""
    band: list[_Item] = []
    photo: list[_Item] = []
    for slot in template.text:
        text, longest = _slot_text(slot, values)
        if not text:
            if slot.required:
                raise DoesNotFit(slot.key, f"needs {' or '.join(slot.fields)}")
            continue
        if len(text) > slot.max_length:
            # The slot's own limit can only be reached by profile fields (local fields are
            # limited one by one, and a slot holds all of them): name the longest.
            raise DoesNotFit(
                slot.key, f"{len(text)} characters, at most {slot.max_length}", longest
            )
        role = role_of(slot.fields)
        item = _Item(
            slot.key,
            role,
            slot.fields,
            text,
            longest,
            slot.bold,
            slot.font or brand.font,
            slot.max_lines,
            slot.separator,
            slot.overflow == "ellipsis",
            role in ("name", "title"),
            slot.align,
            slot.required,
        )
        (band if slot.region == "band" or in_band else photo).append(item)
    if credit:
        spec = template.credit
        lines = spec.max_lines if spec is not None else 2
        band.append(
            _Item(
                "credit",
                "credit",
                ("credit",),
                protect_tokens(clean_text(credit)),
                "credit",
                False,
                brand.font,
                lines,
                " · ",
                False,
                False,
                "start",
                True,
            )
        )

    def order(item: _Item) -> tuple[int, bool]:  # the custom line stays with the event
        return ROLES[item.role].level, item.role == "contact"

    return sorted(band, key=order), sorted(photo, key=order)


def _live(size: tuple[int, int], safe: SafeArea) -> Rect:
    w, h = size
    return (safe.left, safe.top, w - safe.left - safe.right, h - safe.top - safe.bottom)


def plan_layout(
    brand: Brand,
    template: Template,
    size: tuple[int, int],
    safe: SafeArea,
    local_fields: Mapping[str, str],
    credit: str | None,
    *,
    credit_required: bool = False,
    preview: bool = False,
    scale: float = 1.0,
    placement: Placement = "template",
    logo_aspect: float | None = None,
) -> Layout:
    """Lay out one frame; DoesNotFit naming the slot and field when text cannot fit.

    ``logo_aspect`` (width / height of the trimmed logo) is needed when the brand has a logo
    and the template a logo zone. ``scale`` (< 1 for previews) scales the pixel floors of the
    minimum sizes with the frame. With ``placement="band"`` every text slot goes in the band.
    """
    w, h = size
    live = _live(size, safe)
    lx, ly, lw, lh = live
    short = min(w, h)
    values = {**brand.fields, **local_fields}
    if credit_required and not (credit and template.credit is not None):
        raise DoesNotFit(
            "credit",
            "the licence requires a credit line, but none was given or the template has no slot",
        )
    band_items, photo_items = _items(
        template, brand, values, credit if template.credit else None, placement == "band"
    )
    if template.band is None:  # an overlay-only template: all its text on the photo's plate
        photo_items = sorted(band_items + photo_items, key=lambda i: ROLES[i.role].level)
        band_items = []
    band_colour = (
        brand.secondary if template.band and template.band.colour == "secondary" else brand.primary
    )
    text_colour = readable_text_colour(band_colour, brand.text)
    plate_colour = brand.primary
    plate_text = readable_text_colour(plate_colour, brand.text)
    warnings: list[str] = []
    pad = max(2, round(PAD * short))
    gap = pad

    # Logo and QR sizes (they do not depend on the text).
    logo_size: tuple[int, int] | None = None
    if template.logo is not None and brand.logo is not None and logo_aspect:
        lh0 = LOGO_HEIGHT * short
        lw0 = min(lh0 * logo_aspect, LOGO_MAX_WIDTH * lw)
        logo_size = (max(1, round(lw0)), max(1, round(lw0 / logo_aspect)))
    qr_side, module_px = 0, 0
    if template.qr is not None and brand.qr_url:
        total = len(qr_matrix(brand.qr_url)) + 2 * QUIET_ZONE_MODULES
        floor_module = 1 if preview else template.qr.min_module_px
        largest = QR_SIDE[1] * short
        module_px = max(floor_module, round(QR_SIDE[0] * short / total))
        if total * module_px > largest:
            module_px = int(largest // total)
        if module_px < floor_module:
            warnings.append(
                f"QR code left out: it needs {total * floor_module} px and at most "
                f"{round(largest)} px are available on this size"
            )
            module_px = 0
        qr_side = total * module_px

    if template.band is None and (logo_size or qr_side):
        # Logo and QR code go beside the photo, in the band; a template without one loses them.
        warnings.append("logo and QR code left out: this template has no band to hold them")
        logo_size, qr_side = None, 0
    band = template.band
    texts: list[PlacedText] = []
    logo_box: Rect | None = None
    qr_box: Rect | None = None
    band_rect: Rect | None = None
    photo: Rect = (0, 0, w, h)
    if band is not None:
        vertical = band.edge in ("left", "right")
        limit = MAX_BAND * (lw if vertical else lh) - 2 * pad
        logo_left = template.logo is None or template.logo.box.x + template.logo.box.w / 2 <= 0.5
        # Variants, tried in turn: logo | text | QR; then (a text-heavy band) logo above the
        # QR code in one side column, which leaves the text a wider column and fewer lines.
        variants = [False, True] if (logo_size and qr_side and not vertical) else [False]
        blocks: list[tuple[_Item, TextBlock]] = []
        paired = False
        for paired in variants:
            if vertical:
                column = max(1, round(band.thickness * short) - 2 * pad)
            elif paired and logo_size:
                column = lw - 2 * pad - max(logo_size[0], qr_side) - gap
            else:
                column = lw - 2 * pad
                column -= logo_size[0] + gap if logo_size else 0
                column -= qr_side + gap if qr_side else 0
            fitted = False
            for shrink in (1.0, 0.85, 0.72, 0.6, 0.5, 0.0):
                blocks = _stack(band_items, column, short, scale, shrink)
                height = _stack_height(blocks)
                if vertical:
                    height += logo_size[1] + gap if logo_size else 0
                    height += qr_side + gap if qr_side else 0
                elif paired and logo_size:
                    height = max(height, logo_size[1] + gap + qr_side)
                if height <= limit:
                    fitted = True
                    break
            if fitted:
                break
        else:
            tallest = max(blocks, key=lambda p: p[1].height, default=None)
            slot, field = (tallest[0].key, tallest[0].longest) if tallest else ("band", None)
            raise DoesNotFit(slot, "the band would cover more than half the frame", field)
        content = _stack_height(blocks)
        if vertical:
            thickness = round(band.thickness * short)
            bx = lx if band.edge == "left" else lx + lw - thickness
            band_rect = (0, 0, lx + thickness, h) if band.edge == "left" else (bx, 0, w - bx, h)
            photo = (band_rect[2], 0, w - band_rect[2], h) if band.edge == "left" else (0, 0, bx, h)
            y = ly + pad
            if logo_size:
                logo_box = (bx + pad, y, *logo_size)
                y += logo_size[1] + gap
            _place_stack(texts, blocks, bx + pad, y, column, text_colour, band_colour)
            if qr_side:
                qr_box = (bx + pad, ly + lh - pad - qr_side, qr_side, qr_side)
        else:
            sides = (logo_size[1] + gap + qr_side) if (paired and logo_size) else 0
            inner = max(content, logo_size[1] if logo_size else 0, qr_side, sides)
            thickness = inner + 2 * pad
            if band.edge == "bottom":
                top = ly + lh - thickness
                band_rect = (0, top, w, h - top)
                photo = (0, 0, w, top)
            else:
                top = ly
                band_rect = (0, 0, w, ly + thickness)
                photo = (0, band_rect[3], w, h - band_rect[3])
            x = lx + pad
            right = lx + lw - pad
            if paired and logo_size:
                side_w = max(logo_size[0], qr_side)
                sx = x if logo_left else right - side_w
                y0 = top + pad + (inner - sides) // 2
                logo_box = (sx + (side_w - logo_size[0]) // 2, y0, *logo_size)
                qr_y = y0 + logo_size[1] + gap
                qr_box = (sx + (side_w - qr_side) // 2, qr_y, qr_side, qr_side)
                if logo_left:
                    x += side_w + gap
            else:
                if logo_size:
                    logo_y = top + pad + (inner - logo_size[1]) // 2
                    if logo_left:
                        logo_box = (x, logo_y, *logo_size)
                        x += logo_size[0] + gap
                    else:
                        logo_box = (right - logo_size[0], logo_y, *logo_size)
                        right -= logo_size[0] + gap
                if qr_side:
                    qr_y = top + pad + (inner - qr_side) // 2
                    qr_left = template.qr is not None and template.qr.box.x < 0.5 and not logo_left
                    if qr_left:
                        qr_box = (x, qr_y, qr_side, qr_side)
                        x += qr_side + gap
                    else:
                        qr_box = (right - qr_side, qr_y, qr_side, qr_side)
            y = top + pad + (inner - content) // 2
            _place_stack(texts, blocks, x, y, column, text_colour, band_colour)

    plates: list[Rect] = []
    if photo_items:
        plate = _plates(template, photo_items, photo, live, short, scale, texts, placement)
        if plate is None:
            raise _PlateDoesNotFit()
        rect, placed = plate
        plates.append(rect)
        for item, block, box in placed:
            texts.append(
                PlacedText(
                    item.key,
                    item.role,
                    item.fields,
                    block,
                    box,
                    item.font,
                    item.bold,
                    plate_text,
                    plate_colour,
                    item.align,
                )
            )
    return Layout(
        size=size,
        live=live,
        photo=photo,
        band=band_rect,
        band_colour=band_colour,
        logo=logo_box,
        qr=qr_box,
        qr_module_px=module_px,
        plates=tuple(plates),
        plate_colour=plate_colour,
        texts=tuple(texts),
        placement=placement,
        warnings=tuple(warnings),
        scale=scale,
    )


class _PlateDoesNotFit(DoesNotFit):
    def __init__(self) -> None:
        super().__init__("event", "the plate would cover too much of the photo")


def _place_stack(
    texts: list[PlacedText],
    placed: list[tuple[_Item, TextBlock]],
    x: int,
    y: int,
    column: int,
    colour: str,
    background: str,
) -> int:
    for i, (item, block) in enumerate(placed):
        if i:
            y += _gap(block)
        bx = x + (column - block.width if item.align == "right" else 0)
        if item.align == "center":
            bx = x + (column - block.width) // 2
        texts.append(
            PlacedText(
                item.key,
                item.role,
                item.fields,
                block,
                (bx, y, block.width, block.height),
                item.font,
                item.bold,
                colour,
                background,
                item.align,
            )
        )
        y += block.height
    return y


_PLATE_BOX = Box(0.04, 0.04, 0.92, 0.3)  # a plate for text the template placed nowhere


def _plates(
    template: Template,
    items: list[_Item],
    photo: Rect,
    live: Rect,
    short: int,
    scale: float,
    band_texts: list[PlacedText],
    placement: Placement,
) -> tuple[Rect, list[tuple[_Item, TextBlock, Rect]]] | None:
    """One plate holding the photo's text slots, at the first slot's box of the photo area."""
    px, py, pw, ph = photo
    left, top = max(px, live[0]), max(py, live[1])
    right = min(px + pw, live[0] + live[2])
    bottom = min(py + ph, live[1] + live[3])
    area = (left, top, right - left, bottom - top)
    first = next((s.box for s in template.text if s.key == items[0].key), _PLATE_BOX)
    zone_x = area[0] + round(first.x * area[2])
    zone_w = max(1, round(first.w * area[2]))
    margin = round(first.y * area[3])
    # Levels already used in the band cap the plate's sizes (the name stays the largest).
    above = {ROLES[t.role].level: t.block.size for t in band_texts}
    placed: list[tuple[_Item, TextBlock]] = []
    inset = 0
    for shrink in (1.0, 0.85, 0.72, 0.6, 0.0):
        try:
            first_pass = _stack(items, zone_w, short, scale, shrink, above)
            if not first_pass:
                return None
            inset = round(min(b.size for _, b in first_pass) * 0.6)
            placed = _stack(items, zone_w - 2 * inset, short, scale, shrink, above)
        except DoesNotFit:
            return None
        if placed and _stack_height(placed) + 2 * inset <= MAX_PLATE * area[3]:
            break
    else:
        return None
    height = _stack_height(placed) + 2 * inset
    width = max(b.width for _, b in placed) + 2 * inset
    y = area[1] + margin if placement == "template" else area[1] + area[3] - margin - height
    rect = (zone_x, y, width, height)
    out: list[tuple[_Item, TextBlock, Rect]] = []
    cy = y + inset
    for i, (item, block) in enumerate(placed):
        if i:
            cy += _gap(block)
        out.append((item, block, (zone_x + inset, cy, block.width, block.height)))
        cy += block.height
    return rect, out


# --- cache ------------------------------------------------------------------------------------

_LAYOUTS: OrderedDict[tuple[object, ...], Layout | DoesNotFit] = OrderedDict()
_LAYOUTS_MAX = 512
_lock = threading.Lock()


def inputs_key(
    brand: Brand,
    template: Template,
    size: tuple[int, int],
    safe: SafeArea,
    local_fields: Mapping[str, str],
    credit: str | None,
    credit_required: bool,
    preview: bool,
    scale: float,
    placement: Placement,
) -> tuple[object, ...]:
    """Everything a layout (and the overlay drawn from it) depends on, as a cache key."""
    return (
        brand.fingerprint(),
        template.fingerprint,
        size,
        safe,
        tuple(sorted(local_fields.items())),
        credit,
        credit_required,
        preview,
        scale,
        placement,
    )


def layout_for(
    brand: Brand,
    template: Template,
    size: tuple[int, int],
    safe: SafeArea,
    local_fields: Mapping[str, str],
    credit: str | None,
    *,
    credit_required: bool = False,
    preview: bool = False,
    scale: float = 1.0,
    placement: Placement = "template",
) -> Layout:
    """:func:`plan_layout`, memoised (failures too: the same inputs fail the same way)."""
    key = inputs_key(
        brand,
        template,
        size,
        safe,
        local_fields,
        credit,
        credit_required,
        preview,
        scale,
        placement,
    )
    with _lock:
        found = _LAYOUTS.get(key)
        if found is not None:
            _LAYOUTS.move_to_end(key)
    if found is None:
        aspect = None
        if brand.logo is not None and template.logo is not None:
            from assets_hub.branding.compositor import load_logo  # the logo's trimmed shape

            logo = load_logo(brand.logo)
            aspect = logo.width / logo.height
        try:
            found = plan_layout(
                brand,
                template,
                size,
                safe,
                local_fields,
                credit,
                credit_required=credit_required,
                preview=preview,
                scale=scale,
                placement=placement,
                logo_aspect=aspect,
            )
        except DoesNotFit as exc:
            found = exc
        with _lock:
            _LAYOUTS[key] = found
            while len(_LAYOUTS) > _LAYOUTS_MAX:
                _LAYOUTS.popitem(last=False)
    if isinstance(found, DoesNotFit):
        raise found
    return found


def clear_layout_cache() -> None:
    with _lock:
        _LAYOUTS.clear()


def overlaps(a: Rect, b: Rect) -> bool:
    """True when two rectangles share at least one pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


# --- the fit check --------------------------------------------------------------------------


@dataclass(frozen=True)
class FitProblem:
    """A preset on which the text does not fit, and the field to shorten (None: not a field)."""

    preset: str
    slot: str
    field: str | None
    message: str


def check_fit(
    brand: Brand,
    local_fields: Mapping[str, str],
    presets: list[Preset],
    *,
    template: Template | None = None,
    credit: str | None = None,
    credit_required: bool = False,
) -> list[FitProblem]:
    """The renderer's own fit check: [] when every preset can be made with these fields.

    Runs the same layout as a render (shrinking, then reflowing, then moving the photo's text
    into the band), so a download offered after an empty answer never fails on text. Each
    problem names the preset, the slot and the field to shorten. ``local_fields`` are checked
    against their limits first (ValueError naming the field).
    """
    fields = clean_local_fields(local_fields)
    problems: list[FitProblem] = []
    for preset in presets:
        last: DoesNotFit | None = None
        for placement in PLACEMENTS:
            try:
                layout_for(
                    brand,
                    template or DEFAULT_TEMPLATE,
                    (preset.width, preset.height),
                    preset.safe_area,
                    fields,
                    credit,
                    credit_required=credit_required,
                    placement=placement,
                )
            except _PlateDoesNotFit as exc:
                last = exc
                continue
            except DoesNotFit as exc:
                last = exc
                if placement != "template" or not _has_plates(template or DEFAULT_TEMPLATE):
                    break
                continue
            last = None
            break
        if last is not None:
            problems.append(FitProblem(preset.key, last.slot, last.field, str(last)))
    return problems


def _has_plates(template: Template) -> bool:
    return any(s.region == "frame" for s in template.text)


# --- the report -----------------------------------------------------------------------------


def _box(rect: Rect | None) -> dict[str, int] | None:
    if rect is None:
        return None
    return {"x": rect[0], "y": rect[1], "width": rect[2], "height": rect[3]}


def is_large(size: int, bold: bool) -> bool:
    """WCAG large text: 18 pt (24 px), or 14 pt (18.66 px) bold."""
    return size >= 24 or (bold and size >= 19)


def layout_report(
    layout: Layout | None,
    size: tuple[int, int],
    safe: SafeArea,
    *,
    photo: Rect | None = None,
    focal: Rect | None = None,
    fit: str = "cover",
) -> dict[str, Any]:
    """The layout as JSON: boxes of photo area, focal region, band, logo, QR and text lines.

    Each line has its text, font size, colours and contrast ratio, and the rules' verdicts
    (``contrast_ok``); ``safe_zone`` is the live area everything but the band's colour and
    the photo must stay inside.
    """
    live = _live(size, safe)
    report: dict[str, Any] = {
        "frame": {"width": size[0], "height": size[1]},
        "safe_zone": _box(live),
        "photo_area": _box(photo or (layout.photo if layout else (0, 0, *size))),
        "photo_fit": fit,
        "focal_region": _box(focal),
        "band": None,
        "logo": None,
        "qr": None,
        "plates": [],
        "lines": [],
        "placement": layout.placement if layout else None,
        "warnings": list(layout.warnings) if layout else [],
    }
    if layout is None:
        return report
    report.update(
        band=_box(layout.band),
        band_colour=layout.band_colour,
        logo=_box(layout.logo),
        qr=_box(layout.qr),
        plates=[_box(p) for p in layout.plates],
    )
    lines = []
    for text in layout.texts:
        block = text.block
        x, y = text.box[0], text.box[1]
        ratio = contrast_ratio(text.colour, text.background)
        large = is_large(block.size, text.bold)
        from assets_hub.branding.fonts import load_font

        face = load_font(text.font, block.size, bold=text.bold)
        for i, line in enumerate(block.lines):
            left, top, right, bottom = face.getbbox(line, anchor="ls")
            baseline = y + block.baseline + i * block.line_height
            lines.append(
                {
                    "slot": text.slot,
                    "role": text.role,
                    "text": line,
                    "font_size": block.size,
                    "bold": text.bold,
                    "box": _box(
                        (
                            x + int(left),
                            baseline + int(top),
                            max(1, int(right - left)),
                            max(1, int(bottom - top)),
                        )
                    ),
                    "colour": text.colour,
                    "background": text.background,
                    "contrast": round(ratio, 2),
                    "large": large,
                    "contrast_ok": ratio >= (MIN_CONTRAST_LARGE if large else MIN_CONTRAST),
                }
            )
    report["lines"] = lines
    return report


# --- the report drawn over a preview, for editors ----------------------------------------

_REPORT_COLOURS = {
    "safe_zone": (220, 0, 0),
    "photo_area": (0, 90, 255),
    "focal_region": (0, 200, 0),
    "logo": (255, 140, 0),
    "qr": (255, 140, 0),
    "plates": (160, 0, 200),
    "lines": (255, 0, 160),
}


def draw_report(image: Image.Image, report: Mapping[str, Any]) -> Image.Image:
    """``image`` (the render the report describes) with the report's boxes outlined: safe
    zone red, photo area blue, focal region green, logo and QR orange, text lines pink."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    width = max(1, round(min(out.size) / 300))

    def outline(box: Mapping[str, int] | None, colour: tuple[int, int, int]) -> None:
        if box:
            x, y, w, h = box["x"], box["y"], box["width"], box["height"]
            draw.rectangle((x, y, x + w - 1, y + h - 1), outline=colour, width=width)

    for name in ("safe_zone", "photo_area", "focal_region", "logo", "qr"):
        outline(report.get(name), _REPORT_COLOURS[name])
    for plate in report.get("plates", []):
        outline(plate, _REPORT_COLOURS["plates"])
    for line in report.get("lines", []):
        outline(line["box"], _REPORT_COLOURS["lines"])
    return out
