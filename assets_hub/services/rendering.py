"""Renditions: resolve a request into the renderer's inputs, serve a stored rendition by its
deterministic key, or render it once (concurrent identical requests share one render), store
it under a key that is never overwritten, and record the download."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import math
import re
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from PIL import Image
from tortoise.context import TortoiseContext

from assets_hub.auth.principal import Principal, viewer_for
from assets_hub.backends import Backends
from assets_hub.branding.brand import Brand
from assets_hub.branding.layout import FitProblem, check_fit, draw_report
from assets_hub.branding.overlays import Template, TemplateError, parse_template
from assets_hub.branding.presets import Preset as RenderPreset
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.media.geometry import WHOLE, Focus
from assets_hub.media.operations import decode_master
from assets_hub.media.renditions import (
    RenderError,
    RenderRequest,
    RenderResult,
    master_suffices,
    render,
    render_with_layout,
    rendition_key,
)
from assets_hub.models import (
    Asset,
    AssetVersion,
    BrandingProfile,
    BrandingProfileVersion,
    OverlayTemplateVersion,
    Preset,
    Rendition,
)
from assets_hub.observability import metrics
from assets_hub.services import downloads
from assets_hub.services.assets import asset_and_version
from assets_hub.services.branding import brand_for, profile_for
from assets_hub.services.inflight import across_processes, single_flight
from assets_hub.services.metadata import licence_needs_credit
from assets_hub.services.presets import active_preset, to_render_preset
from assets_hub.services.visibility import Viewer
from assets_hub.threads import run_blocking

T = TypeVar("T")
MASTER_LONG_SIDE = 2560  # what ingest stores (assets_hub.media.inspect)
_EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}
_DECODED: OrderedDict[str, Image.Image] = OrderedDict()  # small LRU of decoded masters
# 4 masters of 2560x1920 (Pillow keeps RGB in 4 bytes a pixel) are ~80 MB per worker: enough
# for the assets being worked on (a pack of presets, a preview being edited) without holding
# a catalogue in memory.
_DECODED_MAX = 4
_DECODING: dict[str, asyncio.Future[Image.Image]] = {}  # single flight per master decode
# Profile version -> Brand (with logo), keyed by what the Brand is made of as well as the id:
# several apps (databases) may share a process, and their version ids repeat.
_BRANDS: OrderedDict[tuple[object, ...], Brand] = OrderedDict()
_BRANDS_MAX = 64
# Stored rendition rows by key, per database (several apps may share a process): see stored().
_STORED: weakref.WeakKeyDictionary[TortoiseContext, OrderedDict[str, Rendition]] = (
    weakref.WeakKeyDictionary()
)
_STORED_MAX = 4096
_TEMPLATE_CHOICE = "template_choice__template"  # joined to the asset by prepare()
ONLY_IMAGES = "Only images have renditions; download the original instead."


@dataclass(frozen=True)
class RenderAsk:
    """What a caller asked for, straight from the query string (validated here)."""

    asset_id: str
    preset: str
    profile_id: int | None = None
    format: str | None = None
    fields: Mapping[str, str] = dataclasses.field(default_factory=dict)
    preview: bool = False
    # When the source is too small for the preset: a smaller image with a warning (packs,
    # posts) instead of a 422 that says so (a direct request, unless asked).
    allow_smaller: bool = False


@dataclass(frozen=True)
class Prepared:
    """Everything resolved for one rendition; ``request`` has no source bytes yet."""

    asset: Asset
    version: AssetVersion
    preset: Preset
    profile_version: BrandingProfileVersion | None
    request: RenderRequest
    key: str
    source_key: str
    source_is_master: bool

    @property
    def filename(self) -> str:
        stem = re.sub(r"[^A-Za-z0-9]+", "-", self.asset.title).strip("-").lower()[:80] or "asset"
        branded = "-branded" if self.profile_version else ""
        return f"{stem}-{self.preset.key}{branded}{_EXTENSIONS[self.request.format]}"


def _focus(asset: Asset, version: AssetVersion | None = None) -> Focus | None:
    """What the crop protects: artwork whole; else the editors' focal point, which wins over
    the subject found at ingest (faces kept whole; a salient region only centres the crop);
    else None (saliency)."""
    if asset.artwork:
        return WHOLE
    if asset.focal_x is not None and asset.focal_y is not None:
        return Focus(asset.focal_x, asset.focal_y)
    box = version.subject_box if version is not None else None
    if not box:
        return None
    try:
        x, y = float(box["x"]), float(box["y"])  # type: ignore[arg-type]
        w, h = float(box["width"]), float(box["height"])  # type: ignore[arg-type]
        centre = (min(1.0, x + w / 2), min(1.0, y + h / 2))
        if box.get("kind") != "faces":
            # A salient box is where the detail is, often most of a photo: it places the crop
            # but is not kept whole, which would zoom wide and tall formats out behind
            # edge-colour strips instead of filling them.
            return Focus(*centre)
        return Focus(*centre, w, h)
    except (KeyError, TypeError, ValueError):
        return None  # a box from an older detector: crop by saliency instead


def _master_size(version: AssetVersion) -> tuple[int, int]:
    width, height = version.width or 1, version.height or 1
    scale = min(1.0, MASTER_LONG_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


async def closest_variant(
    asset: Asset, version: AssetVersion, preset: RenderPreset
) -> AssetVersion:
    """The current version of whichever of the artwork and its per-aspect variants (assets
    whose ``variant_of`` is it) is closest in shape to ``preset``; the artwork's own metadata
    (licence, credit, consent) still applies."""
    variants = await Asset.filter(variant_of=asset.id, deleted_at=None).values_list("id", flat=True)
    if not variants:
        return version
    candidates = [version]
    for variant_id in variants:
        current = await AssetVersion.filter(asset_id=variant_id).order_by("-number").first()
        if current is not None and current.master_key and current.width and current.height:
            candidates.append(current)
    target = math.log(preset.width / preset.height)

    def distance(v: AssetVersion) -> float:
        return abs(math.log((v.width or 1) / (v.height or 1)) - target)

    return min(candidates, key=distance)  # ties: the artwork itself (first)


async def _template(asset: Asset) -> Template | None:
    # prepare() read the asset with its template choice joined (None: the default template).
    choice = asset.template_choice
    if choice is None:
        return None
    document = await OverlayTemplateVersion.get(
        template_id=choice.template_id, number=choice.template.current_version
    )
    try:
        return parse_template(document.document)
    except TemplateError as exc:  # stored templates were validated; a newer rule may differ
        raise Unprocessable(f"The asset's overlay template is no longer valid: {exc}") from None


def _brand_key(version: BrandingProfileVersion) -> tuple[object, ...]:
    values = tuple(sorted((str(k), str(v)) for k, v in dict(version.values).items()))
    colours = (version.primary, version.secondary, version.text, version.font)
    return (version.id, *colours, values, version.qr_url, version.logo_sha256)


async def brand_of(backends: Backends, version: BrandingProfileVersion) -> Brand:
    key = _brand_key(version)
    cached = _BRANDS.get(key)
    if cached is None:
        cached = await brand_for(backends, version)
        _BRANDS[key] = cached
        while len(_BRANDS) > _BRANDS_MAX:
            _BRANDS.popitem(last=False)
    return cached


async def prepare(
    backends: Backends, principal: Principal | None, ask: RenderAsk, viewer: Viewer | None = None
) -> Prepared:
    """Check access and resolve every input; cheap (no pixels touched)."""
    viewer = viewer or viewer_for(principal)
    asset, version = await asset_and_version(ask.asset_id, viewer, joined=(_TEMPLATE_CHOICE,))
    if not version.master_key:
        raise Unprocessable(ONLY_IMAGES)
    preset = await active_preset(ask.preset)
    channels = asset.consent_channels
    if channels is not None and preset.channel not in channels:
        allowed = ", ".join(channels) or "no channel"
        raise Unprocessable(
            f"The people in this asset consented to {allowed} use only, not {preset.channel}."
        )
    profile_version = None
    brand = None
    if ask.profile_id is not None:
        if principal is None:
            raise NotFound("No branding profile with that id.")
        view = await profile_for(principal, ask.profile_id)  # another library's: 404
        profile_version = view.version
        brand = await brand_of(backends, profile_version)
    render_preset = to_render_preset(preset)
    if asset.artwork:
        version = await closest_variant(asset, version, render_preset)
    master_key = version.master_key
    if not master_key:  # never for a variant: they are chosen only with a master
        raise Unprocessable(ONLY_IMAGES)
    focus = _focus(asset, version)
    use_master = master_suffices(_master_size(version), render_preset, focus)
    width, height = version.width or 0, version.height or 0
    if not use_master and max(width, height) <= MASTER_LONG_SIDE:
        use_master = True  # the original is no larger than the master: nothing to gain
    source_key = master_key if use_master else version.storage_key
    try:
        request = RenderRequest(
            source=b"",
            source_version=f"{version.sha256}:{'master' if use_master else 'original'}",
            preset=render_preset,
            format=ask.format or render_preset.default_format,  # type: ignore[arg-type]
            focus=focus,
            artwork=asset.artwork,
            brand=brand,
            template=await _template(asset) if brand else None,
            local_fields=ask.fields,
            credit_line=asset.credit or None,
            credit_required=licence_needs_credit(asset.licence),
            preview=ask.preview,
            allow_smaller=ask.allow_smaller or ask.preview,
        )
    except RenderError:
        raise
    except (TypeError, ValueError) as exc:
        raise Unprocessable(str(exc)) from None
    return Prepared(
        asset,
        version,
        preset,
        profile_version,
        request,
        rendition_key(request),
        source_key,
        use_master,
    )


async def _source(backends: Backends, prepared: Prepared) -> bytes | Image.Image:
    """The original's bytes, or the decoded working master from a small per-process LRU.

    A decoded master saves its decode (~20-25 ms for 2560 px) on every later rendition and
    preview of the asset; concurrent first requests for different presets of one asset (a
    pack, a preview being edited) share a single decode instead of each making their own.
    """
    key = prepared.source_key
    if not prepared.source_is_master:
        return await backends.storage.read_bytes(key)
    decoded = _DECODED.get(key)
    if decoded is not None:
        _DECODED.move_to_end(key)
        return decoded
    pending = _DECODING.get(key)
    if pending is None or pending.get_loop() is not asyncio.get_running_loop():
        pending = asyncio.ensure_future(_decode(backends, key))
        _DECODING[key] = pending
        pending.add_done_callback(
            lambda done: _DECODING.pop(key) if _DECODING.get(key) is done else None
        )
    return await asyncio.shield(pending)


async def _decode(backends: Backends, key: str) -> Image.Image:
    data = await backends.storage.read_bytes(key)
    decoded = await run_blocking("pillow", decode_master, data)
    _DECODED[key] = decoded
    while len(_DECODED) > _DECODED_MAX:
        _DECODED.popitem(last=False)
    return decoded


async def render_now(backends: Backends, prepared: Prepared) -> RenderResult:
    """Render in a worker thread (bounded by the Pillow pool: never more than the cores)."""
    with metrics.RENDER_DURATION.time():
        source = await _source(backends, prepared)
        request = dataclasses.replace(prepared.request, source=source)
        return await run_blocking("pillow", render, request)


def fit_problems(request: RenderRequest) -> list[FitProblem]:
    """The renderer's own fit check for a rendition (``prepare(...).request``); no pixels.

    [] when its text fits; otherwise each problem names the slot and the field to shorten
    (see :func:`assets_hub.branding.layout.check_fit`). Unbranded requests always fit.
    """
    if request.brand is None:
        return []
    return check_fit(
        request.brand,
        request.local_fields,
        [request.preset],
        template=request.template,
        credit=request.credit_line,
        credit_required=request.credit_required,
    )


async def layout_now(backends: Backends, prepared: Prepared) -> dict[str, object]:
    """The layout report of the rendition ``prepared`` names (rendered, not stored): the boxes
    of photo area, focal region, band, logo, QR code and each line of text (issue 15)."""
    source = await _source(backends, prepared)
    request = dataclasses.replace(prepared.request, source=source)
    _, report = await run_blocking("pillow", render_with_layout, request)
    report["asset_id"] = str(prepared.asset.id)
    report["preset"] = prepared.preset.key
    return report


async def layout_overlay_now(backends: Backends, prepared: Prepared) -> bytes:
    """The rendition as PNG with its layout report's boxes outlined (for editors' previews)."""
    source = await _source(backends, prepared)
    request = dataclasses.replace(prepared.request, source=source)

    def draw() -> bytes:
        result, report = render_with_layout(request)
        with Image.open(io.BytesIO(result.data)) as image:
            out = io.BytesIO()
            draw_report(image, report).save(out, "PNG", compress_level=1)
        return out.getvalue()

    return await run_blocking("pillow", draw)


async def fit_problems_now(prepared: Prepared) -> list[FitProblem]:
    """:func:`fit_problems` for a prepared rendition, in a worker thread (it lays out text)."""
    return await run_blocking("pillow", fit_problems, prepared.request)


def storage_key_for(key: str, fmt: str) -> str:
    extension = _EXTENSIONS.get(fmt, f".{fmt}")
    return f"renditions/{key[:2]}/{key}{extension}"


async def stored(prepared: Prepared, backends: Backends) -> Rendition | None:
    """The stored rendition for ``prepared.key``, or None.

    Rows found are remembered per database: a row is never changed once written (same key,
    same bytes) and is deleted only when its asset is purged, which :func:`prepare` refuses
    before any lookup; so a repeated download skips this query.
    """
    cache = _STORED.get(backends.database)
    found = cache.get(prepared.key) if cache is not None else None
    if found is not None and cache is not None:
        cache.move_to_end(prepared.key)
        return found
    found = await Rendition.get_or_none(key=prepared.key)
    if found is not None:
        _remember(backends, found)
    return found


def _remember(backends: Backends, rendition: Rendition) -> None:
    cache = _STORED.get(backends.database)
    if cache is None:
        cache = _STORED[backends.database] = OrderedDict()
    cache[rendition.key] = rendition
    while len(cache) > _STORED_MAX:
        cache.popitem(last=False)


async def get_or_render(
    backends: Backends,
    prepared: Prepared,
    *,
    before_render: Callable[[], Awaitable[Any]] | None = None,
) -> Rendition:
    """The stored rendition, rendering and storing it first if needed — once per key at a time.

    ``before_render`` runs only when a render is really needed (quota checks).
    """
    found = await stored(prepared, backends)
    metrics.RENDITION_CACHE.labels("miss" if found is None else "hit").inc()
    if found is not None:
        return found
    return await single_flight(
        backends, prepared.key, lambda: _render_and_store(backends, prepared), before_render
    )


async def _render_and_store(backends: Backends, prepared: Prepared) -> Rendition:
    # Replicas asked at once wait for the one that renders (single flight across processes).
    async with across_processes(backends, f"render:{prepared.key}"):
        return await _render_and_store_locked(backends, prepared)


async def _render_and_store_locked(backends: Backends, prepared: Prepared) -> Rendition:
    found = await stored(prepared, backends)  # another process may have finished it meanwhile
    if found is not None:
        return found
    result = await render_now(backends, prepared)
    key = storage_key_for(prepared.key, prepared.request.format)
    # One PutObject (or link) of the whole file: a failure leaves nothing half-written, and
    # keys are never overwritten (same key, same bytes).
    await backends.storage.put_bytes(key, result.data, content_type=result.media_type)
    rendition, _ = await Rendition.get_or_create(
        key=prepared.key,
        defaults={
            "asset": prepared.asset,
            "version": prepared.version.number,
            "preset": prepared.preset.key,
            "profile_version": prepared.profile_version,
            "format": prepared.request.format,
            "media_type": result.media_type,
            "storage_key": key,
            "size": len(result.data),
            "width": result.width,
            "height": result.height,
            "warnings": list(result.warnings),
        },
    )
    _remember(backends, rendition)
    return rendition


async def record(
    principal: Principal | None,
    prepared: Prepared,
    *,
    library_id: int | None,
    filename: str | None = None,
) -> None:
    """The download event: asset, version, library, preset, branded; no personal data.

    ``filename``: the name the library got, when not the download's own (a pack's path).
    """
    if principal is None and library_id is None:
        return
    await downloads.record_event(
        prepared.asset,
        prepared.version,
        library_id=library_id,
        preset=prepared.preset.key,
        branded=prepared.profile_version is not None,
        filename=filename or prepared.filename,
    )


async def profile_library(profile_version: BrandingProfileVersion | None) -> int | None:
    if profile_version is None:
        return None
    profile = await BrandingProfile.get(id=profile_version.profile_id)
    return profile.library_id
