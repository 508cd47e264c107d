"""Campaign packs: the plan (shared by the streamed answer and the background builder), the
queue of large packs, and the worker that builds them into storage.

A pack of at most ``pack_sync_max_renditions`` branded images streams straight away
(:func:`plan_campaign_pack` then :func:`assets_hub.social.packs.stream_pack`). A larger one
becomes a :class:`PackJob` and a ``pack-build`` task on the queue (:mod:`assets_hub.tasks`);
the task claims the job, streams the same plan into an anonymous
temporary file (memory stays flat; the file vanishes when closed, even after a crash), stores
it under a fresh ``packs/<uuid>/<name>.zip`` key and marks the job ready until
``pack_keep_hours`` have passed. A failure marks the job failed with a message people can read
and keeps nothing. Jobs left building by a process that stopped are retried once, then failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from tortoise.expressions import Q

from assets_hub.auth.principal import Principal, viewer_for
from assets_hub.backends import Backends
from assets_hub.errors import AppError, NotFound, TooManyRequests, Unprocessable
from assets_hub.models import (
    Asset,
    AssetVersion,
    BrandingProfile,
    Campaign,
    Kind,
    PackJob,
    PackStatus,
    SocialPost,
    User,
)
from assets_hub.services import posts, rendering
from assets_hub.services.branding import profile_for
from assets_hub.services.metadata import licence_needs_credit
from assets_hub.services.presets import active_preset
from assets_hub.services.rendering import RenderAsk
from assets_hub.services.visibility import Viewer, utcnow
from assets_hub.social.packs import (
    TEXT_FILES,
    PackAborted,
    PackPlan,
    PackTooLarge,
    build_campaign_pack,
    stream_pack,
)
from assets_hub.social.packtext import PackFile, PackImage, PackPost
from assets_hub.social.platforms import PLATFORMS
from assets_hub.threads import run_blocking

log = logging.getLogger(__name__)

POLL_S = 5.0  # the pack-sweep task's period: a queued job is never forgotten for longer
STALE_AFTER = timedelta(minutes=15)  # a building job with no heartbeat for this long was lost
HEARTBEAT_S = 30.0  # while building, the job's updated_at moves at least this often
PROGRESS_S = 1.0  # progress is written at most this often
MAX_ATTEMPTS = 2  # a job lost by a stopped process is tried again once
MAX_ACTIVE_PER_USER = 3  # packs one person may have waiting or building at once (DOS-01)
ACTIVE = (PackStatus.QUEUED, PackStatus.BUILDING)
CAP_SETTING = "ASSETS_HUB_PACK_MAX_RENDITIONS"
DOCUMENTS_FOLDER = "documents"  # branded fact sheets and case studies in a pack
GENERIC_FAILURE = "Something went wrong on our side while building it"

OnRendition = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class CampaignPack:
    """A checked pack plan and how many branded images it holds."""

    plan: PackPlan
    renditions: int


class PackFailed(Exception):
    """A job that cannot be built; the message is shown to the person who asked."""


def _rendition_source(
    backends: Backends,
    principal: Principal,
    asset_id: str,
    preset: str,
    profile_id: int,
    on_rendition: OnRendition | None,
    names: dict[int, str],
) -> Callable[[], AsyncIterator[bytes]]:
    """Rendered lazily while the zip is written: memory stays flat, nothing is built up front.

    ``names`` (filled once the pack is planned) gives each source its path in the pack: the
    download is recorded under that name, so a takedown notice names the file as saved.
    """

    async def chunks() -> AsyncIterator[bytes]:
        ask = RenderAsk(asset_id, preset, profile_id, allow_smaller=True)
        prepared = await rendering.prepare(backends, principal, ask)
        rendition = await rendering.get_or_render(backends, prepared)
        await rendering.record(
            principal, prepared, library_id=principal.library_id, filename=names.get(id(chunks))
        )
        async for chunk in backends.storage.read(rendition.storage_key):
            yield chunk
        if on_rendition is not None:
            await on_rendition()

    return chunks


def _document_source(
    backends: Backends,
    principal: Principal,
    asset: Asset,
    fmt: str,
    profile_id: int,
    on_rendition: OnRendition | None,
) -> Callable[[], AsyncIterator[bytes]]:
    """A fact sheet or case study branded for the library, made while the zip is written."""

    async def chunks() -> AsyncIterator[bytes]:
        from assets_hub.services import documents  # late: documents imports rendering too

        version = await AssetVersion.filter(asset=asset).order_by("-number").first()
        job = await documents.prepare_document(
            backends, principal, asset, version, profile_id, fmt, {}
        )
        made = await documents.get_or_make(backends, job)
        async for chunk in backends.storage.read(made.storage_key):
            yield chunk
        if on_rendition is not None:
            await on_rendition()

    return chunks


def _too_many(count: int, cap: int) -> Unprocessable:
    return Unprocessable(
        f"This pack would need {count} images, over the limit of {cap} "
        f"({CAP_SETTING}); choose fewer sizes."
    )


async def plan_campaign_pack(
    backends: Backends,
    principal: Principal,
    viewer: Viewer,
    campaign: Campaign,
    profile_id: int,
    values: dict[str, str],
    presets: list[str],
    *,
    max_renditions: int,
    on_rendition: OnRendition | None = None,
) -> CampaignPack:
    """Every usable asset and post of ``campaign`` for the viewer, in ``presets``; nothing is
    rendered yet. Over ``max_renditions`` images, or over the pack caps: 422."""
    usable = await Asset.filter(viewer.asset_filter(), campaign=campaign).order_by("title")
    post_ids = set(
        await SocialPost.filter(asset_id__in=[a.id for a in usable]).values_list(
            "asset_id", flat=True
        )
    )
    kinds = (Kind.IMAGE, Kind.SOCIAL_POST)
    images = [a for a in usable if a.kind in kinds and a.id not in post_ids]
    post_assets = [a for a in usable if a.id in post_ids]
    if len(images) * len(presets) > max_renditions:  # a lower bound: refuse before any work
        raise _too_many(len(images) * len(presets), max_renditions)
    labels = {}
    for key in presets:
        preset = await active_preset(key)  # unknown preset: 404 listing the valid ones
        labels[key] = f"{preset.name} ({preset.width} × {preset.height} pixels)"
    labels[DOCUMENTS_FOLDER] = "fact sheets and case studies, with your branding"
    made: dict[object, list[PackFile]] = {}
    names: dict[int, str] = {}  # id(source) -> its path in the pack, once planned

    def files(asset: Asset) -> list[PackFile]:
        """One list per asset: a photo in two posts (or also on its own) is packed once."""
        if asset.id not in made:
            made[asset.id] = [
                PackFile(
                    key,
                    "jpg",
                    _rendition_source(
                        backends, principal, str(asset.id), key, profile_id, on_rendition, names
                    ),
                )
                for key in presets
            ]
        return made[asset.id]

    def document_files(asset: Asset) -> list[PackFile]:
        formats = ("pdf", "docx") if asset.kind is Kind.CASE_STUDY else ("pdf",)
        return [
            PackFile(
                DOCUMENTS_FOLDER,
                fmt,
                _document_source(backends, principal, asset, fmt, profile_id, on_rendition),
            )
            for fmt in formats
        ]

    def credit(asset: Asset) -> str | None:
        return asset.credit if licence_needs_credit(asset.licence) else None

    pack_posts = []
    for post_asset in post_assets:
        captions = {}
        post_images: list[PackImage] = []
        for key, rules in PLATFORMS.items():
            try:
                filled = await posts.fill_post(post_asset, key, values, viewer)
            except Unprocessable as exc:
                captions[rules.label] = f"(not available: {exc.message})"
                continue
            captions[rules.label] = filled.caption
            if not post_images:
                post_images = [
                    PackImage(
                        i.asset.title,
                        files(i.asset),
                        alt_text=i.alt_text,
                        decorative=i.decorative,
                        credit=credit(i.asset),
                    )
                    for i in filled.images
                ]
        pack_posts.append(PackPost(post_asset.title, captions, post_images))
    pack_images = [
        PackImage(a.title, files(a), alt_text=a.alt_text or None, credit=credit(a)) for a in images
    ]
    with_file = set(
        await AssetVersion.filter(asset_id__in=[a.id for a in usable]).values_list(
            "asset_id", flat=True
        )
    )
    pack_documents = [
        PackImage(a.title, document_files(a))
        for a in usable
        if a.kind is Kind.CASE_STUDY or (a.kind is Kind.DOCUMENT and a.id in with_file)
    ]
    count = len(made) * len(presets) + sum(len(d.files) for d in pack_documents)
    if count > max_renditions:
        raise _too_many(count, max_renditions)
    try:
        plan = build_campaign_pack(
            campaign.name,
            values.get("library_name", ""),
            posts=pack_posts,
            assets=pack_images,
            documents=pack_documents,
            size_labels=labels,
            now=utcnow(),
        )
    except PackTooLarge as exc:
        raise Unprocessable(f"The pack is too large: {exc}") from None
    names.update({id(p.entry.source): p.path for p in plan.entries})
    return CampaignPack(plan, len(plan.entries) - len(TEXT_FILES))


# --- the queue ---------------------------------------------------------------------------


async def enqueue(
    backends: Backends,
    principal: Principal,
    campaign: Campaign,
    profile_id: int,
    presets: list[str],
    local_fields: dict[str, str],
    total: int,
) -> PackJob:
    """A queued job for this pack; the same person asking again while it builds gets the same
    job back (a client retrying the URL does not queue the work twice)."""
    profile = await BrandingProfile.get(id=profile_id)
    active = await PackJob.filter(requested_by_id=principal.user_id, status__in=ACTIVE)
    for job in active:
        if (
            job.campaign_id == campaign.id
            and job.profile_id == profile_id
            and job.presets == presets
            and job.local_fields == local_fields
        ):
            return job
    if len(active) >= MAX_ACTIVE_PER_USER:
        raise TooManyRequests(
            f"You already have {len(active)} packs being built; wait for one to finish.",
            retry_after_s=int(POLL_S * 6),
        )
    job = await PackJob.create(
        library_id=profile.library_id,
        requested_by_id=principal.user_id,
        campaign_id=campaign.id,
        profile_id=profile_id,
        presets=presets,
        local_fields=local_fields,
        total=total,
    )
    await defer_build(backends, job)
    return job


async def defer_build(backends: Backends, job: PackJob) -> None:
    """Queue the build of ``job`` (once: a build already waiting is not queued twice)."""
    from assets_hub.tasks.registry import PACK_BUILD

    key = f"pack:{job.id}"
    await backends.queue.defer(PACK_BUILD, {"job_id": str(job.id)}, queueing_lock=key, lock=key)


async def defer_queued(backends: Backends) -> int:
    """Queue a build for every job waiting to be built (after a restart of the in-process
    queue, which forgets); how many were queued now."""
    queued = 0
    for job in await PackJob.filter(status=PackStatus.QUEUED).order_by("created_at"):
        from assets_hub.tasks.registry import PACK_BUILD

        key = f"pack:{job.id}"
        queued += await backends.queue.defer(
            PACK_BUILD, {"job_id": str(job.id)}, queueing_lock=key, lock=key
        )
    return queued


async def job_for(principal: Principal, job_id: str) -> PackJob:
    """The job if the caller may see it: its library's staff, editors and admins (else 404)."""
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        raise NotFound("No pack with that id.") from None
    job = await PackJob.get_or_none(id=key)
    if job is None or not (principal.is_staff or principal.in_library(job.library_id)):
        raise NotFound("No pack with that id.")
    return job


