"""Tortoise's SQLite client, with write transactions that start as ``BEGIN IMMEDIATE``.

Several processes share the SQLite file (``serve --workers N``, CLI commands beside the
service). In WAL mode a plain (deferred) ``BEGIN`` reads first and asks for the write lock at
its first write; if another process committed in between, SQLite answers "database is locked"
at once, without waiting for ``busy_timeout`` (the snapshot it read is stale, so waiting would
not help). ``BEGIN IMMEDIATE`` takes the write lock up front, so a transaction waits its turn
(up to ``busy_timeout``) instead. Statements outside a transaction take the lock when they
start and wait the same way. Named as the engine in db.tortoise_config.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """A transaction that holds SQLite's write lock from its first statement."""

    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    """SqliteClient whose transactions begin IMMEDIATE (nested ones stay savepoints)."""

    def _in_transaction(self) -> SqliteTransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
