"""SQLite shared by several processes: every connection waits for locks (busy_timeout), and a
transaction holds the write lock from its first statement (BEGIN IMMEDIATE), so a read that
turns into a write never fails at once because another process committed in between."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from assets_hub import db
from assets_hub.models import Library


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> object:
    path = tmp_path / "shared.sqlite3"
    await db.migrate(f"sqlite://{path}")
    context = await db.open_database(f"sqlite://{path}")
    try:
        with db.activate(context):
            yield path
    finally:
        await db.close_database(context)


async def test_every_connection_waits_for_locks_in_wal_mode(sqlite_file: Path) -> None:
    client = connections.get("default")
    _, rows = await client.execute_query("PRAGMA busy_timeout")
    assert list(rows[0]) == [db.SQLITE_BUSY_TIMEOUT_MS]
    _, rows = await client.execute_query("PRAGMA journal_mode")
    assert list(rows[0]) == ["wal"]


async def test_a_transaction_holds_the_write_lock_from_its_first_read(sqlite_file: Path) -> None:
    other = sqlite3.connect(sqlite_file, timeout=0, isolation_level=None)  # another process
    try:
        async with in_transaction():
            assert await Library.all().count() == 0  # only a read so far
            # The other process cannot start writing now: this transaction already has the
            # lock, so its own write below cannot meet a newer commit and fail at once.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            await Library.create(name="Leeds Libraries", slug="leeds")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert await Library.filter(slug="leeds").exists()
