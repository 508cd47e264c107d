"""Crop maths for renditions: pure arithmetic, no Pillow, no I/O.

A rendition *covers* its output frame: the largest region of the source with the frame's
aspect ratio is cut out and scaled. Where that region sits is decided by a focal point (or a
focal area) the editors set, or, without one, by a saliency profile measured elsewhere
(:func:`assets_hub.media.operations.saliency_profiles`). The focal point is always inside
the crop; a focal area is kept whole whenever the crop is big enough to hold it.

All coordinates here are in source pixels unless named ``*_fraction``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Upscaling a photo by a quarter still looks acceptable on social media; beyond that the
# result is visibly soft, so the caller is told instead (issue 6: "never silently upscaled").
DEFAULT_MAX_UPSCALE = 1.25


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle: ``left``/``top`` corner and ``width``/``height``."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def box(self) -> tuple[float, float, float, float]:
        """``(left, top, right, bottom)``, the form Pillow's ``resize(box=...)`` takes."""
        return (self.left, self.top, self.right, self.bottom)

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom


@dataclass(frozen=True)
class Focus:
    """Where the subject is, as fractions of the source (0..1, origin top-left).

    ``width``/``height`` of 0 make it a focal point; anything larger a focal area centred on
    ``(x, y)``.
    """

    x: float
    y: float
    width: float = 0.0
    height: float = 0.0

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
                raise ValueError(f"focus {name} must be a number from 0 to 1, got {value!r}")
        if self.x - self.width / 2 < -1e-9 or self.x + self.width / 2 > 1 + 1e-9:
            raise ValueError("focal area must lie inside the image horizontally")
        if self.y - self.height / 2 < -1e-9 or self.y + self.height / 2 > 1 + 1e-9:
            raise ValueError("focal area must lie inside the image vertically")


@dataclass(frozen=True)
class CropPlan:
    """The source region to cut and how it maps onto the output.

    ``scale`` is output pixels per source pixel (> 1 means upscaling). ``too_small`` is True
    when covering the output would need more upscaling than allowed; ``output_width`` and
    ``output_height`` are then the largest size that respects the limit (same aspect).
    """

    crop: Rect
    scale: float
    too_small: bool
    output_width: int
    output_height: int


def cover_size(source: tuple[int, int], target: tuple[int, int]) -> tuple[float, float]:
    """The largest width x height with the target's aspect ratio that fits inside ``source``."""
    sw, sh = source
    tw, th = target
    if min(sw, sh, tw, th) <= 0:
        raise ValueError("sizes must be positive")
    if sw * th >= sh * tw:  # source is wider than the target: full height, trimmed sides
        return sh * tw / th, float(sh)
    return float(sw), sw * th / tw


def _place(length: float, window: float, centre: float, lo: float, hi: float) -> float:
    """Start of a ``window`` in ``[0, length]``: holds ``[lo, hi]`` if it can, centred on it."""
    if hi - lo <= window:
        start = centre - window / 2
        # Keep the whole focal extent in view even when the centre is near an edge.
        start = min(max(start, hi - window), lo)
    else:
        start = centre - window / 2  # the area is bigger than the window: keep its centre
    return min(max(start, 0.0), length - window)


def cover_crop(source: tuple[int, int], target: tuple[int, int], focus: Focus | None) -> Rect:
    """The cover crop of ``source`` for ``target``'s aspect, around ``focus`` (centre if None)."""
    sw, sh = source
    cw, ch = cover_size(source, target)
    f = focus or Focus(0.5, 0.5)
    left = _place(sw, cw, f.x * sw, (f.x - f.width / 2) * sw, (f.x + f.width / 2) * sw)
    top = _place(sh, ch, f.y * sh, (f.y - f.height / 2) * sh, (f.y + f.height / 2) * sh)
    return Rect(left, top, cw, ch)