def is_expired(job: PackJob, now: datetime | None = None) -> bool:
    return job.expires_at is not None and job.expires_at <= (now or utcnow())


def links(job: PackJob) -> dict[str, str]:
    return {
        "status_url": f"/packs/{job.id}",
        "api": f"/api/v1/pack-jobs/{job.id}",
        "download": f"/api/v1/pack-jobs/{job.id}/download",
    }


def filename(campaign: Campaign) -> str:
    return f"{campaign.slug}-pack.zip"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def describe(job: PackJob, campaign: Campaign) -> dict[str, Any]:
    """The job as the API shows it."""
    expired = job.status is PackStatus.READY and is_expired(job)
    urls = links(job)
    return {
        "id": str(job.id),
        "status": job.status.value,
        "expired": expired,
        "progress": {"done": job.done, "total": job.total},
        "campaign": {"slug": campaign.slug, "name": campaign.name},
        "profile": job.profile_id,
        "presets": list(job.presets),
        "error": job.error or None,
        "size": job.size,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "expires_at": _iso(job.expires_at),
        "status_url": urls["status_url"],
        "api": urls["api"],
        "download": urls["download"] if job.status is PackStatus.READY and not expired else None,
    }


# --- the worker --------------------------------------------------------------------------


async def recover(backends: Backends, *, stale_after: timedelta = STALE_AFTER) -> int:
    """Jobs a stopped process left building are queued again (once) or failed; jobs queued
    for longer than packs are kept are failed. Returns how many jobs changed."""
    now = utcnow()
    changed = 0
    for job in await PackJob.filter(status=PackStatus.BUILDING, updated_at__lt=now - stale_after):
        retry = job.attempts < MAX_ATTEMPTS
        values: dict[str, Any] = (
            {"status": PackStatus.QUEUED, "done": 0, "updated_at": now}
            if retry
            else {
                "status": PackStatus.FAILED,
                "error": "The pack stopped building part way (the service restarted). "
                "Please ask for it again.",
                "finished_at": now,
                "updated_at": now,
            }
        )
        # Conditional: another process may have moved it meanwhile.
        changed += await PackJob.filter(
            id=job.id, status=PackStatus.BUILDING, updated_at=job.updated_at
        ).update(**values)
    waited = now - timedelta(hours=backends.settings.pack_keep_hours)
    changed += await PackJob.filter(status=PackStatus.QUEUED, created_at__lt=waited).update(
        status=PackStatus.FAILED,
        error="The pack waited too long to be built. Please ask for it again.",
        finished_at=now,
        updated_at=now,
    )
    if changed:
        log.warning("pack jobs recovered after a restart: %d", changed)
    return changed


