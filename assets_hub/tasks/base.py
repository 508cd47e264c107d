"""The task queue's interface: what a backend offers, what a task is, what it is given.

Two backends implement :class:`TaskQueue`, chosen by ``ASSETS_HUB_QUEUE_URL`` (see
:func:`assets_hub.tasks.open_queue`): procrastinate on PostgreSQL (durable, shared by every
process of the deployment) and an in-process queue for the embedded default (SQLite), which
runs the same tasks inside the web process. Tasks are plain coroutines registered in
:mod:`assets_hub.tasks.registry`; each must be idempotent (it may run again after a crash).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assets_hub.backends import Backends

JSONValue = str | int | float | bool | None
TaskArgs = dict[str, JSONValue]

# Higher runs first. Interactive renders are not queued at all (they run in the request);
# among queued work, what a person is waiting for comes before what is prepared ahead.
PRIORITY_PACK = 20
PRIORITY_CHORE = 10
PRIORITY_PRERENDER = 0


@dataclass(frozen=True)
class TaskContext:
    """What a running task gets besides its arguments."""

    backends: Backends
    queue: TaskQueue
    attempt: int  # 0 on the first run; more after a failure or a dead worker's retry


TaskFunction = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class TaskSpec:
    """A task: its name (stable: stored in queued jobs), code and retry policy.

    A run that raises is tried again after ``backoff_s * 2**attempt`` seconds, at most
    ``max_attempts`` runs in all. ``every_s`` makes it periodic (no arguments); ``cron`` is the
    same schedule for procrastinate (six fields: seconds first is not used, see periodic docs).
    """

    name: str
    run: Callable[..., Awaitable[object]]  # (TaskContext, **args)
    max_attempts: int = 5
    backoff_s: float = 2.0
    priority: int = PRIORITY_CHORE
    every_s: float | None = None
    cron: str | None = None

    def retry_in(self, attempt: int) -> float | None:
        """Seconds before the next run after run number ``attempt`` failed, or None: give up."""
        if attempt + 1 >= self.max_attempts:
            return None
        return float(self.backoff_s * 2**attempt)


class TaskQueue(Protocol):
    """A queue of named tasks with arguments, and the workers that run them."""

    name: str
    #: True when a deferred task survives this process (and any worker may take it).
    durable: bool

    async def defer(
        self,
        task: str,
        args: TaskArgs | None = None,
        *,
        priority: int | None = None,
        queueing_lock: str | None = None,
        lock: str | None = None,
    ) -> bool:
        """Queue ``task(**args)``. ``queueing_lock``: while a task with this key waits to run,
        deferring another is a no-op (returns False). ``lock``: tasks with the same lock never
        run at the same time. ``priority`` defaults to the task's own."""
        ...

    async def run_worker(self, backends: Backends, *, concurrency: int) -> None:
        """Run queued tasks, ``concurrency`` at a time, until cancelled."""
        ...

    async def run_scheduler(self, backends: Backends) -> None:
        """Defer the periodic tasks on their schedule until cancelled (once per deployment:
        procrastinate's workers do this themselves, so there it returns at once)."""
        ...

    async def pending(self, task: str | None = None) -> int:
        """How many tasks (of ``task``) wait or run now."""
        ...

    async def open(self) -> None:
        """Connect (and for procrastinate, create its tables when missing)."""
        ...

    async def aclose(self) -> None:
        """Disconnect."""
        ...