def best_window(profile: Sequence[float], window_fraction: float) -> float:
    """Centre (0..1) of the window of relative size ``window_fraction`` with the most energy.

    ``profile`` is energy per equal-width bin along one axis (e.g. column means of an edge
    map). Ties keep the window nearest the middle, so a flat image crops centrally.
    """
    n = len(profile)
    if n == 0 or window_fraction >= 1:
        return 0.5
    bins = max(1, round(window_fraction * n))
    prefix = [0.0]
    for value in profile:
        prefix.append(prefix[-1] + value)
    best_start, best_score, best_offcentre = 0, -1.0, math.inf
    for start in range(n - bins + 1):
        score = prefix[start + bins] - prefix[start]
        offcentre = abs(start + bins / 2 - n / 2)
        if score > best_score + 1e-9 or (
            abs(score - best_score) <= 1e-9 and offcentre < best_offcentre
        ):
            best_start, best_score, best_offcentre = start, score, offcentre
    return (best_start + bins / 2) / n


def salient_focus(
    source: tuple[int, int],
    target: tuple[int, int],
    columns: Sequence[float],
    rows: Sequence[float],
) -> Focus:
    """A focal point from saliency profiles: the best window along the axis that is trimmed."""
    cw, ch = cover_size(source, target)
    x = best_window(columns, cw / source[0]) if cw < source[0] else 0.5
    y = best_window(rows, ch / source[1]) if ch < source[1] else 0.5
    return Focus(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0))


def plan_crop(
    source: tuple[int, int],
    target: tuple[int, int],
    focus: Focus | None,
    *,
    max_upscale: float = DEFAULT_MAX_UPSCALE,
) -> CropPlan:
    """Crop and scale ``source`` to cover ``target``; flags sources too small for it."""
    crop = cover_crop(source, target, focus)
    scale = target[0] / crop.width
    if scale <= max_upscale + 1e-9:
        return CropPlan(crop, scale, False, target[0], target[1])
    # Largest output that needs no more than ``max_upscale``: same aspect as the target.
    width = max(1, math.floor(crop.width * max_upscale))
    height = max(1, math.floor(width * target[1] / target[0]))
    return CropPlan(crop, width / crop.width, True, width, height)


def scale_rect(rect: Rect, sx: float, sy: float) -> Rect:
    """``rect`` in a coordinate system scaled by ``sx``/``sy`` (e.g. after a JPEG draft)."""
    return Rect(rect.left * sx, rect.top * sy, rect.width * sx, rect.height * sy)