async def _claim(job_id: str, *, takeover: bool) -> PackJob | None:
    """The job, marked building by this run; None when it is not waiting to be built (done,
    failed, or building elsewhere — unless ``takeover``: its previous run is known dead)."""
    job = await PackJob.get_or_none(id=job_id)
    statuses = ACTIVE if takeover else (PackStatus.QUEUED,)
    if job is None or job.status not in statuses:
        return None
    if job.attempts >= MAX_ATTEMPTS:
        await _fail(job, PackFailed("It stopped part way too many times"))
        return None
    now = utcnow()
    # Conditional on what was read: of two runs racing for it, one wins.
    claimed = await PackJob.filter(id=job.id, status=job.status, attempts=job.attempts).update(
        status=PackStatus.BUILDING,
        started_at=now,
        updated_at=now,
        attempts=job.attempts + 1,
        done=0,
        error="",
    )
    return await PackJob.get(id=job.id) if claimed else None


async def build_by_id(backends: Backends, job_id: str, *, takeover: bool = False) -> bool:
    """Build the job if it waits to be built (the ``pack-build`` task); True when it ran."""
    job = await _claim(job_id, takeover=takeover)
    if job is None:
        return False
    await build(backends, job)
    return True


class _Progress:
    """Writes the job's progress (and a heartbeat) without a database write per chunk."""

    def __init__(self, job: PackJob) -> None:
        self.job = job
        self.done = 0
        self.written = time.monotonic()

    async def rendition(self) -> None:
        self.done += 1
        if time.monotonic() - self.written >= PROGRESS_S:
            await self._write()

    async def beat(self) -> None:
        if time.monotonic() - self.written >= HEARTBEAT_S:
            await self._write()

    async def _write(self) -> None:
        self.written = time.monotonic()
        await PackJob.filter(id=self.job.id, status=PackStatus.BUILDING).update(
            done=self.done, updated_at=utcnow()
        )


