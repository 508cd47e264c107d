"""Branded renditions: ``render(request) -> RenderResult``, pure and blocking, and their keys.

Everything that affects the output bytes is in the frozen :class:`RenderRequest`; the function
reads nothing else (no database, storage, clock or settings), so it is cacheable, testable and
benchmarkable. Callers run it in the "pillow" thread pool
(``await run_blocking("pillow", render, request)``) behind single-flight on
:func:`rendition_key` (DOS-01).

Pipeline: open the source (header only) → lay out the frame (:mod:`~assets_hub.branding.layout`:
the band beside the photo, as tall as its content) and crop the source into the photo area
around the focal region with a margin, inside the safe zone; if a plate would cover the
region, move it to the other side or into the band → decode (letting libjpeg downscale in
the DCT when the source is much larger than needed) on a second core while this one draws
(or reuses) the overlay → move the crop to a saliency estimate when there is no focus →
crop+resize in one reduce()+bicubic pass, in bands of rows on both cores; artwork and
regions larger than the area are fitted whole on their edge colours → convert to sRGB →
copy the overlay's opaque pieces on → encode without metadata, with an sRGB profile,
searching JPEG/WebP quality to meet the preset's byte budget. :func:`render_with_layout`
also returns the layout report (the boxes the rules are checked on).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from concurrent.futures import wait
from dataclasses import asdict, dataclass, field
from functools import partial
from types import MappingProxyType

from PIL import Image

from assets_hub.branding.brand import Brand, clean_local_fields
from assets_hub.branding.compositor import DoesNotFit, Overlay, apply_overlay, overlay_for
from assets_hub.branding.layout import (
    PLACEMENTS,
    Layout,
    Placement,
    layout_for,
    layout_report,
    overlaps,
)
from assets_hub.branding.layout import Rect as Rect4
from assets_hub.branding.overlays import DEFAULT_TEMPLATE, Template
from assets_hub.branding.presets import Preset, SafeArea
from assets_hub.errors import Unprocessable
from assets_hub.media import parallel
from assets_hub.media.geometry import (
    Focus,
    Rect,
    crop_into,
    fit_whole,
    focal_region,
    on_source,
    plan_crop,
    project,
    salient_focus,
    with_margin,
)
from assets_hub.media.operations import (
    MEDIA_TYPES,
    OutputFormat,
    SourceError,
    crop_resize,
    decode_for,
    edge_colour,
    encode,
    open_source,
    saliency_profiles,
)

# Bump whenever a change to this pipeline changes output bytes: every key changes with it.
# 3: QR codes with a fixed mask; 1:1 crops copied instead of resampled; only the photo the
#    band leaves visible is resampled (the same pixels to ±1 level of rounding).
# 4: the layout engine (issue 15): the photo in the area the band leaves, cropped around the
#    focal region; type hierarchy, content-tall band, plates moved off the subject.
ENGINE_VERSION = "4"
PREVIEW_LONG_SIDE = 600
# A preview may be decoded with up to 1/0.75 = 1.33 times fewer pixels per side than it shows:
# on a 2560 px master that means libjpeg's 1/4 scale instead of 1/2 for most presets (a
# quarter of the pixels to decode), slightly soft at 600 px but never seen at full size.
PREVIEW_COVERAGE = 0.75
MAX_CREDIT_LENGTH = 300


class RenderError(Unprocessable):
    """A rendition that cannot be made as asked (422), with the reason; ``slot`` if text."""

    def __init__(self, message: str, *, slot: str | None = None) -> None:
        super().__init__(message)
        self.slot = slot


class SourceTooSmall(RenderError):
    """The source would need more upscaling than the preset allows."""


@dataclass(frozen=True)
class RenderRequest:
    """Everything a rendition depends on.

    * ``source``: encoded image bytes: the working master (preferred) or the original when the
      master is too small for the preset (see :func:`master_suffices`); or a working master
      already decoded by :func:`~assets_hub.media.operations.decode_master` (never mutated).
      ``source_version`` must identify those pixels (e.g. the asset version's content hash
      plus "master"/"original"): the key trusts it instead of hashing megabytes.
    * ``brand``: the profile version; None renders an unbranded crop.
    * ``template``: None uses :data:`DEFAULT_TEMPLATE` (ignored when ``brand`` is None).
    * ``local_fields``: event title/date/time/custom typed by the library (validated here).
    * ``credit_line`` / ``credit_required``: licence credit; required credits that cannot be
      drawn refuse the render instead of silently dropping it.
    * ``artwork``: fit the whole image into the photo area on its edge colour, never cropped
      and never refused for size (it is shown smaller instead of upscaled past the limit).
    * ``preview``: a fast ~600 px version for live editing (not stored, not for download).
    * ``allow_smaller``: when the source is too small, render a smaller image (with a warning)
      instead of raising SourceTooSmall.
    """

    source: bytes | Image.Image = field(repr=False)
    source_version: str
    preset: Preset
    format: OutputFormat = "jpeg"
    focus: Focus | None = None
    artwork: bool = False
    brand: Brand | None = None
    template: Template | None = None
    local_fields: Mapping[str, str] = field(default_factory=dict)
    credit_line: str | None = None
    credit_required: bool = False
    preview: bool = False
    allow_smaller: bool = False

    def __post_init__(self) -> None:
        if self.format not in self.preset.formats:
            raise RenderError(
                f"format {self.format!r} is not offered for preset {self.preset.key!r}; "
                f"choose one of: {', '.join(self.preset.formats)}"
            )
        try:
            fields = clean_local_fields(self.local_fields)
        except ValueError as exc:
            raise RenderError(str(exc)) from None
        object.__setattr__(self, "local_fields", MappingProxyType(dict(fields)))
        if self.credit_line is not None and len(self.credit_line) > MAX_CREDIT_LENGTH:
            raise RenderError(f"credit line is longer than {MAX_CREDIT_LENGTH} characters")


@dataclass(frozen=True)
class RenderResult:
    """The encoded rendition and what the caller should know about it."""

    data: bytes = field(repr=False)
    media_type: str
    width: int
    height: int
    quality: int | None
    budget_met: bool | None  # None: the preset has no byte budget
    warnings: tuple[str, ...]


def _key_material(request: RenderRequest) -> dict[str, object]:
    brand = request.brand
    template = (request.template or DEFAULT_TEMPLATE) if brand is not None else None
    return {
        "engine": ENGINE_VERSION,
        "source": request.source_version,
        "preset": asdict(request.preset),
        "format": request.format,
        "focus": asdict(request.focus) if request.focus else None,
        "artwork": request.artwork,
        "brand": brand.fingerprint() if brand else None,
        "template": template.fingerprint if template else None,
        "fields": sorted(request.local_fields.items()),
        "credit": request.credit_line,
        "credit_required": request.credit_required,
        "preview": request.preview,
        "allow_smaller": request.allow_smaller,
    }


def rendition_key(request: RenderRequest) -> str:
    """SHA-256 (hex) of everything that affects the bytes, plus ENGINE_VERSION (IMG-10).

    The source is identified by ``source_version`` (not hashed byte by byte, so computing a
    key for a stored rendition costs microseconds); the brand by its fingerprint, which covers
    the profile version, colours, font, fields, QR URL and the logo's SHA-256.
    """
    material = json.dumps(_key_material(request), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def master_suffices(master_size: tuple[int, int], preset: Preset, focus: Focus | None) -> bool:
    """True when rendering ``preset`` from the working master needs no more than 1.0 scale.

    When False, the caller should pass the original (if it is larger) for a sharper result.
    """
    plan = plan_crop(master_size, (preset.width, preset.height), focus, max_upscale=1.0)
    return not plan.too_small


def output_size(preset: Preset, preview: bool) -> tuple[tuple[int, int], SafeArea, float]:
    """Frame size, safe area and scale for a preset (scaled down for previews)."""
    if not preview:
        return (preset.width, preset.height), preset.safe_area, 1.0
    scale = min(1.0, PREVIEW_LONG_SIDE / max(preset.width, preset.height))
    s = preset.safe_area
    safe = SafeArea(*(round(v * scale) for v in (s.top, s.right, s.bottom, s.left)))
    return (max(1, round(preset.width * scale)), max(1, round(preset.height * scale))), safe, scale


def _overlay(
    request: RenderRequest,
    frame: tuple[int, int],
    safe: SafeArea,
    scale: float,
    placement: Placement,
) -> Overlay | None:
    """The request's overlay (cached per brand, template, frame and fields); None unbranded."""
    if request.brand is None:
        return None
    try:
        return overlay_for(
            request.brand,
            request.template or DEFAULT_TEMPLATE,
            frame,
            safe,
            request.local_fields,
            request.credit_line,
            credit_required=request.credit_required,
            preview=request.preview,
            scale=scale,
            placement=placement,
        )
    except DoesNotFit as exc:
        raise RenderError(str(exc), slot=exc.slot) from None
    except ValueError as exc:  # an unusable logo
        raise RenderError(str(exc)) from None


