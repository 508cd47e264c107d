"""A throw-away PostgreSQL database per test session, when ASSETS_HUB_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from assets_hub import db


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    # A loop of its own in a thread: fixtures may be set up from inside a running event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _admin(url: str, statement: str) -> None:
    _in_thread(_execute(url, statement))


@pytest.fixture(scope="session")
def new_postgres_database() -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases on the test server, all dropped at the end."""
    from tests.conftest import TEST_URLS

    if not TEST_URLS.postgres:
        pytest.skip("ASSETS_HUB_TEST_POSTGRES_URL not set: PostgreSQL suite not run")
    server = TEST_URLS.postgres
    made: list[str] = []

    def factory() -> str:
        name = f"assets_hub_test_{uuid.uuid4().hex[:10]}"
        _admin(server, f'CREATE DATABASE "{name}"')
        made.append(name)
        return _with_database(server, name)

    try:
        yield factory
    finally:
        for name in made:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(new_postgres_database: Callable[[], str]) -> str:
    """A fresh empty PostgreSQL database for this test (skips without a server URL)."""
    return new_postgres_database()


@pytest.fixture
def migrated_postgres_url(new_postgres_database: Callable[[], str]) -> str:
    """A fresh PostgreSQL database with every migration applied."""
    url = new_postgres_database()
    _in_thread(db.migrate(url))
    return url
