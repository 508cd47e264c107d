"""Pre-rendering: when an asset becomes visible (published, embargo lifted) or changes, every
library's default profile by each pre-render preset is rendered ahead on the task queue, below
anything a person waits for, so launch-morning downloads are warm.

The ``prerender-sweep`` task (every minute, once per deployment) finds assets that became
visible or changed, and default profiles given a new version, in the last two periods, and
defers one ``prerender`` task per target. Each
task is keyed by the asset's revision and the profile's version: while it waits, the same
target is not queued twice, and when either has changed by the time it runs it is dropped
(superseded; the newer key has its own task). A render goes through
:func:`rendering.get_or_render`, so a request for a rendition being pre-rendered waits for that
render (single flight in the process, the advisory lock across replicas) instead of starting
another. A target the library may not use (consent channels, too small, withdrawn meanwhile)
is dropped, never retried.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from tortoise.expressions import Q

from assets_hub.auth.principal import Principal
from assets_hub.backends import Backends
from assets_hub.errors import AppError
from assets_hub.models import (
    Asset,
    BrandingProfile,
    BrandingProfileVersion,
    Kind,
    Rendition,
    Role,
    Status,
)
from assets_hub.services import rendering
from assets_hub.services.rendering import RenderAsk
from assets_hub.services.visibility import utcnow
from assets_hub.tasks.base import PRIORITY_PRERENDER, TaskContext, TaskSpec

log = logging.getLogger(__name__)

PRERENDER = "prerender"
PRERENDER_SWEEP = "prerender-sweep"
SWEEP_S = 60.0
# The six social sizes of a campaign's launch.
PRESETS = ("instagram-square", "instagram-portrait", "story", "facebook-link", "x-post", "linkedin")


async def default_profiles() -> list[BrandingProfile]:
    """Each library's default branding profile (deleted ones left out)."""
    return await BrandingProfile.filter(is_default=True, deleted_at=None).order_by("id")


async def defer_for_asset(
    backends: Backends, asset: Asset, profiles: list[BrandingProfile] | None = None
) -> int:
    """Queue every pre-render of ``asset``; how many were queued (waiting ones not again)."""
    if asset.kind not in (Kind.IMAGE, Kind.SOCIAL_POST):
        return 0
    queued = 0
    for profile in profiles if profiles is not None else await default_profiles():
        for preset in PRESETS:
            key = f"{asset.id}:{asset.revision}:{profile.id}:{profile.current_version}:{preset}"
            queued += await backends.queue.defer(
                PRERENDER,
                {
                    "asset_id": str(asset.id),
                    "revision": asset.revision,
                    "profile_id": profile.id,
                    "profile_version": profile.current_version,
                    "preset": preset,
                },
                priority=PRIORITY_PRERENDER,
                queueing_lock=f"prerender:{key}",
            )
    return queued


async def prerender(
    context: TaskContext,
    asset_id: str,
    revision: int,
    profile_id: int,
    profile_version: int,
    preset: str,
) -> bool:
    """Render one target if it is still current and usable; True when it is now stored."""
    asset = await Asset.get_or_none(id=asset_id, deleted_at=None)
    profile = await BrandingProfile.get_or_none(id=profile_id, deleted_at=None)
    if asset is None or profile is None:
        return False  # deleted meanwhile: nothing to do
    if asset.revision != revision or profile.current_version != profile_version:
        return False  # superseded by a newer task
    # As the library's member sees it: only what that library may use is rendered.
    principal = Principal(
        user_id=0, email="prerender", role=Role.LIBRARY_MEMBER, library_id=profile.library_id
    )
    try:
        ask = RenderAsk(asset_id, preset, profile_id)
        prepared = await rendering.prepare(context.backends, principal, ask)
        await rendering.get_or_render(context.backends, prepared)
    except AppError as exc:
        log.info(
            "pre-render of %s %s for profile %s dropped: %s", asset_id, preset, profile_id, exc
        )
        return False
    return True


async def sweep(context: TaskContext) -> int:
    """Defer the pre-renders of assets that became visible or changed lately; how many."""
    now = utcnow()
    since = now - timedelta(seconds=2 * SWEEP_S)
    assets = await Asset.filter(
        Q(published_at__gt=since) | Q(embargo_until__gt=since) | Q(updated_at__gt=since),
        Q(embargo_until__isnull=True) | Q(embargo_until__lte=now),
        status=Status.PUBLISHED,
        deleted_at=None,
    )
    profiles = await default_profiles()
    queued = 0
    for asset in assets:
        queued += await defer_for_asset(context.backends, asset, profiles)
    # A default profile changed (a new version, or newly made default): all of its targets.
    changed_ids: set[int] = set(
        await BrandingProfileVersion.filter(
            created_at__gt=since, profile_id__in=[p.id for p in profiles]
        ).values_list("profile_id", flat=True)  # type: ignore[arg-type]
    )
    changed = [p for p in profiles if p.id in changed_ids]
    if changed:
        visible = await Asset.filter(
            Q(embargo_until__isnull=True) | Q(embargo_until__lte=now),
            status=Status.PUBLISHED,
            deleted_at=None,
        )
        for asset in visible:
            queued += await defer_for_asset(context.backends, asset, changed)
    if queued:
        log.info("pre-renders queued: %d for %d assets", queued, len(assets))
    return queued


async def readiness(campaign_id: int) -> dict[str, int]:
    """How many of a campaign's pre-renders are stored (``rendered``) of those ``due``: its
    visible images by each library's default profile (current version) by :data:`PRESETS`."""
    now = utcnow()
    asset_ids = await Asset.filter(
        Q(embargo_until__isnull=True) | Q(embargo_until__lte=now),
        campaign_id=campaign_id,
        status=Status.PUBLISHED,
        deleted_at=None,
        kind__in=(Kind.IMAGE, Kind.SOCIAL_POST),
    ).values_list("id", flat=True)
    profiles = await default_profiles()
    versions = [
        v.id
        for profile in profiles
        for v in await BrandingProfileVersion.filter(
            profile_id=profile.id, number=profile.current_version
        )
    ]
    done = await Rendition.filter(
        asset_id__in=list(asset_ids), preset__in=PRESETS, profile_version_id__in=versions
    ).values_list("asset_id", "preset", "profile_version_id")
    return {"rendered": len(set(done)), "due": len(asset_ids) * len(profiles) * len(PRESETS)}


def task_specs() -> list[TaskSpec]:
    """The tasks of this module, for :mod:`assets_hub.tasks.registry`."""
    return [
        TaskSpec(PRERENDER, prerender, max_attempts=3, priority=PRIORITY_PRERENDER),
        TaskSpec(PRERENDER_SWEEP, sweep, max_attempts=1, every_s=SWEEP_S, cron="* * * * *"),
    ]