@dataclass(frozen=True)
class PhotoPlan:
    """Where the photo goes and which part of the source fills it."""

    layout: Layout | None
    area: Rect4  # the photo area in the frame (x, y, w, h)
    crop: Rect  # upright source pixels
    region: Rect | None  # the protected focal region (source px), None without a focus
    focal: Rect | None  # the focal region in frame pixels


def _layout(
    request: RenderRequest, frame: tuple[int, int], safe: SafeArea, scale: float, p: Placement
) -> Layout | None:
    if request.brand is None:
        return None
    try:
        return layout_for(
            request.brand,
            request.template or DEFAULT_TEMPLATE,
            frame,
            safe,
            request.local_fields,
            request.credit_line,
            credit_required=request.credit_required,
            preview=request.preview,
            scale=scale,
            placement=p,
        )
    except DoesNotFit:
        if p == "band":
            raise
        return None


def plan_photo(
    request: RenderRequest,
    source: tuple[int, int],
    frame: tuple[int, int],
    safe: SafeArea,
    scale: float,
) -> PhotoPlan:
    """The layout and the photo's crop: the focal region inside the photo area, clear of
    every plate (a plate is moved to the other side of the photo, or into the band)."""
    region = focal_region(source, request.focus) if request.focus else None
    guarded = with_margin(region, source) if region else None
    last: PhotoPlan | None = None
    for placement in PLACEMENTS:
        try:
            layout = _layout(request, frame, safe, scale, placement)
        except DoesNotFit as exc:
            raise RenderError(str(exc), slot=exc.slot) from None
        if layout is None and request.brand is not None:
            continue  # the photo's text does not fit on a plate here: the next placement
        area = layout.photo if layout else (0, 0, *frame)
        live = layout.live if layout else (0, 0, *frame)
        keep = (
            max(0, live[0] - area[0]),
            max(0, live[1] - area[1]),
            min(area[2], live[0] + live[2] - area[0]),
            min(area[3], live[1] + live[3] - area[1]),
        )
        if request.artwork:
            crop = fit_whole(source, (area[2], area[3]), request.preset.max_upscale)
        else:
            crop = crop_into(source, (area[2], area[3]), guarded, keep)
        focal = project(region, crop, area) if region else None
        last = PhotoPlan(layout, area, crop, region, focal)
        plates = layout.plates if layout else ()
        shield = project(guarded, crop, area) if guarded else None
        if shield is None or not any(overlaps(p, _pixels(shield)) for p in plates):
            return last
    if last is None:  # unreachable: the band placement has no plates
        raise RenderError("no layout fits this frame")
    return last


