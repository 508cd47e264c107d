"""Leases: one holder at a time per name, taken over when it lapses, work stopped when lost."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from assets_hub import leases
from assets_hub.models import Lease


async def test_one_holder_until_it_releases_or_lets_the_lease_lapse(database: str) -> None:
    assert await leases.acquire("job", "a", ttl_s=30)
    assert not await leases.acquire("job", "b", ttl_s=30)
    assert await leases.acquire("job", "a", ttl_s=30)  # renewing
    assert await leases.current_holder("job") == "a"
    assert await leases.acquire("other", "b", ttl_s=30)  # names are independent

    # The holder stopped renewing (it died): once expired, the next asker takes it.
    await Lease.filter(name="job").update(expires_at=leases.utcnow() - timedelta(seconds=1))
    assert await leases.current_holder("job") is None
    assert await leases.acquire("job", "b", ttl_s=30)
    assert not await leases.acquire("job", "a", ttl_s=30)  # the old holder cannot renew

    await leases.release("job", "a")  # not the holder: changes nothing
    assert await leases.current_holder("job") == "b"
    await leases.release("job", "b")
    assert await leases.acquire("job", "a", ttl_s=30)


async def test_many_asking_at_once_one_gets_it(database: str) -> None:
    for round_ in range(5):
        name = f"race-{round_}"
        results = await asyncio.gather(*(leases.acquire(name, f"h{i}") for i in range(8)))
        assert results.count(True) == 1, results


async def test_work_runs_only_while_held_and_stops_when_the_lease_is_lost(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    keeper = leases.LeaseKeeper("writer", "me", ttl_s=5, renew_s=0.05)
    started, stopped = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    caplog.set_level(logging.INFO, logger="assets_hub.leases")
    running = asyncio.create_task(keeper.run(work))
    await asyncio.wait_for(started.wait(), 5)
    assert keeper.held and await leases.current_holder("writer") == "me"

    # Another process took it over (this one stalled past the TTL): the next renewal fails,
    # and the work stops mid-way, with one line saying so.
    far = leases.utcnow() + timedelta(minutes=5)
    await Lease.filter(name="writer").update(holder="someone-else", expires_at=far)
    await asyncio.wait_for(stopped.wait(), 5)
    assert not keeper.held
    lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert lost == ["lease writer lost by me: its work stops here (another process takes over)"]

    # When the other lets go, this one takes over again and restarts the work.
    started.clear()
    await leases.release("writer", "someone-else")
    await asyncio.wait_for(started.wait(), 5)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await leases.current_holder("writer") is None  # released on the way out


def test_renewing_must_come_before_expiry() -> None:
    with pytest.raises(ValueError, match="renew_s"):
        leases.LeaseKeeper("x", "me", ttl_s=1, renew_s=2)
