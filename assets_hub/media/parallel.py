"""A small shared pool for the parts of one rendition that can run side by side.

Pillow releases the GIL while it decodes, resamples and colour-converts, so one render can use
a second core: the JPEG decode runs while the overlay is drawn, and the resize is split into
bands of output rows (each band's pixels are those of the whole resize: same scale, same
sample centres). Under load every core is busy anyway and the parts simply queue; when a
library waits alone for its download, it gets it in roughly two thirds of the time.

Only leaf work (no task submits another) ever runs here, so the pool cannot deadlock on
itself however many renders share it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")

WORKERS = max(1, min(4, os.cpu_count() or 1))
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="render-part")


def start(call: Callable[[], T]) -> Future[T]:
    """Begin ``call`` on the pool (or run it now when there is one core only)."""
    if WORKERS == 1:
        done: Future[T] = Future()
        try:
            done.set_result(call())
        except BaseException as exc:  # noqa: BLE001 - delivered by .result(), as from a pool
            done.set_exception(exc)
        return done
    return _POOL.submit(call)


def run_all(calls: list[Callable[[], T]]) -> list[T]:
    """Results of ``calls`` in order: all but the first on the pool, the first here.

    Every part has finished when this returns or raises (the first error is raised), so no
    part outlives its render or touches an image its caller has moved on from.
    """
    pending = [start(call) for call in calls[1:]]
    try:
        first = calls[0]()
    finally:
        wait(pending)
    return [first, *(future.result() for future in pending)]
