"""Draw a layout (:mod:`assets_hub.branding.layout`) and lay it over a rendition; pure, blocking.

The overlay (band, scaled logo, laid-out text, QR code, plates) depends on the brand,
template, frame size, safe area, fields and the plates' placement (chosen by the renderer
from where the subject is), never on the photo's pixels, so one layer serves every asset
rendered for the same library, template, preset and placement: :func:`overlay_for` keeps
recent layers in a small LRU cache bounded by bytes. Every piece is opaque (the band beside
the photo, plates on it), so applying the overlay is a copy, never a blend.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import to_rgb
from assets_hub.branding.layout import (
    DoesNotFit,
    Layout,
    Placement,
    clear_layout_cache,
    inputs_key,
    layout_for,
)
from assets_hub.branding.overlays import Template
from assets_hub.branding.presets import SafeArea
from assets_hub.branding.qr import make_qr, qr_matrix
from assets_hub.branding.text import draw_block
from assets_hub.media.inspect import to_srgb

__all__ = ["DoesNotFit", "Overlay", "Piece", "apply_overlay", "build_overlay", "overlay_for"]

LOGO_MAX_SIDE = 4096
LOGO_WORKING_SIDE = 2048
_LOGO_FORMATS = ["PNG", "JPEG", "WEBP"]
_Rect = tuple[int, int, int, int]  # left, top, width, height in frame pixels


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
    layout: Layout | None = None

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


def draw_layout(brand: Brand, layout: Layout, *, preview: bool = False) -> Overlay:
    """Draw a :class:`~assets_hub.branding.layout.Layout`: the band and each plate as opaque
    pieces (the photo is never under the band; plates are opaque so text contrast is known).
    """
    pieces: list[Piece] = []
    slots: dict[str, _Rect] = {}
    warnings = list(layout.warnings)
    groups: list[tuple[_Rect, str]] = []
    if layout.band is not None:
        groups.append((layout.band, layout.band_colour))
    groups.extend((plate, layout.plate_colour) for plate in layout.plates)
    for rect, colour in groups:
        x, y, w, h = rect
        image = Image.new("RGBA", (max(1, w), max(1, h)), (*to_rgb(colour), 255))
        for text in layout.texts:
            if not _inside(text.box, rect):
                continue
            tx, ty, tw, th = text.box
            draw_block(
                image,
                text.block,
                (tx - x, ty - y, tw, th),
                font=text.font,
                bold=text.bold,
                colour=to_rgb(text.colour),
                align="left" if text.align in ("start", "left") else text.align,  # type: ignore[arg-type]
                valign="top",
            )
            slots[text.slot] = text.box
        if layout.logo is not None and brand.logo is not None and _inside(layout.logo, rect):
            lx, ly, lw, lh = layout.logo
            logo = load_logo(brand.logo)
            scaled = logo.resize((lw, lh), Image.Resampling.LANCZOS, reducing_gap=3.0)
            image.alpha_composite(scaled, (lx - x, ly - y))
            slots["logo"] = layout.logo
        if layout.qr is not None and brand.qr_url and _inside(layout.qr, rect):
            qx, qy, qw, _ = layout.qr
            code = make_qr(brand.qr_url, qw, min_module_px=1 if preview else layout.qr_module_px)
            if code.image is None:
                warnings.append(f"QR code left out: {code.reason}")
            else:
                image.paste(code.image.convert("RGBA"), (qx - x, qy - y))
                slots["qr"] = layout.qr
        pieces.append(Piece(image, (x, y), opaque=True))
    return Overlay(tuple(pieces), tuple(dict.fromkeys(warnings)), slots, None, layout)


def _inside(inner: _Rect, outer: _Rect) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[0] + inner[2] <= outer[0] + outer[2]
        and inner[1] + inner[3] <= outer[1] + outer[3]
    )


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
    placement: Placement = "template",
) -> Overlay:
    """Lay out and draw the overlay for one frame. DoesNotFit for text that cannot fit."""
    layout = layout_for(
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
    )
    return draw_layout(brand, layout, preview=preview)


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
    placement: Placement = "template",
) -> Overlay:
    """:func:`build_overlay`, memoised in a byte-bounded LRU (layers are never mutated)."""
    global _cache_size
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
        placement=placement,
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
    clear_layout_cache()


def apply_overlay(image: Image.Image, overlay: Overlay) -> None:
    """Lay ``overlay`` onto ``image`` (RGB or RGBA, frame-sized) in place."""
    for piece in overlay.pieces:
        if piece.opaque:
            image.paste(piece.image, piece.offset)  # RGBA onto RGB copies the colour bytes
        elif image.mode == "RGBA":
            image.alpha_composite(piece.image, piece.offset)
        else:
            image.paste(piece.image, piece.offset, piece.image)
