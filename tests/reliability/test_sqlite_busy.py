"""F12: another process holds the SQLite write lock longer than busy_timeout.

Writes wait for the lock (busy_timeout 5 s), then answer 503 with Retry-After, never a 500
saying "database is locked"; reads keep working (WAL); once the lock is released the same
write succeeds without a restart, and the database is intact.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from assets_hub import db
from assets_hub.models import Campaign, Role
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state
from tests.reliability.auditor import Ledger, audit

HOLD = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
c.execute("ROLLBACK")
"""


@contextmanager
def exclusive_lock(path: str) -> Iterator[None]:
    """A second process inside BEGIN EXCLUSIVE on ``path`` until the block ends."""
    holder = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", HOLD, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


async def test_locked_database_is_503_then_writes_resume(settings: Settings) -> None:
    path = settings.database_url.removeprefix("sqlite://")
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        campaign = {"slug": "busy-week", "name": "Busy week"}
        assert (await http.get("/api/v1/campaigns")).status_code == 200  # token use noted
        with exclusive_lock(path):
            busy = await http.post("/api/v1/campaigns", json=campaign)
            listing = await http.get("/api/v1/campaigns")  # reads still work under WAL
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"].isdigit()
        assert "database" in busy.json()["error"] and "locked" not in busy.json()["error"]
        assert listing.status_code == 200
        done = await http.post("/api/v1/campaigns", json=campaign)
        assert done.status_code == 201, done.text
        backends = http_state(http)
        with db.activate(backends.database):
            assert await Campaign.filter(slug="busy-week").count() == 1
            assert await audit(backends, Ledger()) == []
