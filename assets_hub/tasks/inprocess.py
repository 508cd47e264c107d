"""The in-process queue (embedded default): tasks run in the process that deferred them.

Nothing is durable here; the work that must survive a restart keeps its own row (a pack job,
an asset waiting for pre-renders) and a periodic sweep defers it again. Priorities, queueing
locks, locks and retries behave as procrastinate's do, so tasks are written once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assets_hub.tasks.base import TaskArgs, TaskContext, TaskSpec

if TYPE_CHECKING:
    from assets_hub.backends import Backends

log = logging.getLogger(__name__)


@dataclass(order=True)
class _Job:
    sort: tuple[int, int]  # (-priority, sequence): higher priority first, then oldest
    task: str = field(compare=False)
    args: TaskArgs = field(compare=False)
    queueing_lock: str | None = field(compare=False)
    lock: str | None = field(compare=False)
    attempt: int = field(compare=False, default=0)


class InProcessQueue:
    """Tasks in memory, run by :meth:`run_worker` in this process."""

    name = "inprocess"
    durable = False

    def __init__(self, tasks: dict[str, TaskSpec]) -> None:
        self.tasks = tasks
        self._ready: list[_Job] = []
        self._delayed: list[tuple[float, int, _Job]] = []
        self._blocked: defaultdict[str, deque[_Job]] = defaultdict(deque)  # waiting for a lock
        self._waiting_keys: set[str] = set()  # queueing locks of jobs not yet started
        self._running_locks: set[str] = set()
        self._running = 0
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self._wake is None:
            self._wake = asyncio.Event()
        return self._wake

    async def open(self) -> None:
        self._event()

    async def aclose(self) -> None:
        return None

    async def defer(
        self,
        task: str,
        args: TaskArgs | None = None,
        *,
        priority: int | None = None,
        queueing_lock: str | None = None,
        lock: str | None = None,
    ) -> bool:
        spec = self.tasks[task]  # an unknown name is a programming error: KeyError
        if queueing_lock is not None:
            if queueing_lock in self._waiting_keys:
                return False
            self._waiting_keys.add(queueing_lock)
        level = spec.priority if priority is None else priority
        job = _Job((-level, next(self._seq)), task, dict(args or {}), queueing_lock, lock)
        heapq.heappush(self._ready, job)
        self._event().set()
        return True

    async def pending(self, task: str | None = None) -> int:
        jobs = [*self._ready, *(j for _, _, j in self._delayed)]
        jobs += [j for queue in self._blocked.values() for j in queue]
        waiting = sum(1 for j in jobs if task is None or j.task == task)
        return waiting + (self._running if task is None else 0)

    def _take(self) -> _Job | None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            heapq.heappush(self._ready, heapq.heappop(self._delayed)[2])
        while self._ready:
            job = heapq.heappop(self._ready)
            if job.lock is not None and job.lock in self._running_locks:
                self._blocked[job.lock].append(job)  # back when the lock is released
                continue
            if job.queueing_lock is not None:
                self._waiting_keys.discard(job.queueing_lock)
            if job.lock is not None:
                self._running_locks.add(job.lock)
            return job
        return None

    def _release(self, job: _Job) -> None:
        if job.lock is None:
            return
        self._running_locks.discard(job.lock)
        blocked = self._blocked.pop(job.lock, None)
        for waiting in blocked or ():
            heapq.heappush(self._ready, waiting)

    async def _next(self) -> _Job:
        wake = self._event()
        while True:
            job = self._take()
            if job is not None:
                return job
            wake.clear()
            timeout = self._delayed[0][0] - time.monotonic() if self._delayed else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=timeout)

    async def _run(self, backends: Backends, job: _Job) -> None:
        spec = self.tasks[job.task]
        self._running += 1
        try:
            await spec.run(TaskContext(backends, self, job.attempt), **job.args)
        except asyncio.CancelledError:
            raise
        except Exception:
            delay = spec.retry_in(job.attempt)
            if delay is None:
                log.exception("task %s failed for good after %d runs", job.task, job.attempt + 1)
            else:
                log.exception("task %s failed; again in %.0f s", job.task, delay)
                job.attempt += 1
                heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), job))
        finally:
            self._running -= 1
            self._release(job)
            self._event().set()

    async def run_worker(self, backends: Backends, *, concurrency: int) -> None:
        async def consume() -> None:
            while True:
                await self._run(backends, await self._next())

        async with asyncio.TaskGroup() as group:
            for n in range(max(1, concurrency)):
                group.create_task(consume(), name=f"task-worker-{n}")

    async def run_scheduler(self, backends: Backends) -> None:
        periodic = [spec for spec in self.tasks.values() if spec.every_s]
        if not periodic:
            return
        due = {spec.name: 0.0 for spec in periodic}
        while True:
            now = time.monotonic()
            for spec in periodic:
                if due[spec.name] <= now:
                    # The queueing lock keeps a slow periodic task from piling up copies.
                    await self.defer(spec.name, queueing_lock=f"periodic:{spec.name}")
                    due[spec.name] = now + float(spec.every_s or 0)
            await asyncio.sleep(max(0.05, min(due.values()) - time.monotonic()))
