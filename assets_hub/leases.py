"""Leases: work that runs in one process of the deployment at a time, chosen in the database.

A lease is a row ``(name, holder, expires_at)`` in the ``lease`` table. A process takes it when
nobody holds it or the holder let it expire, and renews it (well) before it expires; if the
holder dies, the row simply expires and the next process asking takes over. Taking and renewing
is one conditional UPDATE (``WHERE name = ? AND (holder = ? OR expires_at < now)``), then an
INSERT when no row exists yet (a unique-key clash means someone else won): atomic on SQLite
and PostgreSQL alike, no advisory locks needed.

Names in use (each process of ``assets-hub serve`` tries both; CLI commands only the first):

- ``search-writer``: drains the search outbox and is the only writer of the embedded index.
- ``background``: the periodic jobs (expiry sweep, reconcile, pack builder, phash backfill).

Use :class:`LeaseKeeper` to run work only while a lease is held::

    keeper = LeaseKeeper("background", holder_id("web"))
    await keeper.run(lambda: run_jobs())   # runs run_jobs() while held, cancels it when lost

Clocks: expiry is compared with this process's UTC clock, so the processes sharing a lease
must agree on the time to well within ``ttl_s`` (one host always does; several need NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from assets_hub.models import Lease

log = logging.getLogger(__name__)

SEARCH_WRITER = "search-writer"
BACKGROUND = "background"
TTL_S = 10.0  # a dead holder's work is taken over within this (plus one RENEW_S)
RENEW_S = 2.0  # how often the holder renews, and others try to take it


def utcnow() -> datetime:
    return datetime.now(UTC)


def holder_id(role: str) -> str:
    """A holder name unique to this process (and object), readable in the table: host:pid:role."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}:{uuid.uuid4().hex[:6]}"


async def acquire(name: str, holder: str, ttl_s: float = TTL_S) -> bool:
    """Take or renew ``name`` for ``ttl_s`` seconds; False if another holder has it unexpired."""
    now = utcnow()
    until = now + timedelta(seconds=ttl_s)
    taken = await Lease.filter(Q(name=name) & (Q(holder=holder) | Q(expires_at__lt=now))).update(
        holder=holder, expires_at=until
    )
    if taken:
        return True
    try:
        # Its own transaction (a savepoint if nested): on PostgreSQL the unique-key clash
        # must not abort whatever transaction the caller may be in.
        async with in_transaction():
            await Lease.create(name=name, holder=holder, expires_at=until)
    except IntegrityError:
        return False  # the row exists and is held by someone else (or was just taken)
    return True


async def release(name: str, holder: str) -> None:
    """Give ``name`` up at once (if ``holder`` still has it), so another process takes over."""
    await Lease.filter(name=name, holder=holder).delete()


async def current_holder(name: str) -> str | None:
    """Who holds ``name`` now, or None when nobody does (absent or expired)."""
    row = await Lease.get_or_none(name=name, expires_at__gte=utcnow())
    return row.holder if row else None


class LeaseKeeper:
    """Holds one lease for this process whenever it can, and runs work only while it does.

    ``held`` is True between a successful take and the first failed renewal. A renewal that
    fails (another holder took over after this process stalled past ``ttl_s``, or the database
    did not answer) counts as a loss: the work is cancelled at once and tried again later, so
    two processes never knowingly run it together.
    """

    def __init__(
        self, name: str, holder: str, *, ttl_s: float = TTL_S, renew_s: float = RENEW_S
    ) -> None:
        if renew_s >= ttl_s:
            raise ValueError("renew_s must be shorter than ttl_s, or the lease lapses between")
        self.name = name
        self.holder = holder
        self.ttl_s = ttl_s
        self.renew_s = renew_s
        self.held = False

    async def try_once(self) -> bool:
        """Take or renew the lease once; logs a change of state. Database errors count as no."""
        try:
            held = await acquire(self.name, self.holder, self.ttl_s)
        except Exception as exc:  # noqa: BLE001 - the database may be away; try again later
            if self.held:
                log.warning("lease %s could not be renewed: %s", self.name, exc)
            held = False
        if held != self.held:
            if held:
                log.info("lease %s taken by %s", self.name, self.holder)
            else:
                log.warning(
                    "lease %s lost by %s: its work stops here (another process takes over)",
                    self.name,
                    self.holder,
                )
        self.held = held
        return held

    async def release(self) -> None:
        """Give the lease up (on shutdown) so another process takes over without waiting."""
        if self.held:
            self.held = False
            with contextlib.suppress(Exception):
                await release(self.name, self.holder)

    async def run(self, work: Callable[[], Awaitable[object]]) -> None:
        """Until cancelled: keep the lease, run ``work()`` while held, cancel it when lost.

        ``work`` is started again after a loss and a new take; if it returns or fails on its
        own it is started again at the next renewal. The lease is released on cancellation.
        """
        task: asyncio.Task[object] | None = None
        try:
            while True:
                held = await self.try_once()
                if task is not None and task.done():
                    if not task.cancelled() and task.exception() is not None:
                        log.error(
                            "work under lease %s failed", self.name, exc_info=task.exception()
                        )
                    task = None
                if held and task is None:
                    task = asyncio.create_task(_call(work), name=f"lease:{self.name}")
                elif not held and task is not None:
                    await _cancel(task)
                    task = None
                await asyncio.sleep(self.renew_s)
        finally:
            if task is not None:
                await _cancel(task)
            await asyncio.shield(self.release())


async def _call(work: Callable[[], Awaitable[object]]) -> object:
    return await work()


async def _cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
