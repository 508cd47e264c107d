"""Garbage collection: purge assets past their undo window, then remove stored files that no
database row refers to (orphans from failed uploads, files of purged versions), and the debris
of writes a crash left unfinished (temp files, incomplete multipart uploads).

The sweep reads the referenced keys once, into a compact snapshot (8 bytes a key, so a million
keys cost 8 MB), and streams the storage listing past it; only a key missing from the snapshot
is looked up again, by an indexed query, just before it is deleted.
"""

from __future__ import annotations

import hashlib
import logging
from array import array
from bisect import bisect_left
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from assets_hub.backends import Backends
from assets_hub.models import (
    Asset,
    AssetVersion,
    BrandingProfileVersion,
    Consent,
    PackJob,
    PackStatus,
    Rendition,
)
from assets_hub.services import audit
from assets_hub.services.visibility import utcnow

log = logging.getLogger(__name__)
_KEY_COLUMNS = ("storage_key", "thumbnail_key", "preview_key", "master_key", "stripped_key")
PREFIXES = ("originals/", "derived/", "renditions/", "packs/")
BATCH = 5000  # rows read per query while taking the snapshot


@dataclass(frozen=True)
class GcReport:
    purged_assets: int
    deleted_objects: int
    kept_young_orphans: int
    swept_incomplete: int = 0


def _live_pack() -> Q:
    return Q(Q(expires_at__isnull=True), Q(expires_at__gt=utcnow()), join_type="OR") & Q(
        status=PackStatus.READY
    )


# Every (model, key columns, extra filter) whose rows keep a stored file.
def _sources() -> list[tuple[type[Model], Sequence[str], Q | None]]:
    return [
        (AssetVersion, _KEY_COLUMNS, None),
        (Consent, ("form_key",), None),
        (BrandingProfileVersion, ("logo_key",), None),
        (Rendition, ("storage_key",), None),
        (PackJob, ("storage_key",), _live_pack()),  # built packs until they expire
    ]


async def _keys_of(
    model: type[Model], columns: Sequence[str], where: Q | None
) -> AsyncIterator[str]:
    """The non-empty keys in ``columns``, read in batches of BATCH rows (by primary key)."""
    pk = model._meta.pk_attr
    last: Any = None
    while True:
        query = model.filter(where) if where is not None else model.all()
        if last is not None:
            query = query.filter(**{f"{pk}__gt": last})
        rows: list[tuple[Any, ...]] = (
            await query.order_by(pk).limit(BATCH).values_list(pk, *columns)
        )
        for row in rows:
            for key in row[1:]:
                if key:
                    yield str(key)
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


class KeySnapshot:
    """The referenced keys at one moment, as sorted 64-bit hashes.

    A hash collision can only make an orphan look referenced (it is kept), never the reverse:
    membership is a filter that errs on the side of keeping files.
    """

    def __init__(self, hashes: array[int]) -> None:
        self._hashes = array("Q", sorted(hashes))

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        value = _hash(key)
        at = bisect_left(self._hashes, value)
        return at < len(self._hashes) and self._hashes[at] == value


async def referenced_snapshot() -> KeySnapshot:
    """Every storage key a version, consent, logo, rendition or unexpired pack points at."""
    hashes: array[int] = array("Q")
    for model, columns, where in _sources():
        async for key in _keys_of(model, columns, where):
            hashes.append(_hash(key))
    return KeySnapshot(hashes)


async def is_referenced(key: str) -> bool:
    """Whether a row points at ``key`` now (indexed lookups; migration 0012 adds the indexes)."""
    for model, columns, where in _sources():
        match = Q(*(Q(**{column: key}) for column in columns), join_type="OR")
        query = model.filter(match)
        if where is not None:
            query = query.filter(where)
        if await query.exists():
            return True
    return False


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
    # Unfinished writes first: a multipart upload or temp file older than the grace period
    # belongs to a process that crashed (a live one keeps touching its temp file).
    swept = await backends.storage.sweep_incomplete(now - grace)
    keep = await referenced_snapshot()
    deleted = young = 0
    for prefix in PREFIXES:
        async for key in backends.storage.list_keys(prefix):
            if key in keep:
                continue
            if _is_young(await backends.storage.head(key), now, grace):
                young += 1
                continue
            # Re-check just before deleting: a row may have been committed meanwhile.
            if await is_referenced(key):
                continue
            await backends.storage.delete(key)
            deleted += 1
    log.info(
        "gc purged=%d deleted_objects=%d young_orphans=%d swept_incomplete=%d",
        len(doomed),
        deleted,
        young,
        swept,
    )
    return GcReport(len(doomed), deleted, young, swept)


def _is_young(stored: Any, now: datetime, grace: timedelta) -> bool:
    modified = stored.modified_at if stored is not None else None
    return modified is not None and now - modified < grace
