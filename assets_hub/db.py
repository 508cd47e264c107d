"""Database: Tortoise configuration from ASSETS_HUB_DATABASE_URL, start-up and migrations."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext, _current_context
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError
from tortoise.migrations.api import migrate as run_migrations

from assets_hub.errors import BackendUnavailable, ConfigError

VARIABLE = "ASSETS_HUB_DATABASE_URL"
MODELS_MODULE = "assets_hub.models"
MIGRATIONS_MODULE = "assets_hub.migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000  # a write waits this long for another process's transaction
_SCHEMES = {"sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}
log = logging.getLogger(__name__)
# The drivers log every query *with its parameters* at DEBUG: password hashes, token digests.
# Never let that reach a log, whatever level the root logger is set to (SECURITY.md LOG-02).
for _chatty in ("aiosqlite", "tortoise.db_client", "asyncpg"):
    logging.getLogger(_chatty).setLevel(logging.INFO)


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config dict for a database URL; ConfigError naming the variable if bad."""
    parts = urlsplit(database_url)
    if parts.scheme not in _SCHEMES:
        raise ConfigError(
            VARIABLE, f"unknown scheme {parts.scheme!r} in the URL; use sqlite:// or postgres://"
        )
    url = database_url
    if parts.scheme == "postgresql":
        url = "postgres" + database_url[len("postgresql") :]
    if parts.scheme == "sqlite":
        path = database_url[len("sqlite://") :].split("?", 1)[0]
        if not path:
            raise ConfigError(
                VARIABLE, "sqlite:// needs a file path, e.g. sqlite://./var/db.sqlite3"
            )
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers work while one writer commits; wait for locks instead of failing
        # (PRAGMAs set on each connection Tortoise opens, in every process).
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}journal_mode=WAL&busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
    elif not parts.hostname or not parts.path.strip("/"):
        raise ConfigError(VARIABLE, "postgres:// needs a host and a database name")
    connection: str | dict[str, Any] = url
    if parts.scheme == "sqlite":
        # Our engine: Tortoise's client with BEGIN IMMEDIATE transactions (see db_sqlite).
        connection = {**expand_db_url(url), "engine": "assets_hub.db_sqlite"}
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# `tortoise -c assets_hub.db.DEV_CONFIG makemigrations` (make migrations) diffs against this.
DEV_CONFIG = tortoise_config("sqlite://:memory:")


async def open_database(database_url: str) -> TortoiseContext:
    """Connect and check the database answers; BackendUnavailable naming the variable if not.

    Each app instance owns its own TortoiseContext (several can live in one process, as in the
    tests); `activate(context)` makes it current for a task, the request middleware does so
    for every request.
    """
    config = tortoise_config(database_url)
    context = TortoiseContext()
    try:
        with context:
            await context.init(config=config)
            await context.db().execute_query("SELECT 1")
    except Exception as exc:
        await close_database(context)
        raise BackendUnavailable("database", f"{VARIABLE}: {_describe(exc)}") from exc
    return context


@contextlib.contextmanager
def activate(context: TortoiseContext) -> Iterator[TortoiseContext]:
    """Make ``context`` current for ORM calls in this task (and tasks it starts).

    TortoiseContext's own ``with`` keeps one token on the instance, so concurrent requests
    entering it would clobber each other; each activation here keeps its own token.
    """
    token = _current_context.set(context)
    try:
        yield context
    finally:
        _current_context.reset(token)


async def ping_database(context: TortoiseContext) -> None:
    """Raise BackendUnavailable if the database does not answer a trivial query."""
    try:
        await context.db().execute_query("SELECT 1")
    except Exception as exc:
        raise BackendUnavailable("database", _describe(exc)) from exc


async def close_database(context: TortoiseContext) -> None:
    """Close the context's connections and forget per-dialect SQL Tortoise cached for them."""
    await context.close_connections()
    # Tortoise caches INSERT statements per connection *name*; after switching from SQLite to
    # PostgreSQL in one process (the test suite does) the cached "?" placeholders would be reused.
    EXECUTOR_CACHE.clear()


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent; safe to re-run)."""
    # A context of its own: Tortoise's migrate() re-initialises whichever context is current.
    with TortoiseContext() as context:
        try:
            await run_migrations(config=tortoise_config(database_url))
        finally:
            await close_database(context)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


# What SQLite says when another writer holds the lock past busy_timeout, or its disk is full
# (SQLITE_FULL rolls the statement back; the file stays intact, F17 c).
_BUSY_WORDS = (
    "database is locked",
    "database is busy",
    "database table is locked",
    "database or disk is full",
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database is busy or unreachable right now (503, not a bug).

    A lock held past busy_timeout (SQLite), a lost or refused connection (PostgreSQL restarted
    or down), raised through Tortoise or straight from the driver: the request may succeed
    later. Constraint violations and the like are not.
    """
    names = {kind.__name__ for kind in type(exc).__mro__}
    if isinstance(exc, (DBConnectionError, ConnectionError, TimeoutError)) or names & _LOST:
        return True
    if not isinstance(exc, OperationalError) or isinstance(exc, IntegrityError):
        return False
    if any(words in str(exc).lower() for words in _BUSY_WORDS):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_unavailable(cause)


# asyncpg's "the connection is gone" errors, by name (asyncpg is only there for PostgreSQL).
_LOST = frozenset({"PostgresConnectionError", "CannotConnectNowError"})