def _storage_key(campaign: Campaign) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", campaign.slug.lower()).strip("-")[:80] or "campaign"
    return f"packs/{uuid.uuid4().hex}/{stem}-pack.zip"


async def _principal(job: PackJob) -> Principal:
    user = await User.get_or_none(id=job.requested_by_id)
    if user is None or not user.is_active:
        raise PackFailed("The account that asked for it can no longer use assets hub")
    return Principal(user_id=user.id, email=user.email, role=user.role, library_id=user.library_id)


def _open_spool(directory: Path) -> BinaryIO:
    """An anonymous file (already unlinked on POSIX): nothing is left behind, even on a crash."""
    return cast(BinaryIO, tempfile.TemporaryFile(dir=directory))


async def _spool_and_store(
    backends: Backends, plan: PackPlan, key: str, progress: _Progress
) -> int:
    """Stream the pack into an anonymous temporary file, then store it whole; its size."""
    tmp_dir = Path(backends.settings.tmp_dir)
    await run_blocking("files", tmp_dir.mkdir, parents=True, exist_ok=True)
    # Opened and closed on the loop, not in a worker thread: a cancellation (shutdown) that
    # lands while a thread opens or closes it would leave the file open until garbage
    # collection. Both are quick metadata calls; the writes stay off the loop.
    spool = _open_spool(tmp_dir)
    try:
        async for chunk in stream_pack(plan):
            await run_blocking("files", spool.write, chunk)
            await progress.beat()
        size = spool.tell()
        await run_blocking("files", spool.seek, 0)
        # put is all or nothing: a failure here leaves no object under the key.
        await backends.storage.put(key, spool, content_type="application/zip", size=size)
    finally:
        spool.close()
    return size


