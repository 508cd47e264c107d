"""Assets: upload, read, search and download, with visibility applied everywhere."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from assets_hub.backends import Backends
from assets_hub.errors import NotFound, PayloadTooLarge, Unprocessable
from assets_hub.media.filenames import display_name
from assets_hub.media.inspect import Limits, inspect_file
from assets_hub.media.keys import derived_key, original_key
from assets_hub.media.sniff import BY_MIME, PDF, SNIFF_BYTES, MediaType, sniff
from assets_hub.models import Asset, AssetVersion, Campaign, Kind, Status, Tag
from assets_hub.search.base import SearchPage, SearchQuery
from assets_hub.search.outbox import enqueue_change
from assets_hub.services.metadata import AssetMetadata
from assets_hub.services.visibility import Viewer
from assets_hub.settings import Settings
from assets_hub.threads import run_blocking
from assets_hub.uploads import LimitFor, SpooledFile

log = logging.getLogger(__name__)
MIB = 1024 * 1024
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_IMAGE_KINDS = {Kind.IMAGE, Kind.LOGO, Kind.SOCIAL_POST}


def upload_limit_for(settings: Settings) -> tuple[int, LimitFor]:
    """(largest limit, function from a file's first bytes to its own limit and refusal text)."""

    def limit_for(head: bytes) -> tuple[int, str]:
        if head.startswith(b"%PDF-"):
            limit = settings.max_pdf_upload_mb
            return limit * MIB, f"The PDF is larger than {limit} MiB, the limit for documents."
        limit = settings.max_upload_mb
        return limit * MIB, f"The file is larger than {limit} MiB, the limit for images."

    return max(settings.max_upload_mb, settings.max_pdf_upload_mb) * MIB, limit_for


def _limits(settings: Settings) -> Limits:
    return Limits(
        max_pixels=settings.max_image_pixels,
        max_side_px=settings.max_image_side_px,
        max_frames=settings.max_frames,
        max_pdf_pages=settings.max_pdf_pages,
    )


def _kind_for(media: MediaType, requested: Kind | None) -> Kind:
    if requested is None:
        return Kind.DOCUMENT if media == PDF else Kind.IMAGE
    if requested in _IMAGE_KINDS and not media.is_image:
        raise Unprocessable(f"A {requested.value.replace('_', ' ')} must be an image, not a PDF.")
    if requested == Kind.DOCUMENT and media != PDF:
        raise Unprocessable("A document (fact sheet) must be a PDF.")
    return requested


async def upload_asset(backends: Backends, upload: SpooledFile, meta: AssetMetadata) -> Asset:
    """Validate, store and record one uploaded file as a new asset; nothing is left on failure.

    Order matters: the original goes to storage first, then one transaction writes the asset,
    its version and the search-outbox row. If storage fails nothing is written to the database;
    if the database fails the stored blob is an unreferenced orphan for garbage collection.
    """
    settings = backends.settings
    if upload.size == 0:
        raise Unprocessable("The file is empty.")
    media = sniff(upload.head[:SNIFF_BYTES])
    _, limit_for = upload_limit_for(settings)
    limit, too_large = limit_for(upload.head)
    if upload.size > limit:
        raise PayloadTooLarge(too_large)
    kind = _kind_for(media, meta.kind)
    campaign = await _campaign(meta.campaign)
    pool = "pdf" if media == PDF else "pillow"
    inspection = await run_blocking(pool, inspect_file, upload.file, media, _limits(settings))

    storage = backends.storage
    key = original_key(upload.sha256)
    if await storage.head(key) is None:
        await run_blocking("files", upload.file.seek, 0)
        await storage.put(key, upload.file, content_type=media.mime, size=upload.size)
    thumbnail_key = None
    if inspection.thumbnail is not None:
        thumbnail_key = derived_key(upload.sha256, "thumb-400.webp")
        if await storage.head(thumbnail_key) is None:
            await storage.put_bytes(thumbnail_key, inspection.thumbnail, content_type="image/webp")

    async with in_transaction():
        asset = await Asset.create(
            title=meta.title,
            description=meta.description,
            kind=kind,
            status=meta.status,
            campaign=campaign,
            published_at=datetime.now(UTC) if meta.status == Status.PUBLISHED else None,
        )
        for name in meta.tags:
            tag, _ = await Tag.get_or_create(name=name)
            await asset.tags.add(tag)
        await AssetVersion.create(
            asset=asset,
            number=1,
            storage_key=key,
            sha256=upload.sha256,
            size=upload.size,
            media_type=media.mime,
            width=inspection.width,
            height=inspection.height,
            page_count=inspection.page_count,
            filename=display_name(upload.filename, media.extension, fallback="asset"),
            thumbnail_key=thumbnail_key,
        )
        await enqueue_change(asset.id)
    log.info(
        "upload accepted asset=%s type=%s size=%d sha256=%s dims=%sx%s",
        asset.id,
        media.mime,
        upload.size,
        upload.sha256,
        inspection.width,
        inspection.height,
    )
    await _index_soon(backends, asset.id)
    return asset


async def _index_soon(backends: Backends, asset_id: uuid.UUID) -> None:
    """Make the change searchable before answering, unless search is down (the outbox retries)."""
    try:
        ok = await asyncio.wait_for(
            backends.indexer.index_now(asset_id), timeout=backends.settings.search_timeout_s
        )
    except TimeoutError:
        ok = False
    if not ok:
        backends.indexer.wake()


async def _campaign(slug: str | None) -> Campaign | None:
    if slug is None:
        return None
    campaign = await Campaign.get_or_none(slug=slug)
    if campaign is None:
        slugs = await Campaign.all().order_by("slug").values_list("slug", flat=True)
        known = ", ".join(str(s) for s in slugs)
        raise Unprocessable(
            f"campaign: no campaign with the slug {slug[:100]!r}"
            + (f"; known campaigns: {known}" if known else "; create it first")
        )
    return campaign


async def get_asset(asset_id: str, viewer: Viewer) -> Asset:
    """The asset if the viewer may see it; NotFound otherwise (never confirms hidden ids)."""
    try:
        parsed = uuid.UUID(asset_id)
    except ValueError:
        raise NotFound("No asset with that id.") from None
    asset = await Asset.filter(viewer.asset_filter(), id=parsed).first()
    if asset is None:
        raise NotFound("No asset with that id.")
    await asset.fetch_related("campaign", "tags")
    return asset


async def current_version(asset: Asset) -> AssetVersion:
    version = await AssetVersion.filter(asset=asset).order_by("-number").first()
    if version is None:
        raise NotFound("The asset has no stored file.")
    return version


@dataclass(frozen=True)
class SearchResult:
    """A page of visible assets in engine order, with highlights, total and facets."""

    assets: list[Asset]
    versions: dict[uuid.UUID, AssetVersion]
    highlights: dict[uuid.UUID, dict[str, str]]
    total: int
    facets: dict[str, dict[str, int]]


async def search_assets(backends: Backends, query: SearchQuery, viewer: Viewer) -> SearchResult:
    """Ask the engine, then hydrate from the database and drop anything no longer visible."""
    page: SearchPage = await backends.search.search(query)
    ids = [uuid.UUID(hit.id) for hit in page.hits]
    found = {
        asset.id: asset
        for asset in await Asset.filter(viewer.asset_filter(), id__in=ids).prefetch_related(
            "campaign", "tags"
        )
    }
    ordered = [found[i] for i in ids if i in found]
    versions: dict[uuid.UUID, AssetVersion] = {}
    for version in await AssetVersion.filter(asset_id__in=list(found)).order_by("number"):
        versions[version.asset_id] = version
    highlights = {uuid.UUID(hit.id): hit.highlights for hit in page.hits}
    return SearchResult(ordered, versions, highlights, page.total, page.facets)


async def create_campaign(slug: str, name: str, description: str = "") -> Campaign:
    """Create a campaign; 422 if the slug is malformed or taken."""
    if not _SLUG.fullmatch(slug or ""):
        raise Unprocessable("slug: lower-case letters, digits and hyphens, at most 100 characters")
    if not name.strip() or len(name) > 200 or "\x00" in name:
        raise Unprocessable("name: 1 to 200 characters")
    if await Campaign.exists(slug=slug):
        raise Unprocessable(f"slug: a campaign called {slug!r} already exists")
    return await Campaign.create(slug=slug, name=name.strip(), description=description.strip())


def media_type_of(version: AssetVersion) -> MediaType:
    return BY_MIME[version.media_type]
