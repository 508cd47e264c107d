"""The task queue's contract, on both backends: priority order, queueing locks (no duplicate
while waiting), locks (never two at once), retries with backoff, and procrastinate's periodic
tasks deferred once per deployment however many workers run."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest

from assets_hub.backends import Backends
from assets_hub.tasks import TaskQueue
from assets_hub.tasks.base import TaskContext, TaskSpec
from assets_hub.tasks.inprocess import InProcessQueue
from assets_hub.tasks.procrastinate_queue import ProcrastinateQueue

WAIT_S = 20.0
NO_BACKENDS = cast(Backends, SimpleNamespace())


class Log:
    """What the test tasks did, in order, and how many ran at once at most."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, Any, int]] = []
        self.running = 0
        self.most = 0
        self.failures: dict[str, int] = {}


def specs(log: Log, *, periodic: bool = False) -> dict[str, TaskSpec]:
    async def record(context: TaskContext, label: str) -> None:
        log.runs.append(("record", label, context.attempt))

    async def slow(context: TaskContext, label: str) -> None:
        log.running += 1
        log.most = max(log.most, log.running)
        await asyncio.sleep(0.3)
        log.running -= 1
        log.runs.append(("slow", label, context.attempt))

    async def flaky(context: TaskContext, label: str) -> None:
        log.runs.append(("flaky", label, context.attempt))
        if context.attempt < 2:
            raise RuntimeError("not yet")

    async def tick(context: TaskContext) -> None:
        log.runs.append(("tick", None, context.attempt))

    made = [
        TaskSpec("record", record, max_attempts=1),
        TaskSpec("slow", slow, max_attempts=1),
        TaskSpec("flaky", flaky, max_attempts=3, backoff_s=0.05),
    ]
    if periodic:
        made.append(TaskSpec("tick", tick, max_attempts=1, every_s=1.0, cron="* * * * * *"))
    return {s.name: s for s in made}


QueueFactory = Callable[[Log], Awaitable[TaskQueue]]


@pytest.fixture(params=["inprocess", "procrastinate"])
async def make_queue(request: pytest.FixtureRequest) -> AsyncIterator[QueueFactory]:
    """Opened queues of one backend over the same store (procrastinate: one fresh database)."""
    opened: list[TaskQueue] = []
    url = request.getfixturevalue("postgres_url") if request.param == "procrastinate" else ""

    async def factory(log: Log) -> TaskQueue:
        queue: TaskQueue
        if request.param == "inprocess":
            queue = InProcessQueue(specs(log))
        else:
            queue = ProcrastinateQueue(url, specs(log), stalled_s=3.0)
        await queue.open()
        opened.append(queue)
        return queue

    try:
        yield factory
    finally:
        for queue in opened:
            await queue.aclose()


@contextlib.asynccontextmanager
async def working(queue: TaskQueue, concurrency: int = 1) -> AsyncIterator[None]:
    task = asyncio.create_task(queue.run_worker(NO_BACKENDS, concurrency=concurrency))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "tasks did not run in time"
        await asyncio.sleep(0.05)


async def test_higher_priority_runs_first(make_queue: QueueFactory) -> None:
    log = Log()
    queue = await make_queue(log)
    for label, priority in (("prerender", 0), ("pack", 20), ("chore", 10)):
        await queue.defer("record", {"label": label}, priority=priority)
    async with working(queue):
        await until(lambda: len(log.runs) == 3)
    assert [label for _, label, _ in log.runs] == ["pack", "chore", "prerender"]


async def test_a_queueing_lock_keeps_one_copy_waiting(make_queue: QueueFactory) -> None:
    log = Log()
    queue = await make_queue(log)
    assert await queue.defer("record", {"label": "a"}, queueing_lock="render:1:v1")
    assert not await queue.defer("record", {"label": "b"}, queueing_lock="render:1:v1")
    assert await queue.defer("record", {"label": "c"}, queueing_lock="render:1:v2")
    assert await queue.pending("record") == 2
    async with working(queue):
        await until(lambda: len(log.runs) == 2)
        # Once it has run, the key is free again.
        assert await queue.defer("record", {"label": "d"}, queueing_lock="render:1:v1")
        await until(lambda: len(log.runs) == 3)
    assert sorted(label for _, label, _ in log.runs) == ["a", "c", "d"]


async def test_tasks_with_one_lock_never_run_together(make_queue: QueueFactory) -> None:
    log = Log()
    queue = await make_queue(log)
    for label in ("a", "b", "c"):
        await queue.defer("slow", {"label": label}, lock="pack:1")
    async with working(queue, concurrency=3):
        await until(lambda: len(log.runs) == 3)
    assert log.most == 1
    log.runs.clear()
    for label in ("x", "y"):  # different locks (or none): they do overlap
        await queue.defer("slow", {"label": label}, lock=f"pack:{label}")
    async with working(queue, concurrency=3):
        await until(lambda: len(log.runs) == 2)
    assert log.most == 2


async def test_a_failing_task_is_retried_with_backoff_then_kept(
    make_queue: QueueFactory,
) -> None:
    log = Log()
    queue = await make_queue(log)
    await queue.defer("flaky", {"label": "f"})
    async with working(queue):
        await until(lambda: len(log.runs) == 3)
        await asyncio.sleep(0.3)
    assert [attempt for _, _, attempt in log.runs] == [0, 1, 2]  # succeeded on the third run
    assert await queue.pending("flaky") == 0


@pytest.mark.postgres
async def test_periodic_tasks_run_once_per_deployment(postgres_url: str) -> None:
    """Two workers (as two processes would) share the database: each second's tick runs once."""
    log = Log()
    queues = [
        ProcrastinateQueue(postgres_url, specs(log, periodic=True), stalled_s=3.0) for _ in range(2)
    ]
    for queue in queues:
        await queue.open()
    try:
        async with working(queues[0]), working(queues[1]):
            loop = asyncio.get_running_loop()
            started = loop.time()
            await until(lambda: len(log.runs) >= 3)
            await asyncio.sleep(1.5)
            elapsed = loop.time() - started
            ticks = len(log.runs)
        # One per second at most (plus the one due as they started), never one per worker.
        assert ticks <= elapsed + 2, (ticks, elapsed)
        assert {kind for kind, _, _ in log.runs} == {"tick"}
    finally:
        for queue in queues:
            await queue.aclose()
