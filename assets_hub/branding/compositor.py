"""Build the branded overlay for a frame and lay it over a rendition; pure, blocking.

The overlay (band, scaled logo, laid-out text, QR code, plates) depends only on the brand,
template, frame size, safe area and fields, never on the photo, so one layer serves every
asset rendered for the same library, template and preset: :func:`overlay_for` keeps recent
layers in a small LRU cache bounded by bytes. The layer is kept as pieces: the opaque band,
copied onto the photo, and the rest cropped to its content and blended.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import readable_text_colour, to_rgb
from assets_hub.branding.overlays import Box, Region, Template, TextSlot
from assets_hub.branding.presets import SafeArea
from assets_hub.branding.qr import make_qr, qr_matrix
from assets_hub.branding.text import TextBlock, clean_text, draw_block, fit_text
from assets_hub.media.inspect import to_srgb

MIN_FONT_PX = 10  # smaller text is unreadable on any screen
LOGO_MAX_SIDE = 4096
LOGO_WORKING_SIDE = 2048
_LOGO_FORMATS = ["PNG", "JPEG", "WEBP"]
_Rect = tuple[int, int, int, int]  # left, top, width, height in frame pixels


class DoesNotFit(ValueError):
    """Text that must be shown (a required slot, a licence credit) does not fit its zone."""

    def __init__(self, slot: str, detail: str) -> None:
        super().__init__(f"text slot {slot!r} does not fit: {detail}; shorten the text")
        self.slot = slot


@dataclass(frozen=True)
class Piece:
    """Part of an overlay: an RGBA image and where it goes (frame pixels).

    ``opaque`` pieces (the band) have alpha 255 everywhere, so they are copied onto the photo
    instead of blended: a plain copy is several times cheaper than a masked paste.
    """

    image: Image.Image
    offset: tuple[int, int]
    opaque: bool


@dataclass(frozen=True)
class Overlay:
    """The overlay's pieces, where the photo still shows, and what could not be drawn.

    ``visible`` (left, top, width, height) is the frame minus the edge-to-edge opaque band:
    photo pixels outside it are always hidden, so the renderer need not resample them. None
    when nothing hides a whole strip of the frame.
    """

    pieces: tuple[Piece, ...]
    warnings: tuple[str, ...]
    slots: Mapping[str, _Rect]  # slot key -> box it was confined to (frame pixels)
    visible: _Rect | None = None

    @property
    def offset(self) -> tuple[int, int]:
        """Top-left of :attr:`layer` in the frame."""
        if not self.pieces:
            return (0, 0)
        return (min(p.offset[0] for p in self.pieces), min(p.offset[1] for p in self.pieces))

    @property
    def layer(self) -> Image.Image | None:
        """All pieces as one RGBA layer at :attr:`offset` (assembled on each call; for checks)."""
        if not self.pieces:
            return None
        left, top = self.offset
        right = max(p.offset[0] + p.image.width for p in self.pieces)
        bottom = max(p.offset[1] + p.image.height for p in self.pieces)
        layer = Image.new("RGBA", (right - left, bottom - top), (0, 0, 0, 0))
        for piece in self.pieces:
            layer.paste(piece.image, (piece.offset[0] - left, piece.offset[1] - top))
        return layer


@lru_cache(maxsize=8)
def load_logo(data: bytes) -> Image.Image:
    """The logo as RGBA sRGB, trimmed of transparent or white margins; ValueError if unusable."""
    try:
        image = Image.open(io.BytesIO(data), formats=_LOGO_FORMATS)
        if getattr(image, "n_frames", 1) > 1:
            raise ValueError("logo must not be animated")
        if max(image.size) > LOGO_MAX_SIDE:
            raise ValueError(f"logo must be at most {LOGO_MAX_SIDE} px on its long side")
        image.load()
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"logo is not a readable PNG, JPEG or WebP image ({exc})") from None
    rgba = to_srgb(image)  # a new image, RGB or RGBA
    if rgba.mode != "RGBA":
        rgba = rgba.convert("RGBA")
    rgba.info = {}
    alpha_box = rgba.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    if alpha_box is None:
        raise ValueError("logo is fully transparent")
    if rgba.getchannel("A").getextrema()[0] == 255:
        # An opaque logo (JPEG, or PNG saved on a white canvas): trim near-white margins.
        # Logos with transparency keep their white parts: they may be the design itself.
        ink_box = rgba.convert("L").point(lambda v: 255 if v < 245 else 0).getbbox()
        if ink_box is not None:
            alpha_box = ink_box
    rgba = rgba.crop(alpha_box)
    if max(rgba.size) > LOGO_WORKING_SIDE:  # bounds the cache; no zone is this large
        rgba.thumbnail((LOGO_WORKING_SIDE, LOGO_WORKING_SIDE), Image.Resampling.LANCZOS)
    return rgba


def _region_rects(template: Template, size: tuple[int, int], safe: SafeArea) -> dict[str, _Rect]:
    """Pixel rectangles of the live area ("frame"), the band, and the band's live part."""
    w, h = size
    live = (safe.left, safe.top, w - safe.left - safe.right, h - safe.top - safe.bottom)
    rects: dict[str, _Rect] = {"frame": live}
    band = template.band
    if band is None:
        return rects
    t = max(1, round(band.thickness * min(live[2], live[3])))
    lx, ly, lw, lh = live
    if band.edge == "bottom":
        rects["band_fill"] = (0, ly + lh - t, w, h - (ly + lh - t))
        rects["band"] = (lx, ly + lh - t, lw, t)
    elif band.edge == "top":
        rects["band_fill"] = (0, 0, w, ly + t)
        rects["band"] = (lx, ly, lw, t)
    elif band.edge == "left":
        rects["band_fill"] = (0, 0, lx + t, h)
        rects["band"] = (lx, ly, t, lh)
    else:
        rects["band_fill"] = (lx + lw - t, 0, w - (lx + lw - t), h)
        rects["band"] = (lx + lw - t, ly, t, lh)
    return rects


