"""Offload blocking work (boto3, Pillow, PDF, file I/O) to worker threads with named limits."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

P = ParamSpec("P")
T = TypeVar("T")

# Image decoding is CPU and memory heavy: never more at once than cores.
# Network I/O (boto3) and file I/O mostly wait, so they get wider pools.
_LIMITS = {
    "pillow": max(1, os.cpu_count() or 1),
    "pdf": max(1, os.cpu_count() or 1),
    "boto3": 32,
    "files": 16,
    "search": 8,
    "passwords": max(1, os.cpu_count() or 1),
    "mail": 2,
}
# Limiters belong to one event loop; tests run many loops in one process.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def limiter(name: str) -> CapacityLimiter:
    """The shared limiter for one kind of blocking work in the running event loop."""
    per_loop = _limiters.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(name)
    if found is None:
        found = per_loop[name] = CapacityLimiter(_LIMITS[name])
    return found


async def run_blocking(pool: str, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func`` in a worker thread limited by the named pool; the event loop keeps serving."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=limiter(pool))
