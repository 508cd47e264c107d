"""The procrastinate queue: tasks are rows in PostgreSQL, run by any worker of the deployment.

procrastinate (docs/decisions/0005-job-queue.md) gives what the queue needs: priorities,
``lock`` (never two at once) and ``queueing_lock`` (no duplicate while waiting), retries with
exponential backoff, periodic tasks deferred once per deployment (a unique row per schedule
time), LISTEN/NOTIFY so an idle worker starts at once, and worker heartbeats. A worker that
dies mid-task (``kill -9``, a lost node) leaves its job ``doing``; the ``retry-stalled``
periodic task, and every worker as it starts, put the jobs of workers silent for
``ASSETS_HUB_QUEUE_STALLED_S`` back in the queue, where another worker takes them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import procrastinate
import psycopg
from procrastinate import exceptions as pq_exceptions
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.schema import SchemaManager

from assets_hub.errors import BackendUnavailable
from assets_hub.tasks.base import TaskArgs, TaskContext, TaskSpec

if TYPE_CHECKING:
    from assets_hub.backends import Backends

log = logging.getLogger(__name__)

RETRY_STALLED = "retry-stalled"
_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('assets-hub:procrastinate-schema'))"


def conninfo(url: str) -> str:
    """A libpq URL from the database URL (tortoise's pool options in the query dropped)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


class _SpecRetry(procrastinate.BaseRetryStrategy):
    """The task's own backoff (:meth:`TaskSpec.retry_in`), as the in-process queue uses."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec

    def get_retry_decision(
        self, *, exception: BaseException, job: Job
    ) -> procrastinate.RetryDecision | None:
        delay = self.spec.retry_in(job.attempts)
        if delay is None:
            return None
        return procrastinate.RetryDecision(retry_in={"seconds": round(delay)})


class ProcrastinateQueue:
    """Tasks deferred into PostgreSQL, run by ``assets-hub worker`` (or web processes)."""

    name = "procrastinate"
    durable = True

    def __init__(self, url: str, tasks: dict[str, TaskSpec], *, stalled_s: float) -> None:
        self.url = conninfo(url)
        self.tasks = tasks
        self.stalled_s = stalled_s
        self._backends: Backends | None = None
        self._opened = False
        self.connector = procrastinate.PsycopgConnector(conninfo=self.url, min_size=1, max_size=8)
        self.app = procrastinate.App(connector=self.connector)
        for spec in tasks.values():
            self._register(spec)
        self._register(
            TaskSpec(
                RETRY_STALLED,
                self._retry_stalled_task,
                max_attempts=1,
                every_s=5.0,
                cron="* * * * * */5",
            )
        )

    def _register(self, spec: TaskSpec) -> None:
        periodic = spec.cron is not None

        async def run(context: JobContext, /, **kwargs: Any) -> None:
            if periodic:
                kwargs.pop("timestamp", None)
            if self._backends is None:  # pragma: no cover - workers bind before running
                raise RuntimeError("task run outside a worker")
            attempt = context.job.attempts
            await spec.run(TaskContext(self._backends, self, attempt), **kwargs)

        retry = _SpecRetry(spec) if spec.max_attempts > 1 else False
        task = self.app.task(
            name=spec.name,
            pass_context=True,
            retry=retry,
            priority=spec.priority,
            # Periodic work never overlaps itself, and a backlog never piles up copies.
            lock=f"periodic:{spec.name}" if periodic else None,
            queueing_lock=f"periodic:{spec.name}" if periodic else None,
        )(run)
        if periodic:
            # procrastinate passes the schedule time as ``timestamp`` (dropped in run).
            self.app.periodic(cron=spec.cron or "", periodic_id=spec.name)(task)  # type: ignore[arg-type]

    async def open(self) -> None:
        try:
            await self.ensure_schema()
            await self.app.open_async()
        except (OSError, psycopg.Error) as exc:
            raise BackendUnavailable("queue", f"ASSETS_HUB_QUEUE_URL: {exc}") from exc
        self._opened = True

    async def aclose(self) -> None:
        if self._opened:
            self._opened = False
            await self.app.close_async()

    async def ensure_schema(self) -> None:
        """Create procrastinate's tables on first use (one process at a time)."""
        async with await psycopg.AsyncConnection.connect(self.url) as connection:
            async with connection.transaction():
                await connection.execute(_SCHEMA_LOCK)
                found = await connection.execute(
                    "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
                )
                row = await found.fetchone()
                if row is not None and not row[0]:
                    await connection.execute(SchemaManager.get_schema())
                    log.info("procrastinate schema created")

    async def defer(
        self,
        task: str,
        args: TaskArgs | None = None,
        *,
        priority: int | None = None,
        queueing_lock: str | None = None,
        lock: str | None = None,
    ) -> bool:
        options: dict[str, Any] = {"queueing_lock": queueing_lock, "lock": lock}
        if priority is not None:
            options["priority"] = priority
        try:
            await self.app.tasks[task].configure(**options).defer_async(**(args or {}))
        except pq_exceptions.AlreadyEnqueued:
            return False
        return True

    async def pending(self, task: str | None = None) -> int:
        count = 0
        for status in ("todo", "doing"):
            jobs = await self.app.job_manager.list_jobs_async(task=task, status=status)
            count += len(list(jobs))
        return count

    async def retry_stalled(self) -> int:
        """Put the jobs of dead workers back in the queue; how many."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=self.stalled_s
        )
        count = 0
        for job in stalled:
            await self.app.job_manager.retry_job(job)
            log.warning("task %s (job %s) of a dead worker queued again", job.task_name, job.id)
            count += 1
        return count

    async def _retry_stalled_task(self, context: TaskContext) -> None:
        await self.retry_stalled()

    async def run_worker(self, backends: Backends, *, concurrency: int) -> None:
        self._backends = backends
        await self.retry_stalled()
        await self.app.run_worker_async(
            concurrency=max(1, concurrency),
            wait=True,
            install_signal_handlers=False,  # uvicorn or the CLI own the signals
            update_heartbeat_interval=self.stalled_s / 3,
            stalled_worker_timeout=self.stalled_s,
            delete_jobs="successful",
        )

    async def run_scheduler(self, backends: Backends) -> None:
        return None  # each procrastinate worker defers periodic tasks, once per deployment
