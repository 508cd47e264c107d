"""Ingest: validate an uploaded file, store it and its derived files, record it as an asset or
as a new version of one. Nothing is left half-written when any step refuses the file."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import anyio
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from assets_hub.backends import Backends
from assets_hub.errors import AppError, Forbidden, PayloadTooLarge, Unprocessable
from assets_hub.media.filenames import display_name
from assets_hub.media.inspect import (
    Inspection,
    Limits,
    hamming,
    inspect_file,
    near_quarters,
    phash_quarters,
)
from assets_hub.media.keys import derived_key, original_key
from assets_hub.media.sniff import PDF, SNIFF_BYTES, MediaType, sniff
from assets_hub.media.strip import stripped_original, stripped_to_temp
from assets_hub.models import Asset, AssetVersion, Campaign, Kind, Status, User
from assets_hub.search.outbox import enqueue_change
from assets_hub.services import audit
from assets_hub.services.metadata import AssetMetadata
from assets_hub.services.rules import check_publishable, publish_problems, refuse_unpublishable
from assets_hub.services.tags import attach_tags
from assets_hub.settings import Settings
from assets_hub.threads import run_blocking
from assets_hub.uploads import LimitFor, SpooledFile

log = logging.getLogger(__name__)
MIB = 1024 * 1024
NEAR_DUPLICATE_BITS = 6  # perceptual-hash distance under which two images look the same
LAZY_STRIP_BYTES = 32 * MIB  # larger PDFs get their member copy on first download
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


def kind_for(media: MediaType, requested: Kind | None) -> Kind:
    """The asset kind, checked against what the file really is."""
    if requested is None:
        return Kind.DOCUMENT if media == PDF else Kind.IMAGE
    if requested in _IMAGE_KINDS and not media.is_image:
        raise Unprocessable(f"A {requested.value.replace('_', ' ')} must be an image, not a PDF.")
    if requested == Kind.DOCUMENT and media != PDF:
        raise Unprocessable("A document (fact sheet) must be a PDF.")
    return requested


@dataclass
class StoredFile:
    """A validated, stored upload: the AssetVersion fields, and what it may duplicate."""

    media: MediaType
    fields: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    # The assets the warnings point at (same file or near-duplicate), for pages to link to.
    similar: list[str] = field(default_factory=list)


async def store_file(backends: Backends, upload: SpooledFile) -> StoredFile:
    """Sniff, check limits, inspect and store the original and its derived files.

    Keys are content-addressed, so storing the same bytes again writes nothing new. Memory
    stays flat for PDFs whatever their size: they are inspected where they lie and their
    stripped copy goes through a temporary file in ``tmp_dir`` (removed when done); images,
    capped far lower, are stripped in memory.
    """
    settings = backends.settings
    if upload.size == 0:
        raise Unprocessable("The file is empty.")
    media = sniff(upload.head[:SNIFF_BYTES])
    _, limit_for = upload_limit_for(settings)
    limit, too_large = limit_for(upload.head)
    if upload.size > limit:
        raise PayloadTooLarge(too_large)
    pool = "pdf" if media == PDF else "pillow"
    inspection: Inspection = await run_blocking(
        pool, inspect_file, upload.file, media, _limits(settings)
    )
    stripped: bytes | BinaryIO | None
    if media == PDF and upload.size > LAZY_STRIP_BYTES:
        # Made on the first library download instead (services.downloads.member_copy): a
        # second full-size write would halve upload throughput for the largest files.
        stripped, stripped_size = None, 0
    elif media == PDF:
        stripped, stripped_size = await run_blocking(
            pool, stripped_to_temp, upload.file, media, settings.tmp_dir
        )
    else:
        stripped = await run_blocking(pool, stripped_original, upload.file, media)
        stripped_size = len(stripped)
    storage = backends.storage
    digest = upload.sha256
    created: list[str] = []  # written by this call: removed again if a later write fails
    try:
        key = original_key(digest)
        if await storage.head(key) is None:
            await run_blocking("files", upload.file.seek, 0)
            await storage.put(key, upload.file, content_type=media.mime, size=upload.size)
            created.append(key)
        derived: dict[str, tuple[str, bytes | BinaryIO | None, str]] = {
            "thumbnail_key": ("thumb-400.webp", inspection.thumbnail, "image/webp"),
            "preview_key": ("preview-1200.webp", inspection.preview, "image/webp"),
            "master_key": (
                "master" + (".png" if inspection.master_media_type == "image/png" else ".jpg"),
                inspection.master,
                inspection.master_media_type or "image/jpeg",
            ),
            "stripped_key": ("original-stripped" + media.extension, stripped, media.mime),
        }
        fields: dict[str, Any] = {
            "storage_key": key,
            "sha256": digest,
            "size": upload.size,
            "media_type": media.mime,
            "width": inspection.width,
            "height": inspection.height,
            "page_count": inspection.page_count,
            "filename": display_name(upload.filename, media.extension, fallback="asset"),
            "master_media_type": inspection.master_media_type,
            "orientation": inspection.orientation or "",
            "dominant_colours": list(inspection.dominant_colours),
            "camera_date": inspection.camera_date,
            "phash": inspection.phash,
            **quarter_fields(inspection.phash),
            "text": inspection.text or "",
            "subject_box": inspection.subject,
            "flat_share": inspection.flat_share,
        }
        for column, (name, data, content_type) in derived.items():
            if data is None:
                fields[column] = None
                continue
            derived_name = derived_key(digest, name)
            if await storage.head(derived_name) is None:
                if isinstance(data, bytes):
                    await storage.put_bytes(derived_name, data, content_type=content_type)
                else:
                    await storage.put(
                        derived_name, data, content_type=content_type, size=stripped_size
                    )
                created.append(derived_name)
            fields[column] = derived_name
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _remove_unreferenced(backends, digest, created)
        raise
    finally:
        if stripped is not None and not isinstance(stripped, bytes):
            await run_blocking("files", stripped.close)
    stored = StoredFile(media, fields)
    stored.warnings, stored.similar = await _duplicate_warnings(digest, inspection.phash)
    return stored


async def _remove_unreferenced(backends: Backends, digest: str, keys: list[str]) -> None:
    """Undo a half-stored upload (disk full, storage gone) so it leaves nothing behind.

    Keys are content-addressed: if a committed version has the same bytes, another upload
    raced this one and owns them. Best effort: what cannot be removed now, gc removes later.
    """
    if not keys:
        return
    try:
        if await AssetVersion.exists(sha256=digest):
            return
    except Exception as exc:  # noqa: BLE001 - the database may be down too; gc decides later
        log.warning("kept %d file(s) of a failed upload for gc: %s", len(keys), exc)
        return
    for key in keys:
        try:
            await backends.storage.delete(key)
        except AppError as exc:
            log.warning("could not remove %s after a failed upload: %s", key, exc.message)


async def _duplicate_warnings(sha256: str, phash: str | None) -> tuple[list[str], list[str]]:
    """(messages, asset ids): the stored asset with the same bytes, or one that looks alike."""
    same = await AssetVersion.filter(sha256=sha256, asset__deleted_at__isnull=True).first()
    if same is not None:
        return [f"The same file is already stored as asset {same.asset_id}."], [str(same.asset_id)]
    if phash:
        # Candidates by index (a quarter or a one-bit neighbour of it), then the exact check.
        lookups: dict[str, Any] = {
            f"phash_q{i}__in": near_quarters(q) for i, q in enumerate(phash_quarters(phash))
        }
        near = Q(*(Q(**{name: values}) for name, values in lookups.items()), join_type="OR")
        # No join and no ordering here: either would lead SQLite to scan the whole table.
        candidates = await AssetVersion.filter(near).order_by("id").values_list("asset_id", "phash")
        alike = [
            a
            for a, other in candidates
            if other and hamming(phash, str(other)) <= NEAR_DUPLICATE_BITS
        ]
        if alike:
            live = set(
                await Asset.filter(id__in=alike, deleted_at__isnull=True).values_list(
                    "id", flat=True
                )
            )
            for asset_id in alike:
                if asset_id in live:
                    message = f"This looks very like asset {asset_id} (a near-duplicate)."
                    return [message], [str(asset_id)]
    return [], []


def quarter_fields(phash: str | None) -> dict[str, int | None]:
    """The indexed quarters of a perceptual hash, as AssetVersion fields."""
    quarters = phash_quarters(phash) if phash else (None, None, None, None)
    return {f"phash_q{i}": quarter for i, quarter in enumerate(quarters)}


async def backfill_phash_quarters(batch: int = 500) -> int:
    """Fill the quarters of versions stored before they existed; how many were filled.

    Runs in the background at start-up; after the first run it finds nothing to do.
    """
    filled = 0
    while True:
        rows = (
            await AssetVersion.filter(phash__isnull=False, phash_q0__isnull=True)
            .limit(batch)
            .values_list("id", "phash")
        )
        if not rows:
            return filled
        for version_id, phash in rows:
            await AssetVersion.filter(id=version_id).update(**quarter_fields(str(phash)))
        filled += len(rows)


async def artwork_to_vary(
    target: uuid.UUID | None, *, own_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    """``target`` when it is an artwork asset another asset may be a variant of; 422 if not."""
    if target is None:
        return None
    if target == own_id or not await Asset.filter(id=target, artwork=True).exists():
        raise Unprocessable("variant_of: no artwork asset with that id (mark it artwork first)")
    return target


async def campaign_by_slug(slug: str | None) -> Campaign | None:
    """The campaign with this slug (None for none); 422 listing the known slugs otherwise."""
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


@dataclass
class UploadResult:
    """The new asset, warnings about it, and the ids of the assets the warnings name."""

    asset: Asset
    warnings: list[str]
    similar: list[str] = field(default_factory=list)


async def upload_asset(
    backends: Backends, upload: SpooledFile, meta: AssetMetadata, *, uploader: User | None
) -> UploadResult:
    """A new asset from one file.

    Order matters: the files go to storage first, then one transaction writes the asset, its
    version, its tags, an audit row and the search-outbox row. If storage fails nothing is
    written to the database; if the database fails the stored blobs are unreferenced
    orphans that `assets-hub gc` removes after its grace period.
    """
    if meta.status is Status.PUBLISHED and uploader is not None:
        from assets_hub.services.lifecycle import four_eyes_on  # late: lifecycle imports us

        if four_eyes_on():  # refused before anything is stored
            raise Forbidden(
                "Four-eyes publishing is on: upload it as a draft, then someone else on the "
                "campaign team publishes it."
            )
    campaign = await campaign_by_slug(meta.campaign)
    variant_of = await artwork_to_vary(meta.variant_of)
    # Everything the metadata can be refused for is checked before the first byte is stored:
    # a refusal must not leave files behind (nor cost a write).
    if upload.size:
        kind = kind_for(sniff(upload.head[:SNIFF_BYTES]), meta.kind)
        draft = _new_asset(meta, kind, None, None, None)
        if meta.status is Status.PUBLISHED:
            refuse_unpublishable(publish_problems(draft))  # a new asset has no composed post
    stored = await store_file(backends, upload)
    kind = kind_for(stored.media, meta.kind)
    now = datetime.now(UTC)
    async with in_transaction():
        asset = _new_asset(meta, kind, campaign, uploader, variant_of)
        await asset.save()
        await attach_tags(asset, meta.tags)
        await AssetVersion.create(asset=asset, number=1, uploaded_by=uploader, **stored.fields)
        if meta.status is not Status.DRAFT:
            if meta.status is Status.PUBLISHED:
                await check_publishable(asset)
                asset.published_at = now
            asset.status = meta.status
            await asset.save(update_fields=["status", "published_at"])
        await audit.record(
            "asset_uploaded",
            actor=uploader,
            target_type="asset",
            target_id=asset.id,
            status=asset.status.value,
            sha256=upload.sha256,
        )
        await enqueue_change(asset.id)
    log.info(
        "upload accepted asset=%s type=%s size=%d sha256=%s dims=%sx%s",
        asset.id,
        stored.media.mime,
        upload.size,
        upload.sha256,
        stored.fields["width"],
        stored.fields["height"],
    )
    await index_soon(backends, asset.id)
    return UploadResult(asset, stored.warnings, stored.similar)


def _new_asset(
    meta: AssetMetadata,
    kind: Kind,
    campaign: Campaign | None,
    uploader: User | None,
    variant_of: uuid.UUID | None,
) -> Asset:
    """The asset as a draft, not yet saved (the publish rules can be checked on it)."""
    return Asset(
        title=meta.title,
        description=meta.description,
        kind=kind,
        status=Status.DRAFT,
        campaign=campaign,
        audience=list(meta.audience),
        alt_text=meta.alt_text,
        credit=meta.credit,
        licence=meta.licence,
        licence_terms=meta.licence_terms,
        licence_expires_at=meta.licence_expires_at,
        language=meta.language,
        embargo_until=meta.embargo_until,
        expires_at=meta.expires_at,
        focal_x=meta.focal_point[0] if meta.focal_point else None,
        focal_y=meta.focal_point[1] if meta.focal_point else None,
        artwork=meta.artwork,
        variant_of=variant_of,
        created_by=uploader,
    )


async def add_version(
    backends: Backends, asset: Asset, upload: SpooledFile, *, uploader: User | None
) -> AssetVersion:
    """Replace an asset's file: a new version; earlier ones stay listed and restorable."""
    stored = await store_file(backends, upload)
    kind_for(stored.media, asset.kind)
    async with in_transaction():
        latest = await AssetVersion.filter(asset=asset).order_by("-number").first()
        number = (latest.number if latest else 0) + 1
        version = await AssetVersion.create(
            asset=asset, number=number, uploaded_by=uploader, **stored.fields
        )
        await Asset.filter(id=asset.id).update(revision=asset.revision + 1)
        await audit.record(
            "version_added",
            actor=uploader,
            target_type="asset",
            target_id=asset.id,
            version=number,
            sha256=upload.sha256,
        )
        await enqueue_change(asset.id)
    await index_soon(backends, asset.id)
    return version


async def index_soon(backends: Backends, asset_id: uuid.UUID) -> None:
    """Make the change searchable before answering, unless search is down (the outbox retries)."""
    try:
        ok = await asyncio.wait_for(
            backends.indexer.index_now(asset_id), timeout=backends.settings.search_timeout_s
        )
    except TimeoutError:
        ok = False
    if not ok:
        backends.indexer.wake()
