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


async def run_once(job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run ``job`` once in the background (a start-up chore); a failure is logged."""
    try:
        result = await job()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background job %s failed; it runs again at the next start", name)
    else:
        log.info("background job %s done: %s", name, result)