async def build(backends: Backends, job: PackJob) -> None:
    """Build one claimed job; it ends ready or failed (or queued again if cancelled)."""
    key: str | None = None
    stored = False
    try:
        principal = await _principal(job)
        campaign = await Campaign.get(id=job.campaign_id)
        view = await profile_for(principal, job.profile_id)  # deleted since: 404 → failed
        values = dict(view.version.values)
        values.update(job.local_fields)
        progress = _Progress(job)
        pack = await plan_campaign_pack(
            backends,
            principal,
            viewer_for(principal),  # visibility as of now: withdrawn since → left out
            campaign,
            job.profile_id,
            values,
            list(job.presets),
            max_renditions=backends.settings.pack_max_renditions,
            on_rendition=progress.rendition,
        )
        await PackJob.filter(id=job.id).update(total=pack.renditions, updated_at=utcnow())
        key = _storage_key(campaign)
        size = await _spool_and_store(backends, pack.plan, key, progress)
        stored = True
        now = utcnow()
        updated = await PackJob.filter(id=job.id, status=PackStatus.BUILDING).update(
            status=PackStatus.READY,
            storage_key=key,
            size=size,
            done=pack.renditions,
            total=pack.renditions,
            finished_at=now,
            updated_at=now,
            expires_at=now + timedelta(hours=backends.settings.pack_keep_hours),
        )
        if not updated:  # recovered by another process meanwhile: keep nothing of ours
            raise PackFailed("It was taken over by another worker")
        log.info("pack job %s ready: %d renditions, %d bytes", job.id, pack.renditions, size)
    except asyncio.CancelledError:
        await asyncio.shield(_after_cancel(backends, job, key if stored else None))
        raise
    except Exception as exc:  # noqa: BLE001 - every failure ends as a failed job, never stuck
        if stored and key is not None:
            with contextlib.suppress(Exception):
                await backends.storage.delete(key)
        await _fail(job, exc)


async def _after_cancel(backends: Backends, job: PackJob, key: str | None) -> None:
    """Shutting down mid-build: queue the job again for the next start, keep nothing."""
    with contextlib.suppress(Exception):
        if key is not None:
            await backends.storage.delete(key)
        await PackJob.filter(id=job.id, status=PackStatus.BUILDING).update(
            status=PackStatus.QUEUED, done=0, updated_at=utcnow()
        )


def human_message(exc: BaseException) -> str:
    """Why a pack failed, in words for the person who asked (no internals)."""
    if isinstance(exc, PackFailed):
        detail = str(exc)
    elif isinstance(exc, PackAborted) and isinstance(exc.__cause__, AppError):
        detail = str(exc).replace("pack entry", "the image", 1)
    elif isinstance(exc, AppError):
        detail = exc.message.rstrip(".")
    else:
        detail = GENERIC_FAILURE
    detail = detail.rstrip(". ")
    message = f"The pack could not be built: {detail}. Nothing was kept; please ask for it again."
    return message[:500]


async def _fail(job: PackJob, exc: BaseException) -> None:
    message = human_message(exc)
    if isinstance(exc, PackFailed | AppError) or (
        isinstance(exc, PackAborted) and isinstance(exc.__cause__, AppError)
    ):
        log.warning("pack job %s failed: %s", job.id, exc)
    else:
        log.error("pack job %s failed", job.id, exc_info=exc)
    now = utcnow()
    await PackJob.filter(id=job.id).update(
        status=PackStatus.FAILED,
        error=message,
        storage_key=None,
        size=None,
        finished_at=now,
        updated_at=now,
    )


async def live_pack_keys() -> set[str]:
    """Storage keys of built packs still downloadable (garbage collection keeps these)."""
    now = utcnow()
    keys = await PackJob.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        status=PackStatus.READY,
        storage_key__isnull=False,
    ).values_list("storage_key", flat=True)
    return {str(k) for k in keys if k}
