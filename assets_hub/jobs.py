"""Periodic background jobs of the app process (expiry notices); each failure is logged and
the job simply runs again next time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_every(interval_s: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run ``job`` now and then every ``interval_s`` seconds until cancelled."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:  # a background job must outlive one bad run
            log.exception("background job %s failed; it will run again", name)
        await asyncio.sleep(interval_s)
