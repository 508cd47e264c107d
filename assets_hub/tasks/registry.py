"""Every background task of the service, by name (names are stored in queued jobs: keep them).

Each task is idempotent: running it twice, or again after a worker died part way, ends in the
same state as running it once.
"""

from __future__ import annotations

import logging

from assets_hub.tasks.base import PRIORITY_PACK, TaskContext, TaskSpec

log = logging.getLogger(__name__)

PACK_BUILD = "pack-build"
PACK_SWEEP = "pack-sweep"
EXPIRY_SWEEP = "expiry-sweep"
RECONCILE = "search-reconcile"
RECONCILE_FULL = "search-reconcile-full"
GC = "gc"


async def pack_build(context: TaskContext, job_id: str) -> None:
    """Build one pack job (a job already built, failed or taken by a live worker: nothing)."""
    from assets_hub.services import pack_jobs

    # Only a durable queue's retry may take over a job left building: its lock guarantees
    # the previous run is dead (the in-process queue's pack-sweep handles lost jobs instead).
    takeover = context.queue.durable and context.attempt > 0
    await pack_jobs.build_by_id(context.backends, job_id, takeover=takeover)


async def pack_sweep(context: TaskContext) -> None:
    """Recover lost pack jobs and defer a build for every queued one (none is forgotten)."""
    from assets_hub.services import pack_jobs

    await pack_jobs.recover(context.backends)
    await pack_jobs.defer_queued(context.backends)


async def expiry_sweep(context: TaskContext) -> None:
    from assets_hub.services.rights import sweep_expiries

    await sweep_expiries()


async def reconcile(context: TaskContext) -> None:
    from assets_hub.services.search_admin import reconcile as run

    await run(context.backends, full=False)


async def reconcile_full(context: TaskContext) -> None:
    from assets_hub.services.search_admin import reconcile as run

    await run(context.backends, full=True)


async def gc(context: TaskContext) -> None:
    from assets_hub.services.gc import collect_garbage

    report = await collect_garbage(context.backends)
    log.info("gc: %s", report)


def all_tasks() -> dict[str, TaskSpec]:
    """The task table both queue backends register."""
    specs = [
        TaskSpec(PACK_BUILD, pack_build, max_attempts=3, priority=PRIORITY_PACK),
        TaskSpec(PACK_SWEEP, pack_sweep, max_attempts=1, every_s=5.0, cron="* * * * * */5"),
        # Visibility changes at the exact second; notices follow within a minute.
        TaskSpec(EXPIRY_SWEEP, expiry_sweep, max_attempts=1, every_s=60.0, cron="* * * * *"),
        # Index drift (e.g. a search engine that lost its data) repaired within 5 minutes;
        # the id-by-id comparison hourly.
        TaskSpec(RECONCILE, reconcile, max_attempts=1, every_s=300.0, cron="*/5 * * * *"),
        TaskSpec(RECONCILE_FULL, reconcile_full, max_attempts=1, every_s=3600.0, cron="7 * * * *"),
        TaskSpec(GC, gc, max_attempts=3, backoff_s=60.0, every_s=86400.0, cron="17 3 * * *"),
    ]
    from assets_hub.services import prerender

    specs += prerender.task_specs()
    return {spec.name: spec for spec in specs}
