"""Background tasks behind one interface (:class:`TaskQueue`), the backend chosen by
``ASSETS_HUB_QUEUE_URL``: procrastinate on PostgreSQL, or in-process for the embedded default.

Deferring: ``await backends.queue.defer(registry.PACK_BUILD, {"job_id": ...})``.
Running: ``assets-hub worker`` (any backend), and each web process runs
``ASSETS_HUB_WEB_TASK_WORKERS`` tasks at once (:func:`run_in_web`); the in-process periodic
scheduler runs in the holder of the ``background`` lease.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assets_hub.errors import ConfigError
from assets_hub.tasks.base import TaskArgs, TaskContext, TaskQueue, TaskSpec

if TYPE_CHECKING:
    from assets_hub.backends import Backends
    from assets_hub.settings import Settings

__all__ = [
    "TaskArgs",
    "TaskContext",
    "TaskQueue",
    "TaskSpec",
    "open_queue",
    "run_in_web",
    "run_worker_process",
]

log = logging.getLogger(__name__)
VARIABLE = "ASSETS_HUB_QUEUE_URL"
_POSTGRES = ("postgres", "postgresql")


def queue_url(settings: Settings) -> str:
    """The queue URL in effect: the setting, or derived from the database URL."""
    if settings.queue_url:
        return settings.queue_url
    if urlsplit(settings.database_url).scheme in _POSTGRES:
        return settings.database_url
    return "inprocess://"


def open_queue(settings: Settings) -> TaskQueue:
    """The configured queue, not yet opened (ConfigError names the variable)."""
    from assets_hub.tasks.registry import all_tasks

    url = queue_url(settings)
    scheme = urlsplit(url).scheme
    if scheme == "inprocess":
        from assets_hub.tasks.inprocess import InProcessQueue

        return InProcessQueue(all_tasks())
    if scheme in _POSTGRES:
        from assets_hub.tasks.procrastinate_queue import ProcrastinateQueue

        if not urlsplit(url).path.strip("/"):
            raise ConfigError(VARIABLE, "postgres:// needs a host and a database name")
        return ProcrastinateQueue(url, all_tasks(), stalled_s=settings.queue_stalled_s)
    raise ConfigError(
        VARIABLE, f"unknown scheme {scheme!r}; use inprocess:// or postgres://USER@HOST/DB"
    )


async def run_worker_process(settings: Settings, *, concurrency: int) -> None:
    """``assets-hub worker``: open the backends and run tasks until SIGINT or SIGTERM.

    With the in-process queue it also runs the periodic scheduler, so a separate worker
    process serves the embedded default as well (packs waiting in the database are found by
    the pack sweep)."""
    import signal

    from assets_hub.backends import open_backends

    async with open_backends(settings) as backends:
        queue = backends.queue
        log.info("worker: %s queue, %d at once", queue.name, concurrency)
        work = asyncio.gather(
            queue.run_scheduler(backends), queue.run_worker(backends, concurrency=concurrency)
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, work.cancel)
        try:
            await work
        except asyncio.CancelledError:
            log.info("worker stopped")


RESTART_S = 5.0  # a web process's task workers start again this long after an error


async def run_in_web(backends: Backends) -> None:
    """A web process's share of the queue's workers, until cancelled. The periodic
    scheduler is not here: it runs under the deployment's ``background`` lease (app.py)."""
    queue = backends.queue
    workers = backends.settings.web_task_workers
    if workers == 0:
        if not queue.durable:
            log.warning(
                "ASSETS_HUB_WEB_TASK_WORKERS=0 with the in-process queue: background tasks "
                "(packs, pre-renders, sweeps) will not run in this process"
            )
        return
    while True:
        try:
            await queue.run_worker(backends, concurrency=workers)
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # e.g. the database went away: the web process must keep its workers
            log.exception("task workers stopped on an error; starting again in %s s", RESTART_S)
            await asyncio.sleep(RESTART_S)
