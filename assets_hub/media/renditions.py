"""Branded renditions: ``render(request) -> RenderResult``, pure and blocking, and their keys.

Everything that affects the output bytes is in the frozen :class:`RenderRequest`; the function
reads nothing else (no database, storage, clock or settings), so it is cacheable, testable and
benchmarkable. Callers run it in the "pillow" thread pool
(``await run_blocking("pillow", render, request)``) behind single-flight on
:func:`rendition_key` (DOS-01).

Pipeline: open the source (header only) → plan the cover crop around the focus in upright
source pixels → decode (letting libjpeg downscale in the DCT when the source is much larger
than needed) on a second core while this one builds (or reuses) the overlay (band, logo, text,
QR) → move the crop to a saliency estimate when there is no focus → crop+resize in one
reduce()+bicubic pass, in bands of rows on both cores, only where the overlay's opaque band
does not hide the photo → convert to sRGB → lay the overlay on top → encode without metadata,
with an sRGB profile, searching JPEG/WebP quality to meet the preset's byte budget.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from concurrent.futures import wait
from dataclasses import asdict, dataclass, field
from functools import partial
from types import MappingProxyType

from PIL import Image

from assets_hub.branding.brand import Brand, clean_local_fields
from assets_hub.branding.compositor import DoesNotFit, Overlay, apply_overlay, overlay_for
from assets_hub.branding.overlays import DEFAULT_TEMPLATE, Template
from assets_hub.branding.presets import Preset, SafeArea
from assets_hub.errors import Unprocessable
from assets_hub.media import parallel
from assets_hub.media.geometry import Focus, plan_crop, salient_focus
from assets_hub.media.operations import (
    MEDIA_TYPES,
    OutputFormat,
    SourceError,
    crop_resize,
    decode_for,
    encode,
    open_source,
    saliency_profiles,
)

# Bump whenever a change to this pipeline changes output bytes: every key changes with it.
# 3: QR codes with a fixed mask; 1:1 crops copied instead of resampled; only the photo the
#    band leaves visible is resampled (the same pixels to ±1 level of rounding).
ENGINE_VERSION = "3"
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
    * ``preview``: a fast ~600 px version for live editing (not stored, not for download).
    * ``allow_smaller``: when the source is too small, render a smaller image (with a warning)
      instead of raising SourceTooSmall.
    """

    source: bytes | Image.Image = field(repr=False)
    source_version: str
    preset: Preset
    format: OutputFormat = "jpeg"
    focus: Focus | None = None
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
    request: RenderRequest, frame: tuple[int, int], safe: SafeArea, scale: float
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
        )
    except DoesNotFit as exc:
        raise RenderError(str(exc), slot=exc.slot) from None
    except ValueError as exc:  # an unusable logo
        raise RenderError(str(exc)) from None


def check_text_fits(request: RenderRequest) -> None:
    """Lay out the request's text as the download and its preview would, touching no photo
    pixels: RenderError (with ``slot``) when text must be shown and does not fit.

    The customise page asks this before it offers a link, so what it offers downloads.
    """
    for preview in (False, True):
        frame, safe, scale = output_size(request.preset, preview)
        _overlay(dataclasses.replace(request, preview=preview), frame, safe, scale)


def render(request: RenderRequest) -> RenderResult:
    """Make the rendition; RenderError (422) with a reason when it cannot be made as asked."""
    warnings: list[str] = []
    frame, safe, scale = output_size(request.preset, request.preview)
    try:
        source = open_source(request.source)
    except SourceError as exc:
        raise RenderError(str(exc)) from None
    focus = request.focus
    preset = request.preset
    # The size check is always against the full preset (a preview warns about what the
    # download would do). Without a focus the plan is centred for now: only the crop's size
    # matters for decoding; saliency, measured on the decoded pixels below, moves the window.
    full = plan_crop(
        source.upright, (preset.width, preset.height), focus, max_upscale=preset.max_upscale
    )
    if full.too_small:
        message = (
            f"source is {source.upright[0]}×{source.upright[1]} px, too small for "
            f"{preset.name} ({preset.width}×{preset.height}) without upscaling more than "
            f"{preset.max_upscale:g}×"
        )
        if not (request.allow_smaller or request.preview):
            raise SourceTooSmall(message)
        if request.preview:
            warnings.append(message)
        else:
            warnings.append(f"{message}; made at {full.output_width}×{full.output_height}")
            frame = (full.output_width, full.output_height)
            scale = frame[0] / preset.width
    # The decode starts on the render pool while the overlay is drawn here (neither needs the
    # other; Pillow decodes without the GIL). Text that does not fit still fails the render
    # before any pixel is resampled. The photo is resampled only where the overlay's opaque
    # band does not hide it.
    plan = plan_crop(source.upright, frame, focus, max_upscale=float("inf"))
    coverage = PREVIEW_COVERAGE if request.preview else 1.0
    decoding = parallel.start(partial(decode_for, source, plan.crop, frame, coverage=coverage))
    try:
        overlay = _overlay(request, frame, safe, scale)
    finally:
        wait([decoding])  # never leave the decode running on a request that has failed
    try:
        pixels, crop = decoding.result()
    except SourceError as exc:
        raise RenderError(str(exc)) from None
    if focus is None:
        columns, rows = saliency_profiles(pixels)
        guess = salient_focus(pixels.size, frame, columns, rows)
        crop = plan_crop(pixels.size, frame, guess, max_upscale=float("inf")).crop
    image = crop_resize(pixels, crop, frame, visible=overlay.visible if overlay else None)
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
    return RenderResult(
        data=encoded.data,
        media_type=MEDIA_TYPES[request.format],
        width=image.width,
        height=image.height,
        quality=encoded.quality,
        budget_met=encoded.budget_met,
        warnings=tuple(warnings),
    )
