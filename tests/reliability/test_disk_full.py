"""Gap 4 / F17: local storage on a full disk answers 507 and keeps nothing; /readyz sees it.

The storage root is a real 8 MiB tmpfs (``mount -t tmpfs``, root only; skipped otherwise),
filled with a filler file to leave just the room each case needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assets_hub import db
from assets_hub.models import Asset, Role
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state
from tests.reliability.auditor import Ledger, audit
from tests.reliability.rigs import noisy_jpeg

SIZE_MB = 8


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An empty 8 MiB tmpfs, unmounted afterwards."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(  # noqa: S603 - fixed arguments
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(mount_point)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)  # noqa: S603, S607


def fill(disk: Path, leave: int) -> Path:
    """Take all but ``leave`` bytes of the disk with a filler file."""
    filler = disk / "filler"
    stat = os.statvfs(disk)
    size = max(stat.f_bavail * stat.f_frsize - leave, 4096)
    with open(filler, "wb") as handle:
        while True:  # someone else (the app) may take space meanwhile: shrink and retry
            try:
                os.posix_fallocate(handle.fileno(), 0, size)
                return filler
            except OSError:
                if size <= 65536:
                    raise
                size -= 65536


def _stored(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != "filler"
    )


@pytest.mark.parametrize("room", ["original-does-not-fit", "only-the-original-fits"])
async def test_full_disk_upload_is_507_and_leaves_nothing(
    make_settings: Callable[..., Settings], small_disk: Path, room: str
) -> None:
    photo = noisy_jpeg(1400, 1000)  # about 1.5 MB
    # Either the original itself runs out of room, or it fits and a derived file does not.
    filler = fill(small_disk, 200_000 if room == "original-does-not-fit" else len(photo) + 60_000)
    settings = make_settings(storage_url=f"file://{small_disk}", storage_min_free_mb=0)
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        refused = await http.post(
            "/api/v1/assets", files={"file": ("noise.jpg", photo, "image/jpeg")}
        )
        assert refused.status_code == 507, refused.text
        assert refused.json()["error"] == "storage is full; nothing was saved"
        assert _stored(small_disk) == []  # no object, no sidecar, no temp file
        backends = http_state(http)
        with db.activate(backends.database):
            assert await Asset.all().count() == 0
        filler.unlink()  # space freed: the same upload now works, without a restart
        accepted = await http.post(
            "/api/v1/assets", files={"file": ("noise.jpg", photo, "image/jpeg")}
        )
        assert accepted.status_code == 201, accepted.text


async def test_readyz_sees_a_full_disk_and_warns_when_nearly_full(
    make_settings: Callable[..., Settings], small_disk: Path
) -> None:
    settings = make_settings(storage_url=f"file://{small_disk}", storage_min_free_mb=4)
    async with app_client(settings) as http:
        filler = fill(small_disk, 0)
        full = await http.get("/readyz")
        assert full.status_code == 503, full.text
        assert "full" in full.json()["checks"]["storage"]
        filler.unlink()
        fill(small_disk, 2 * 1024 * 1024)  # writable, but under the 4 MiB threshold
        low = await http.get("/readyz")
        assert low.status_code == 200, low.text
        assert low.json()["checks"]["storage"] == "ok"
        assert "MiB free" in low.json()["warnings"]["storage"]


async def test_full_upload_spool_is_507_and_leaves_nothing(
    make_settings: Callable[..., Settings], small_disk: Path, tmp_path: Path
) -> None:
    """F17 (a): the directory uploads are spooled to is full; storage itself has room."""
    photo = noisy_jpeg(1400, 1000)  # over the 1 MiB kept in memory: spooled to disk
    filler = fill(small_disk, 100_000)
    settings = make_settings(tmp_dir=str(small_disk / "spool"))
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        refused = await http.post(
            "/api/v1/assets", files={"file": ("noise.jpg", photo, "image/jpeg")}
        )
        assert refused.status_code == 507, refused.text
        assert refused.json()["error"] == "storage is full; nothing was saved"
        assert _stored(small_disk) == []
        backends = http_state(http)
        assert [key async for key in backends.storage.list_keys("")] == []
        filler.unlink()
        accepted = await http.post(
            "/api/v1/assets", files={"file": ("noise.jpg", photo, "image/jpeg")}
        )
        assert accepted.status_code == 201, accepted.text


async def test_full_database_disk_is_503_and_the_database_stays_intact(
    make_settings: Callable[..., Settings], small_disk: Path, migrated_sqlite: Path
) -> None:
    """F17 (c): the SQLite database's disk is full: writes answer 503, reads keep working,
    the database stays intact, and writes work again once space is freed."""
    database = small_disk / "db.sqlite3"
    shutil.copy(migrated_sqlite, database)
    settings = make_settings(database_url=f"sqlite://{database}")
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        assert (await http.get("/api/v1/campaigns")).status_code == 200  # token use noted
        filler = fill(small_disk, 0)
        campaigns = [{"slug": f"full-{n}", "name": f"Full {n}"} for n in range(40)]
        refused = None
        for campaign in campaigns:  # the WAL has some room left in its pages at first
            answer = await http.post("/api/v1/campaigns", json=campaign)
            if answer.status_code != 201:
                refused = answer
                break
        assert refused is not None, "the disk never filled"
        assert refused.status_code == 503, refused.text
        assert "database" in refused.json()["error"]
        assert (await http.get("/api/v1/campaigns")).status_code == 200
        filler.unlink()
        again = await http.post("/api/v1/campaigns", json={"slug": "after", "name": "After"})
        assert again.status_code == 201, again.text
        backends = http_state(http)
        with db.activate(backends.database):
            assert await audit(backends, Ledger()) == []