def _pixels(rect: Rect) -> Rect4:
    left, top = int(rect.left), int(rect.top)
    return left, top, max(1, round(rect.right) - left), max(1, round(rect.bottom) - top)


def _photo(pixels: Image.Image, crop: Rect, out: tuple[int, int]) -> Image.Image:
    """The crop resized to ``out``; where the window reaches past the source (a subject
    zoomed out to stay whole, artwork fitted whole) the rest is the source's edge colour."""
    inside = (
        crop.left >= -0.5
        and crop.top >= -0.5
        and crop.right <= pixels.width + 0.5
        and crop.bottom <= pixels.height + 0.5
    )
    if inside:
        return crop_resize(pixels, crop, out)
    part, (x, y, w, h) = on_source(crop, pixels.size, out)
    scaled = crop_resize(pixels, part, (w, h))
    canvas = Image.new(scaled.mode, out, edge_colour(scaled))
    # Each gap takes the colour of the edge it continues: a banner's top strip runs on above
    # it and its bottom strip below, instead of one muddy average all round.
    sides = {
        (0, 0, out[0], y): scaled.crop((0, 0, w, 1)),
        (0, y + h, out[0], out[1]): scaled.crop((0, h - 1, w, h)),
        (0, y, x, y + h): scaled.crop((0, 0, 1, h)),
        (x + w, y, out[0], y + h): scaled.crop((w - 1, 0, w, h)),
    }
    for (left, top, right, bottom), edge in sides.items():
        if right > left and bottom > top:
            canvas.paste(edge_colour(edge), (left, top, right, bottom))
    canvas.paste(scaled, (x, y))
    return canvas


