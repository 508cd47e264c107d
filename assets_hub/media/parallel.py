"""Helper threads for the parts of one rendition that can run side by side.

Pillow releases the GIL while it decodes, resamples and colour-converts, so one render can use
a second core: the JPEG decode runs while the overlay is drawn, and the resize is split into
bands of output rows (each band's pixels are those of the whole resize: same scale, same
sample centres). When a library waits alone for its download, it gets it in about two thirds
of the time.

A part never waits in a queue: when every helper is busy (other renders are using the cores
already) it runs at once in the caller's thread, exactly as without helpers. Only leaf work
(no part starts another) runs on a helper, so they cannot deadlock on each other.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")

HELPERS = max(0, min(3, (os.cpu_count() or 1) - 1))  # the caller's thread is the other core
_POOL = ThreadPoolExecutor(max_workers=max(1, HELPERS), thread_name_prefix="render-part")
_FREE = threading.Semaphore(HELPERS)


def start(call: Callable[[], T]) -> Future[T]:
    """Begin ``call`` on a free helper, or run it now in this thread if none is free."""
    if not _FREE.acquire(blocking=False):
        done: Future[T] = Future()
        try:
            done.set_result(call())
        except BaseException as exc:  # noqa: BLE001 - delivered by .result(), as from a helper
            done.set_exception(exc)
        return done

    def job() -> T:
        try:
            return call()
        finally:
            _FREE.release()

    return _POOL.submit(job)


def run_all(calls: list[Callable[[], T]]) -> list[T]:
    """Results of ``calls`` in order: the first in this thread, the others on free helpers.

    Every part has finished when this returns or raises (the first error is raised), so no
    part outlives its render or touches an image its caller has moved on from.
    """
    pending = [start(call) for call in calls[1:]]
    try:
        first = calls[0]()
    finally:
        wait(pending)
    return [first, *(future.result() for future in pending)]