def fit_inside(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit ``box`` keeping its aspect (up or down), each side ≥ 1."""
    w, h = size
    scale = min(box[0] / w, box[1] / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def transposed(size: tuple[int, int], swap: bool) -> tuple[int, int]:
    """``size`` with width and height exchanged when ``swap`` (EXIF orientations 5 to 8)."""
    return (size[1], size[0]) if swap else size


WHOLE = Focus(0.5, 0.5, 1.0, 1.0)  # the whole image protected: artwork is never cropped

# A focal *point* protects a square this fraction of the source's short side around it; a
# focal area (or a detected face box) is protected as it is. Either is grown by the margin
# (a fraction of its own size, at least MIN_MARGIN of the short side) so a subject is never
# cut at its edge.
POINT_REGION = 0.2
REGION_MARGIN = 0.12
MIN_MARGIN = 0.02


def focal_region(source: tuple[int, int], focus: Focus) -> Rect:
    """The protected box of ``focus`` in source pixels (without margin), inside the source."""
    sw, sh = source
    side = POINT_REGION * min(sw, sh)
    w = focus.width * sw if focus.width > 0 else side
    h = focus.height * sh if focus.height > 0 else side
    w, h = min(w, sw), min(h, sh)
    left = min(max(focus.x * sw - w / 2, 0.0), sw - w)
    top = min(max(focus.y * sh - h / 2, 0.0), sh - h)
    return Rect(left, top, w, h)


def with_margin(region: Rect, source: tuple[int, int]) -> Rect:
    """``region`` grown by its margin on every side, clipped to the source."""
    pad = max(REGION_MARGIN * max(region.width, region.height), MIN_MARGIN * min(source))
    left, top = max(0.0, region.left - pad), max(0.0, region.top - pad)
    right = min(float(source[0]), region.right + pad)
    bottom = min(float(source[1]), region.bottom + pad)
    return Rect(left, top, right - left, bottom - top)


def _start_free(
    length: float, window: float, scale: float, lo: float, hi: float, keep: tuple[float, float]
) -> float:
    """Start of a ``window`` (source px) so that ``[lo, hi]`` lands in ``keep`` (area px).

    ``scale`` is area px per source px. The window stays on the source (centred on the
    region) as far as that allows; it reaches past the source only to bring the region into
    ``keep``, and a window larger than the source is centred on it.
    """
    a, b = keep
    earliest, latest = hi - b / scale, lo - a / scale
    if window >= length:
        ideal = (length - window) / 2  # centred on the source
    else:
        ideal = min(max((lo + hi) / 2 - (a + b) / 2 / scale, 0.0), length - window)
    return min(max(ideal, earliest), latest)


def fit_whole(
    source: tuple[int, int], area: tuple[int, int], max_upscale: float = math.inf
) -> Rect:
    """The window that shows all of ``source`` in ``area`` (artwork): centred, never cut,
    and scaled up no more than ``max_upscale`` (a small source is shown smaller instead)."""
    scale = min(area[0] / source[0], area[1] / source[1], max_upscale)
    cw, ch = area[0] / scale, area[1] / scale
    return Rect((source[0] - cw) / 2, (source[1] - ch) / 2, cw, ch)


def on_source(
    crop: Rect, source: tuple[int, int], area: tuple[int, int]
) -> tuple[Rect, tuple[int, int, int, int]]:
    """The part of ``crop`` on the source, and where it lands in ``area`` (x, y, w, h)."""
    left, top = max(0.0, crop.left), max(0.0, crop.top)
    right, bottom = min(float(source[0]), crop.right), min(float(source[1]), crop.bottom)
    sx, sy = area[0] / crop.width, area[1] / crop.height
    x0, y0 = round((left - crop.left) * sx), round((top - crop.top) * sy)
    x1, y1 = round((right - crop.left) * sx), round((bottom - crop.top) * sy)
    x0, y0 = min(max(x0, 0), area[0] - 1), min(max(y0, 0), area[1] - 1)
    x1, y1 = max(min(x1, area[0]), x0 + 1), max(min(y1, area[1]), y0 + 1)
    return Rect(left, top, right - left, bottom - top), (x0, y0, x1 - x0, y1 - y0)


def crop_into(
    source: tuple[int, int],
    area: tuple[int, int],
    region: Rect | None,
    keep: tuple[float, float, float, float] | None = None,
) -> Rect:
    """The cover crop of ``source`` for an ``area`` (w, h) holding ``region`` (source px).

    ``keep`` (left, top, right, bottom in area pixels, default the whole area) is where the
    region should land: the part of the photo area inside the platform's safe zone. Without a
    region the crop is centred.
    """
    cw, ch = cover_size(source, area)
    if region is None:
        return Rect((source[0] - cw) / 2, (source[1] - ch) / 2, cw, ch)
    k = keep or (0.0, 0.0, float(area[0]), float(area[1]))
    scale = area[0] / cw
    # A region larger than the area at cover scale: zoom out until it fits (the window then
    # reaches past the source on one axis; the renderer fills that part with a background).
    fit = min((k[2] - k[0]) / region.width, (k[3] - k[1]) / region.height)
    if fit < scale:
        scale = fit
        cw, ch = area[0] / scale, area[1] / scale
        return Rect(
            _start_free(source[0], cw, scale, region.left, region.right, (k[0], k[2])),
            _start_free(source[1], ch, scale, region.top, region.bottom, (k[1], k[3])),
            cw,
            ch,
        )
    # The window may reach past the source (filled there) when that is the only way to bring
    # the region inside ``keep``: a face at the very top of a photo, made into a story whose
    # top 250 px the platform covers, gets filler under the profile bar instead of the face.
    left = _start_free(source[0], cw, scale, region.left, region.right, (k[0], k[2]))
    top = _start_free(source[1], ch, scale, region.top, region.bottom, (k[1], k[3]))
    return Rect(left, top, cw, ch)


def project(rect: Rect, crop: Rect, area: tuple[int, int, int, int]) -> Rect:
    """``rect`` (source px) in frame pixels, for a ``crop`` drawn into ``area`` (x, y, w, h)."""
    sx, sy = area[2] / crop.width, area[3] / crop.height
    return Rect(
        area[0] + (rect.left - crop.left) * sx,
        area[1] + (rect.top - crop.top) * sy,
        rect.width * sx,
        rect.height * sy,
    )