def render(request: RenderRequest) -> RenderResult:
    """Make the rendition; RenderError (422) with a reason when it cannot be made as asked."""
    return _render(request)[0]


def render_with_layout(request: RenderRequest) -> tuple[RenderResult, dict[str, object]]:
    """:func:`render` and the layout report of what it drew (see ``layout_report``)."""
    return _render(request)


def _render(request: RenderRequest) -> tuple[RenderResult, dict[str, object]]:
    warnings: list[str] = []
    frame, safe, scale = output_size(request.preset, request.preview)
    try:
        source = open_source(request.source)
    except SourceError as exc:
        raise RenderError(str(exc)) from None
    preset = request.preset
    # The size check is always against the full preset's photo area (a preview warns about
    # what the download would do).
    full_frame, full_safe, _ = output_size(preset, False)
    full = plan_photo(request, source.upright, full_frame, full_safe, 1.0)
    area_scale = full.area[2] / full.crop.width
    if area_scale > preset.max_upscale + 1e-9:
        message = (
            f"source is {source.upright[0]}×{source.upright[1]} px, too small for "
            f"{preset.name} ({preset.width}×{preset.height}) without upscaling more than "
            f"{preset.max_upscale:g}×; upload a photo of at least "
            f"{math.ceil(source.upright[0] * area_scale / preset.max_upscale)}×"
            f"{math.ceil(source.upright[1] * area_scale / preset.max_upscale)} px, "
            "or mark the asset as artwork if it is a poster or banner (fitted whole)"
        )
        if not (request.allow_smaller or request.preview):
            raise SourceTooSmall(message)
        if request.preview:
            warnings.append(message)
        else:
            shrink = preset.max_upscale / area_scale
            width = max(16, math.floor(preset.width * shrink))
            frame = (width, max(16, math.floor(width * preset.height / preset.width)))
            warnings.append(f"{message}; made at {frame[0]}×{frame[1]}")
            # The whole layout scales with the smaller frame, its pixel floors too (a
            # 512 px source cannot carry a story's text at full-size floors).
            scale = frame[0] / preset.width
            s = preset.safe_area
            safe = SafeArea(*(round(v * scale) for v in (s.top, s.right, s.bottom, s.left)))
    plan = (
        full if (frame == full_frame) else plan_photo(request, source.upright, frame, safe, scale)
    )
    out = (plan.area[2], plan.area[3])
    # The decode starts on the render pool while the overlay is drawn here (neither needs the
    # other; Pillow decodes without the GIL).
    coverage = PREVIEW_COVERAGE if request.preview else 1.0
    decoding = parallel.start(partial(decode_for, source, plan.crop, out, coverage=coverage))
    try:
        placement = plan.layout.placement if plan.layout else "template"
        overlay = _overlay(request, frame, safe, scale, placement)
    finally:
        wait([decoding])  # never leave the decode running on a request that has failed
    try:
        pixels, crop = decoding.result()
    except SourceError as exc:
        raise RenderError(str(exc)) from None
    if request.focus is None:
        columns, rows = saliency_profiles(pixels)
        guess = salient_focus(pixels.size, out, columns, rows)
        crop = plan_crop(pixels.size, out, guess, max_upscale=float("inf")).crop
    photo = _photo(pixels, crop, out)
    if out == frame:
        image = photo
    else:
        image = Image.new(photo.mode, frame)
        image.paste(photo, plan.area[:2])
    if overlay is not None:
        apply_overlay(image, overlay)
        warnings.extend(overlay.warnings)
    budget = None if request.preview else request.preset.byte_budget
    encoded = encode(
        image, request.format, budget=budget, dpi=request.preset.dpi, fast=request.preview
    )
    if encoded.budget_met is False:
        warnings.append(
            f"{len(encoded.data):,} bytes exceeds the {request.preset.name} budget of "
            f"{budget:,} bytes even at quality {encoded.quality}"
        )
    report = layout_report(
        plan.layout,
        frame,
        safe,
        photo=plan.area,
        focal=_pixels(plan.focal) if plan.focal else None,
    )
    report["warnings"] = list(warnings)
    result = RenderResult(
        data=encoded.data,
        media_type=MEDIA_TYPES[request.format],
        width=image.width,
        height=image.height,
        quality=encoded.quality,
        budget_met=encoded.budget_met,
        warnings=tuple(warnings),
    )
    return result, report
