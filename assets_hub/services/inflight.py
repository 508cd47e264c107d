"""Single flight: one piece of expensive work per key at a time in this process (renders,
branded documents, member copies); everyone asking for the same key waits for that one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
