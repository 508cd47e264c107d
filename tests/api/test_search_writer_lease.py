"""The search-writer lease lost mid-way: uploads still succeed, their index updates wait in
the outbox, and the process that holds the lease next applies every one of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

import httpx

from assets_hub import db, leases
from assets_hub.models import Lease, SearchOutbox
from tests.conftest import http_state, make_jpeg


async def until(check: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def found(client: httpx.AsyncClient, words: str) -> set[str]:
    answer = await client.get("/api/v1/assets", params={"q": words})
    assert answer.status_code == 200, answer.text
    return {hit["id"] for hit in answer.json()["hits"]}


async def test_a_lost_writer_lease_loses_no_index_update(client: httpx.AsyncClient) -> None:
    backends = http_state(client)
    assert backends.indexer.writer  # a lone process holds it from start-up
    with db.activate(backends.database):
        # Another process takes the lease over (this one stalled past the TTL).
        far = leases.utcnow() + timedelta(minutes=5)
        await Lease.filter(name=leases.SEARCH_WRITER).update(holder="elsewhere", expires_at=far)
    await until(lambda: not backends.indexer.writer)

    made = await client.post(
        "/api/v1/assets",
        files={"file": ("p.jpg", make_jpeg(colour="#246810"), "image/jpeg")},
        data={"title": "Orphaned lighthouse poster"},
    )
    assert made.status_code == 201, made.text  # the change itself is never refused
    asset = made.json()["id"]
    assert await found(client, "lighthouse") == set()  # not this process's to index now
    with db.activate(backends.database):
        assert await SearchOutbox.filter(asset_id=asset).exists()  # kept for the writer

        # The other holder goes away: this process takes the lease back and catches up.
        await Lease.filter(name=leases.SEARCH_WRITER).delete()
    await until(lambda: backends.indexer.writer)
    deadline = time.monotonic() + 10
    while await found(client, "lighthouse") != {asset}:
        assert time.monotonic() < deadline, "the queued update was never applied"
        await asyncio.sleep(0.1)
    with db.activate(backends.database):
        assert not await SearchOutbox.filter(asset_id=asset).exists()
