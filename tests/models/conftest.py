"""Migrated databases for model tests, on SQLite and (in CI) on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assets_hub import db
from assets_hub.models import Asset


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The database's URL, migrated (twice: the second run must change nothing) and active."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite://{tmp_path / 'models.sqlite3'}"
    await db.migrate(url)
    await db.migrate(url)  # idempotent: a second run changes nothing and does not fail
    context = await db.open_database(url)
    try:
        with db.activate(context):
            yield url
    finally:
        await db.close_database(context)


@pytest.fixture
async def empty_database(database: str) -> None:
    """The same, with no assets (the PostgreSQL test database outlives one test)."""
    await Asset.all().delete()
