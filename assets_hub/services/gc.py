"""Garbage collection: purge assets past their undo window, then remove stored files that no
database row refers to (orphans from failed uploads, files of purged versions)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from assets_hub.backends import Backends
from assets_hub.models import Asset, AssetVersion, BrandingProfileVersion, Consent, Rendition
from assets_hub.services import audit
from assets_hub.services.pack_jobs import live_pack_keys
from assets_hub.services.visibility import utcnow

log = logging.getLogger(__name__)
_KEY_COLUMNS = ("storage_key", "thumbnail_key", "preview_key", "master_key", "stripped_key")
PREFIXES = ("originals/", "derived/", "renditions/", "packs/")


@dataclass(frozen=True)
class GcReport:
    purged_assets: int
    deleted_objects: int
    kept_young_orphans: int


async def referenced_keys() -> set[str]:
    """Every storage key a version, consent, logo, rendition or unexpired pack points at."""
    keys: set[str] = set()
    rows: list[tuple[Any, ...]] = await AssetVersion.all().values_list(*_KEY_COLUMNS)
    for row in rows:
        keys.update(str(k) for k in row if k)
    for model, column in (
        (Consent, "form_key"),
        (BrandingProfileVersion, "logo_key"),
        (Rendition, "storage_key"),
    ):
        keys.update(str(k) for k in await model.all().values_list(column, flat=True) if k)
    keys.update(await live_pack_keys())  # built packs until they expire, then swept
    return keys


async def collect_garbage(backends: Backends, *, grace: timedelta | None = None) -> GcReport:
    """Purge, then sweep. Files younger than the grace period are kept: an upload may be
    between "stored" and "row committed" right now."""
    settings = backends.settings
    now = utcnow()
    cutoff = now - timedelta(days=settings.delete_undo_days)
    doomed = await Asset.filter(deleted_at__lte=cutoff)
    for asset in doomed:
        async with in_transaction():
            await audit.record("purge", target_type="asset", target_id=asset.id, actor_email="gc")
            await asset.delete()  # versions, consents, downloads and notices cascade
    grace = grace if grace is not None else timedelta(minutes=settings.orphan_grace_min)
    keep = await referenced_keys()
    deleted = young = 0
    for prefix in PREFIXES:
        async for key in backends.storage.list_keys(prefix):
            if key in keep:
                continue
            stored = await backends.storage.head(key)
            modified = stored.modified_at if stored else None
            if modified is not None and now - modified < grace:
                young += 1
                continue
            # Re-check just before deleting: a row may have been committed meanwhile.
            if key in await referenced_keys():
                continue
            await backends.storage.delete(key)
            deleted += 1
    log.info("gc purged=%d deleted_objects=%d young_orphans=%d", len(doomed), deleted, young)
    return GcReport(len(doomed), deleted, young)
