"""The indexer: drains the search outbox into the engine, with retries and backoff.

Every asset change writes a SearchOutbox row in the same transaction as the change, so the
index can lag but never lose an update. The indexer re-reads the asset's current state for
each row, which makes repeats and out-of-order rows harmless.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from assets_hub.models import Asset, SearchOutbox
from assets_hub.observability import metrics
from assets_hub.search.base import SearchBackend, SearchDocument
from assets_hub.search.documents import build_document

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 300


def utcnow() -> datetime:
    return datetime.now(UTC)


async def enqueue_change(asset_id: uuid.UUID) -> None:
    """Record that an asset changed; call inside the transaction that changes it."""
    await SearchOutbox.create(asset_id=asset_id)


@dataclass(frozen=True)
class Lag:
    """How far the index is behind the database."""

    pending: int
    oldest_age_s: float


class Indexer:
    """Applies outbox rows to a search backend."""

    def __init__(
        self,
        search: SearchBackend,
        *,
        interval_s: float = 1.0,
        batch_size: int = 200,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.search = search
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.clock = clock
        self._wake = asyncio.Event()

    async def process_due(self) -> int:
        """Apply one batch of due rows; returns how many rows were applied."""
        now = self.clock()
        rows = (
            await SearchOutbox.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")
            .limit(self.batch_size)
        )
        return await self._apply(rows)

    async def index_now(self, asset_id: uuid.UUID) -> bool:
        """Apply the pending rows of one asset at once (after an upload); False if it failed."""
        rows = await SearchOutbox.filter(asset_id=asset_id).order_by("id")
        return await self._apply(rows) == len(rows)

    async def _apply(self, rows: list[SearchOutbox]) -> int:
        if not rows:
            return 0
        asset_ids = list(dict.fromkeys(row.asset_id for row in rows))
        assets = {
            asset.id: asset
            for asset in await Asset.filter(id__in=asset_ids, deleted_at__isnull=True)
        }
        documents: list[SearchDocument] = [
            await build_document(assets[asset_id]) for asset_id in asset_ids if asset_id in assets
        ]
        gone = [str(asset_id) for asset_id in asset_ids if asset_id not in assets]
        try:
            if documents:
                await self.search.upsert(documents)
            if gone:
                await self.search.delete(gone)
        except Exception as exc:  # noqa: BLE001 - any engine failure is retried later
            await self._postpone(rows, exc)
            return 0
        await SearchOutbox.filter(id__in=[row.id for row in rows]).delete()
        return len(rows)

    async def _postpone(self, rows: Iterable[SearchOutbox], exc: Exception) -> None:
        metrics.BACKEND_ERRORS.labels("search").inc()
        now = self.clock()
        detail = f"{type(exc).__name__}: {exc}"[:500]
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + timedelta(seconds=min(2**row.attempts, MAX_BACKOFF_S))
            row.last_error = detail
            await row.save(update_fields=["attempts", "next_attempt_at", "last_error"])
        log.warning("search index update postponed: %s", detail.replace("\n", " "))

    async def lag(self) -> Lag:
        """Pending rows and the age of the oldest one."""
        pending = await SearchOutbox.all().count()
        oldest = await SearchOutbox.all().order_by("id").first()
        age = (self.clock() - oldest.created_at).total_seconds() if oldest else 0.0
        return Lag(pending, max(age, 0.0))

    def wake(self) -> None:
        """Ask the background loop to look at the outbox now."""
        self._wake.set()

    async def run(self) -> None:
        """Drain the outbox until cancelled."""
        while True:
            try:
                applied = await self.process_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("search indexer pass failed")
                applied = 0
            if applied == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
                except TimeoutError:
                    pass
