"""The render helpers: parts run side by side, none outlives its caller, none waits in a queue."""

from __future__ import annotations

import threading
import time

import pytest

from assets_hub.media import parallel


def test_results_come_back_in_order_and_the_first_part_runs_here() -> None:
    here = threading.get_ident()
    threads: list[int] = []

    def part(n: int) -> int:
        threads.append(threading.get_ident())
        time.sleep(0.01 * (3 - n))  # later parts finish first
        return n * n

    assert parallel.run_all([lambda n=n: part(n) for n in range(3)]) == [0, 1, 4]
    assert threads[0] == here or here in threads


def test_an_error_is_raised_only_after_every_part_has_finished() -> None:
    finished: list[str] = []

    def slow() -> str:
        time.sleep(0.05)
        finished.append("slow")
        return "slow"

    def broken() -> str:
        raise ValueError("no pixels")

    with pytest.raises(ValueError, match="no pixels"):
        parallel.run_all([broken, slow])
    assert finished == ["slow"]  # the helper's part was not left running


def test_with_every_helper_busy_a_part_runs_at_once_in_the_callers_thread() -> None:
    release = threading.Event()
    busy = [parallel.start(release.wait) for _ in range(parallel.HELPERS)]
    try:
        here = threading.get_ident()
        started = time.perf_counter()
        ran_in = parallel.start(threading.get_ident).result(timeout=1)
        assert ran_in == here  # not queued behind the busy helpers
        assert time.perf_counter() - started < 0.5
    finally:
        release.set()
        for future in busy:
            future.result(timeout=5)


def test_errors_of_a_part_run_in_place_come_back_through_the_future() -> None:
    release = threading.Event()
    busy = [parallel.start(release.wait) for _ in range(parallel.HELPERS)]
    try:

        def broken() -> None:
            raise OSError("damaged")

        with pytest.raises(OSError, match="damaged"):
            parallel.start(broken).result(timeout=1)
    finally:
        release.set()
        for future in busy:
            future.result(timeout=5)


def test_bands_cover_the_rows_once_and_never_come_out_empty() -> None:
    from assets_hub.media.operations import _bands

    assert _bands(10, 101) == [(10, 50), (60, 51)]
    assert _bands(0, 1) == [(0, 1)]  # no zero-height band to resize
