"""Single flight: one piece of expensive work per key at a time in this process (renders,
branded documents, member copies); everyone asking for the same key waits for that one."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from assets_hub.backends import Backends

T = TypeVar("T")


async def single_flight(
    backends: Backends,
    key: str,
    make: Callable[[], Awaitable[T]],
    before: Callable[[], Awaitable[Any]] | None = None,
) -> T:
    """Run ``make`` once per key at a time in this process; everyone asking waits for it."""
    inflight: dict[str, asyncio.Future[T]] = backends.renders
    task = inflight.get(key)
    if task is None:
        if before is not None:
            await before()
        task = asyncio.ensure_future(make())
        inflight[key] = task
        task.add_done_callback(lambda _: inflight.pop(key, None))
    # Shielded: a client that disconnects does not cancel the render others are waiting for.
    return await asyncio.shield(task)


@contextlib.asynccontextmanager
async def across_processes(backends: Backends, key: str) -> AsyncIterator[None]:
    """Hold ``key`` against every process sharing the database while the body runs.

    On PostgreSQL a transaction-scoped advisory lock (released at commit, so rows written
    inside are visible to the next holder at once); elsewhere nothing (SQLite is one host's
    processes, where :func:`single_flight` covers a process and a duplicate render is only
    wasted work: keys are never overwritten with different bytes)."""
    if backends.database.db().capabilities.dialect != "postgres":
        yield
        return
    lock_id = int.from_bytes(
        hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True
    )
    async with in_transaction() as connection:
        await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [lock_id])
        yield
