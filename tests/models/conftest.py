"""A migrated database with no assets, on SQLite and (in CI) on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assets_hub import db
from assets_hub.models import Asset


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[None]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite://{tmp_path / 'models.sqlite3'}"
    await db.migrate(url)
    context = await db.open_database(url)
    try:
        with db.activate(context):
            await Asset.all().delete()  # the PostgreSQL test database outlives one test
            yield
    finally:
        await db.close_database(context)
