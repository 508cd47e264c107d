"""The indexer: drains the search outbox into the engine, with retries and backoff.

Every asset change writes a SearchOutbox row in the same transaction as the change, so the
index can lag but never lose an update. The indexer re-reads the asset's current state for
each row, which makes repeats and out-of-order rows harmless.

Only one process of a deployment drains the outbox and writes the index: the holder of the
``search-writer`` lease (assets_hub.leases), which runs :meth:`Indexer.run_as_writer`. Every
other process (more web workers, CLI commands) only writes rows, and the writer applies them
within ``interval_s``; their ``index_now`` leaves the rows to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from assets_hub.leases import SEARCH_WRITER, LeaseKeeper, holder_id
from assets_hub.models import Asset, SearchOutbox
from assets_hub.observability import metrics
from assets_hub.search.base import IndexBusy, SearchBackend, SearchDocument
from assets_hub.search.documents import build_document

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 300
FOLLOW_POLL_S = 0.05  # how often a non-writer looks whether the writer applied its rows


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
        # True while this process holds the search-writer lease (set by run_as_writer, or
        # by a CLI command that took the lease because no service was running).
        self.writer = False
        # A web worker that is not the writer waits for the writer to apply an upload's rows
        # (so it is searchable when the answer returns, whichever worker answered); a CLI
        # command does not (the app's lifespan sets this).
        self.follow_writer = False
        self._busy_logged = False

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
        """Apply the pending rows of one asset at once (after an upload); False if it failed.

        In a process that is not the writer: with ``follow_writer``, wait until the writer
        has applied them (it looks every ``interval_s``; the caller bounds the wait), else
        return False at once and leave them to it.
        """
        if not self.writer:
            if not self.follow_writer:
                return False
            while await SearchOutbox.filter(asset_id=asset_id).exists():
                await asyncio.sleep(FOLLOW_POLL_S)
            return True
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
        except IndexBusy as exc:
            # Another process has the index's writer (a reindex, or a holder that lost its
            # lease and has not let go yet): the rows stay due, untouched, for the next pass.
            if not self._busy_logged:
                log.warning("search index update waits: %s", exc)
                self._busy_logged = True
            return 0
        except Exception as exc:  # noqa: BLE001 - any engine failure is retried later
            await self._postpone(rows, exc)
            return 0
        await SearchOutbox.filter(id__in=[row.id for row in rows]).delete()
        self._busy_logged = False
        return len(rows)

    async def requeue(self, ids: list[str]) -> None:
        """Queue ids again (the index may hold an older state of them), in one transaction."""
        async with in_transaction():
            for asset_id in ids:
                try:
                    parsed = uuid.UUID(asset_id)
                except ValueError:
                    continue  # not an asset's id: nothing the database could refresh
                await SearchOutbox.create(asset_id=parsed)
        self.wake()

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

    async def run_as_writer(self) -> None:
        """Be this process's index writer until cancelled (the lease was lost or released)."""
        self.writer = True
        try:
            await self.run()
        finally:
            self.writer = False
            await asyncio.shield(self.search.release_writer())

    async def run(self) -> None:
        """Drain the outbox until cancelled, with the engine's housekeeping between passes."""
        while True:
            try:
                await self.search.housekeeping(self.requeue)
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


@contextlib.asynccontextmanager
async def writer_if_free(indexer: Indexer) -> AsyncIterator[bool]:
    """For a one-off process (a CLI command): the index writer while it runs, if free.

    Yields True when no service holds the search-writer lease: this process then indexes
    its own changes and, on leaving, applies what it queued (as a lone command always did).
    Yields False when a service holds it: the rows are left to that service's writer, which
    applies them within its ``interval_s``. Either way nothing is lost.
    """
    keeper = LeaseKeeper(SEARCH_WRITER, holder_id("cli"))
    if not await keeper.try_once():
        yield False
        return

    async def hold() -> None:
        indexer.writer = True
        try:
            await asyncio.Event().wait()
        finally:
            indexer.writer = False

    indexer.writer = True
    renewing = asyncio.create_task(keeper.run(hold), name="cli-search-writer")
    try:
        yield True
        while indexer.writer and await indexer.process_due():
            pass
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        indexer.writer = False
        await indexer.search.release_writer()
