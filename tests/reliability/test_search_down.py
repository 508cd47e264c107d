"""F6 (fast variant): the embedded index cannot be written while assets change.

The index directory is a small tmpfs filled to the last byte (ENOSPC: the index cannot be
written; a read-only remount is refused while tantivy holds its files) while assets are
created, retitled and deleted: every write still answers 2xx (search is not on the write path)
and the outbox holds the changes; once the index is writable again the relay catches up on
its own and the index matches the database (I4), with nothing else lost.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assets_hub import db
from assets_hub.models import Role, SearchOutbox
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, authorise, http_state, make_jpeg
from tests.reliability.auditor import Ledger, audit
from tests.reliability.test_disk_full import fill


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607


@pytest.fixture
def index_disk(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "index-disk"
    point.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", "size=32m", "tmpfs", str(point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)  # noqa: S603, S607


async def test_writes_work_while_the_index_cannot_be_written_then_it_catches_up(
    make_settings: Callable[..., Settings], index_disk: Path
) -> None:
    settings = make_settings(search_url=f"embedded://{index_disk / 'search'}")
    ledger = Ledger()
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        first = await http.post(
            "/api/v1/assets",
            data={**PUBLISHABLE, "title": "Before the outage"},
            files={"file": ("a.jpg", make_jpeg((400, 300), "#123456"), "image/jpeg")},
        )
        ledger.record(first)
        assert first.status_code == 201, first.text
        filler = fill(index_disk, 0)
        try:
            for n, colour in enumerate(("#aa0000", "#00aa00", "#0000aa")):
                made = await http.post(
                    "/api/v1/assets",
                    data={**PUBLISHABLE, "title": f"During the outage {n}"},
                    files={"file": ("b.jpg", make_jpeg((400, 300), colour), "image/jpeg")},
                )
                ledger.record(made)
                assert made.status_code == 201, made.text
            retitled = await http.patch(
                f"/api/v1/assets/{first.json()['id']}",
                json={"title": "Renamed in the outage", "revision": first.json()["revision"]},
            )
            assert retitled.status_code == 200, retitled.text
            gone = await http.delete(f"/api/v1/assets/{ledger.created[1]}")
            assert gone.status_code in (200, 204), gone.text
            ledger.deleted.append(ledger.created[1])
            backends = http_state(http)
            with db.activate(backends.database):
                assert await SearchOutbox.all().count() > 0  # the changes wait in the outbox
        finally:
            filler.unlink()
        # The relay catches up by itself (no explicit drain): wait for the outbox to empty.
        with db.activate(backends.database):
            deadline = time.monotonic() + 60
            while await SearchOutbox.all().count():
                assert time.monotonic() < deadline, "the outbox never drained"
                await asyncio.sleep(0.2)
            problems = await audit(backends, ledger)
        assert problems == []
        found = await http.get("/api/v1/assets", params={"q": "Renamed"})
        assert [hit["id"] for hit in found.json()["hits"]] == [first.json()["id"]], found.text
