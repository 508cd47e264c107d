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
