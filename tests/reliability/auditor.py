"""The "nothing lost" auditor: RELIABILITY.md's invariants I1 to I8, checked after a scenario.

``await audit(backends, ledger)`` returns the broken invariants as sentences (empty: all hold).
The ledger is the harness's own log of what the app acknowledged; storage, database and index
are compared by ``assets-hub verify``'s service (one implementation of those checks), after the
sweeper has run with grace 0 as I3 prescribes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from assets_hub.backends import Backends
from assets_hub.media.storage.local import TMP_DIR, LocalStorage
from assets_hub.models import Asset, AuditEvent
from assets_hub.services import gc
from assets_hub.services.verify import verify


@dataclass
class Ledger:
    """What the app acknowledged (2xx) and what it refused, as the harness saw it."""

    created: list[str] = field(default_factory=list)  # asset ids answered 201
    refused: int = 0  # uploads answered 4xx/5xx or cut off
    deleted: list[str] = field(default_factory=list)  # created, then deleted (answered 2xx)

    def record(self, response: Any) -> None:
        if response is not None and response.status_code == 201:
            self.created.append(response.json()["id"])
        else:
            self.refused += 1


async def audit(
    backends: Backends,
    ledger: Ledger,
    *,
    multipart_uploads: Callable[[], list[Any]] | None = None,
) -> list[str]:
    """Every invariant that does not hold (I7, the smoke run, is the scenario's own step)."""
    problems: list[str] = []
    # I1: every acknowledged upload is there.
    live = {str(i) for i in await Asset.filter(deleted_at=None).values_list("id", flat=True)}
    kept = [i for i in ledger.created if i not in ledger.deleted]
    lost = [i for i in kept if i not in live]
    if lost:
        problems.append(f"I1: acknowledged uploads missing: {lost}")
    # I2: no asset without its ledger entry (a refused upload left a row).
    unacknowledged = sorted(live - set(kept))
    if unacknowledged:
        problems.append(f"I2: rows no acknowledged request made: {unacknowledged}")
    # I3/I4: the sweeper first (grace 0), then storage ↔ database ↔ index must agree.
    await gc.collect_garbage(backends, grace=timedelta(0))
    while await backends.indexer.process_due():
        pass
    report = await verify(backends, grace=timedelta(0))
    for finding in report.findings:
        invariant = "I4" if "index" in finding.kind else "I3"
        problems.append(f"{invariant}: {finding.kind} {finding.subject} {finding.detail}")
    if multipart_uploads is not None and (left := multipart_uploads()):
        problems.append(f"I3: incomplete multipart uploads left: {left}")
    # I5: no debris in the temp directories.
    for directory in _temp_dirs(backends):
        if directory.is_dir() and (debris := sorted(os.listdir(directory))):
            problems.append(f"I5: files left in {directory}: {debris}")
    # I6: the database is intact.
    problems += await _integrity(backends)
    # I8: one audit entry per acknowledged upload.
    logged = await AuditEvent.filter(action="asset_uploaded").count()
    if logged != len(ledger.created):
        problems.append(f"I8: {logged} upload audit entries for {len(ledger.created)} uploads")
    return problems


def _temp_dirs(backends: Backends) -> list[Path]:
    dirs = [Path(backends.settings.tmp_dir)]
    if isinstance(backends.storage, LocalStorage):
        dirs.append(Path(backends.storage.root) / TMP_DIR)
    return dirs


async def _integrity(backends: Backends) -> list[str]:
    connection = backends.database.db()
    if connection.capabilities.dialect != "sqlite":
        return []
    _, rows = await connection.execute_query("PRAGMA integrity_check")
    problems = []
    if [tuple(r) for r in rows] != [("ok",)]:
        problems.append(f"I6: integrity_check: {[tuple(r) for r in rows]}")
    _, dangling = await connection.execute_query("PRAGMA foreign_key_check")
    if dangling:
        problems.append(f"I6: foreign_key_check: {[tuple(r) for r in dangling]}")
    return problems