def _place(rects: dict[str, _Rect], region: Region, box: Box) -> _Rect:
    rx, ry, rw, rh = rects[region]
    left, top = rx + round(box.x * rw), ry + round(box.y * rh)
    return left, top, max(1, round(box.w * rw)), max(1, round(box.h * rh))


def _anchored(zone: _Rect, size: tuple[int, int], anchor: str) -> tuple[int, int]:
    zx, zy, zw, zh = zone
    x = {"left": zx, "right": zx + zw - size[0]}.get(anchor, zx + (zw - size[0]) // 2)
    y = {"top": zy, "bottom": zy + zh - size[1]}.get(anchor, zy + (zh - size[1]) // 2)
    return x, y


def _slot_text(slot: TextSlot, values: Mapping[str, str]) -> str:
    """The slot's fields (already cleaned) joined; the separator sticks to the item before it
    (a no-break space), so a wrapped line never starts with "·"."""
    parts = [values[name] for name in slot.fields if values.get(name)]
    separator = slot.separator
    if separator.startswith(" ") and separator.strip():
        separator = "\u00a0" + separator[1:]
    return separator.join(parts)


def _sizes(fractions: tuple[float, float], short: int, floor: int) -> tuple[int, int]:
    low = max(floor, round(fractions[0] * short))
    return low, max(low, round(fractions[1] * short))


def build_overlay(
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
) -> Overlay:
    """Draw the overlay for one frame. DoesNotFit for required text that cannot fit.

    ``scale`` (< 1 for previews) scales the minimum readable font size with the frame, so a
    preview is laid out like the full-size rendition. ``preview`` draws a QR code even below
    its minimum module size (a preview is for looking at, not scanning).
    """
    frame_rects = _region_rects(template, size, safe)
    short = min(frame_rects["frame"][2], frame_rects["frame"][3])
    floor = max(3, round(MIN_FONT_PX * scale))
    # Allocate only the part of the frame that zones can touch (a full A4 layer is 35 MB).
    ox, oy, width, height = _extent(template, frame_rects, size)
    rects = {k: (x - ox, y - oy, w, h) for k, (x, y, w, h) in frame_rects.items()}
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    warnings: list[str] = []
    slots: dict[str, _Rect] = {}
    band_colour = (
        brand.secondary if template.band and template.band.colour == "secondary" else brand.primary
    )
    text_colour = to_rgb(readable_text_colour(band_colour, brand.text))
    if template.band is not None:
        x, y, w, h = rects["band_fill"]
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=(*to_rgb(band_colour), 255))

    if template.logo is not None and brand.logo is not None:
        zone = _place(rects, template.logo.region, template.logo.box)
        pad = round(template.logo.padding * min(zone[2], zone[3]))
        inner = (zone[0] + pad, zone[1] + pad, max(1, zone[2] - 2 * pad), max(1, zone[3] - 2 * pad))
        logo = load_logo(brand.logo)
        ratio = min(inner[2] / logo.width, inner[3] / logo.height)
        target = (max(1, round(logo.width * ratio)), max(1, round(logo.height * ratio)))
        scaled = logo.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        layer.alpha_composite(scaled, _anchored(inner, target, template.logo.anchor))
        slots["logo"] = _moved(inner, ox, oy)

    values = {**brand.fields, **local_fields}
    for slot in template.text:
        text = _slot_text(slot, values)
        if not text:
            if slot.required:
                raise DoesNotFit(slot.key, f"needs {' or '.join(slot.fields)}")
            continue
        if len(text) > slot.max_length:
            raise DoesNotFit(slot.key, f"{len(text)} characters, at most {slot.max_length}")
        zone = _place(rects, slot.region, slot.box)
        block = _fit(text, slot, brand, zone, short, floor)
        if not block.fits:
            if slot.required or slot.overflow == "error":
                raise DoesNotFit(slot.key, block.reason or "too long")
            warnings.append(f"text slot {slot.key!r} left out: {block.reason}")
            continue
        if block.truncated:
            warnings.append(f"text slot {slot.key!r} shortened with an ellipsis to fit")
        colour = text_colour
        slots[slot.key] = _moved(zone, ox, oy)  # nothing of this slot is drawn outside it
        if slot.plate:
            colour = to_rgb(readable_text_colour(brand.primary, brand.text))
            zone = _plate(draw, zone, block, _sizes(slot.font_size, short, floor)[0], brand.primary)
        draw_block(
            layer,
            block,
            zone,
            font=slot.font or brand.font,
            bold=slot.bold,
            colour=colour,
            align=slot.align,
            valign="middle" if slot.plate else slot.valign,
        )

    if template.credit is not None and credit:
        zone = _place(rects, template.credit.region, template.credit.box)
        block = fit_text(
            clean_text(credit),
            box=zone[2:],
            font=brand.font,
            sizes=_sizes(template.credit.font_size, short, floor),
            max_lines=template.credit.max_lines,
        )
        if not block.fits:
            raise DoesNotFit("credit", block.reason or "too long")
        draw_block(layer, block, zone, font=brand.font, bold=False, colour=text_colour)
        slots["credit"] = _moved(zone, ox, oy)
    elif credit_required:
        raise DoesNotFit(
            "credit",
            "the licence requires a credit line, but none was given or the template has no slot",
        )

    if template.qr is not None and brand.qr_url:
        zone = _place(rects, template.qr.region, template.qr.box)
        side = min(zone[2], zone[3])
        code = make_qr(
            brand.qr_url, side, min_module_px=1 if preview else template.qr.min_module_px
        )
        if code.image is None:
            warnings.append(f"QR code left out: {code.reason}")
        else:
            layer.paste(
                code.image.convert("RGBA"), _anchored(zone, code.image.size, template.qr.anchor)
            )
            slots["qr"] = _moved(zone, ox, oy)
    pieces: list[Piece] = []
    visible = None
    strip = frame_rects.get("band_fill")
    if strip is not None:
        x, y, w, h = strip
        box = (x - ox, y - oy, x - ox + w, y - oy + h)
        band_piece = layer.crop(box)
        # Opaque unless something replaced band pixels (a plate over the band): check, once.
        if band_piece.getchannel("A").getextrema()[0] == 255:
            pieces.append(Piece(band_piece, (x, y), opaque=True))
            layer.paste((0, 0, 0, 0), box)
            visible = _uncovered(size, strip)
    bbox = layer.getbbox()  # RGBA: the alpha channel's box
    if bbox is not None:
        pieces.append(Piece(layer.crop(bbox), (ox + bbox[0], oy + bbox[1]), opaque=False))
    return Overlay(tuple(pieces), tuple(warnings), slots, visible)


def _uncovered(size: tuple[int, int], strip: _Rect) -> _Rect | None:
    """The frame minus ``strip`` when the strip runs along a whole edge; else None."""
    w, h = size
    x, y, sw, sh = strip
    if x <= 0 and sw >= w:  # a full-width strip at the top or bottom
        if y <= 0 < sh < h:
            return (0, sh, w, h - sh)
        if 0 < y and y + sh >= h:
            return (0, 0, w, y)
    if y <= 0 and sh >= h:  # a full-height strip at the left or right
        if x <= 0 < sw < w:
            return (sw, 0, w - sw, h)
        if 0 < x and x + sw >= w:
            return (0, 0, x, h)
    return None


def _moved(rect: _Rect, dx: int, dy: int) -> _Rect:
    return rect[0] + dx, rect[1] + dy, rect[2], rect[3]


def _extent(template: Template, rects: dict[str, _Rect], size: tuple[int, int]) -> _Rect:
    """The frame-clipped union of every zone the template can draw in (band included)."""
    zones = [rects["band_fill"]] if "band_fill" in rects else []
    boxes = [z.box for z in (template.logo, template.qr, template.credit) if z is not None]
    regions = [z.region for z in (template.logo, template.qr, template.credit) if z is not None]
    for slot in template.text:
        boxes.append(slot.box)
        regions.append(slot.region)
    zones.extend(_place(rects, region, box) for region, box in zip(regions, boxes, strict=True))
    if not zones:
        return 0, 0, 1, 1
    left = max(0, min(z[0] for z in zones))
    top = max(0, min(z[1] for z in zones))
    right = min(size[0], max(z[0] + z[2] for z in zones))
    bottom = min(size[1], max(z[1] + z[3] for z in zones))
    return left, top, max(1, right - left), max(1, bottom - top)


def _fit(text: str, slot: TextSlot, brand: Brand, zone: _Rect, short: int, floor: int) -> TextBlock:
    sizes = _sizes(slot.font_size, short, floor)
    inset = sizes[0] // 2 if slot.plate else 0  # plates keep a margin around their text
    return fit_text(
        text,
        box=(zone[2] - 2 * inset, zone[3] - 2 * inset),
        font=slot.font or brand.font,
        bold=slot.bold,
        sizes=sizes,
        max_lines=slot.max_lines,
        ellipsis=slot.overflow == "ellipsis",
    )


def _plate(
    draw: ImageDraw.ImageDraw, zone: _Rect, block: TextBlock, min_size: int, colour: str
) -> _Rect:
    """Draw a plate hugging the text (top-left of the zone); returns the text's box."""
    inset = min_size // 2  # the same margin _fit reserved
    w, h = min(zone[2], block.width + 2 * inset), min(zone[3], block.height + 2 * inset)
    draw.rectangle(
        (zone[0], zone[1], zone[0] + w - 1, zone[1] + h - 1), fill=(*to_rgb(colour), 235)
    )
    return zone[0] + inset, zone[1] + inset, w - 2 * inset, h - 2 * inset


# --- cache ------------------------------------------------------------------------------------

_CACHE_BYTES = 192 * 1024 * 1024
_cache: OrderedDict[tuple[object, ...], Overlay] = OrderedDict()
_cache_size = 0
_lock = threading.Lock()


def _weight(overlay: Overlay) -> int:
    return 64 + sum(p.image.width * p.image.height * 4 for p in overlay.pieces)


def overlay_for(
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
) -> Overlay:
    """:func:`build_overlay`, memoised in a byte-bounded LRU (layers are never mutated)."""
    global _cache_size
    key = (
        brand.fingerprint(),
        template.fingerprint,
        size,
        safe,
        tuple(sorted(local_fields.items())),
        credit,
        credit_required,
        preview,
        scale,
    )
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    built = build_overlay(
        brand,
        template,
        size,
        safe,
        local_fields,
        credit,
        credit_required=credit_required,
        preview=preview,
        scale=scale,
    )
    with _lock:
        if key not in _cache:
            _cache[key] = built
            _cache_size += _weight(built)
        while _cache_size > _CACHE_BYTES and _cache:
            _, old = _cache.popitem(last=False)
            _cache_size -= _weight(old)
    return built


def clear_overlay_cache() -> None:
    """Forget every cached layer (benchmarks measure cold renders with it)."""
    global _cache_size
    with _lock:
        _cache.clear()
        _cache_size = 0
    load_logo.cache_clear()
    qr_matrix.cache_clear()


def apply_overlay(image: Image.Image, overlay: Overlay) -> None:
    """Lay ``overlay`` onto ``image`` (RGB or RGBA, frame-sized) in place."""
    for piece in overlay.pieces:
        if piece.opaque:
            image.paste(piece.image, piece.offset)  # RGBA onto RGB copies the colour bytes
        elif image.mode == "RGBA":
            image.alpha_composite(piece.image, piece.offset)
        else:
            image.paste(piece.image, piece.offset, piece.image)
