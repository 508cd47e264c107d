"""A real `assets-hub worker` killed (SIGKILL) while building a pack: another worker takes the
job over and builds it once; nothing of the dead run is left in storage. PostgreSQL only (the
in-process queue has no separate workers to kill; its lost packs are the pack sweep's)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from assets_hub import db
from assets_hub.models import PackJob, PackStatus, Role
from assets_hub.settings import Settings
from tests.api.test_pack_jobs import Crew
from tests.conftest import app_client

pytestmark = pytest.mark.postgres

PRESETS = "instagram-square,instagram-portrait,story,facebook-link,linkedin"
IMAGES = 16  # 80 renditions: a build lasts several progress saves, even on a quiet machine
WAIT_S = 60.0


def start_worker(settings: Settings, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASSETS_HUB_")},
        "ASSETS_HUB_DATABASE_URL": settings.database_url,
        "ASSETS_HUB_STORAGE_URL": settings.storage_url,
        "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp / ('search-' + name)}",  # not used by packs
        "ASSETS_HUB_TMP_DIR": settings.tmp_dir,
        "ASSETS_HUB_QUEUE_STALLED_S": "3",
        "ASSETS_HUB_PACK_MAX_RENDITIONS": str(settings.pack_max_renditions),
    }
    command = [sys.executable, "-m", "assets_hub", "worker", "--concurrency", "1"]
    with (tmp / f"worker-{name}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - our own CLI


@pytest.fixture
async def crew(
    make_settings: Callable[..., Settings], migrated_postgres_url: str, tmp_path: Path
) -> AsyncIterator[Crew]:
    settings = make_settings(
        database_url=migrated_postgres_url,
        web_task_workers=0,  # the web process runs none: only the worker subprocesses build
        pack_sync_max_renditions=1,
        pack_max_renditions=200,
    )
    async with app_client(settings) as http:
        c = Crew(http, tmp_path)
        await c.add("editor", Role.EDITOR)
        await c.add("admin", Role.LIBRARY_ADMIN, "leeds")
        await c.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        made = await c.call(
            "editor", "POST", "/api/v1/campaigns", json={"slug": "libraries-week", "name": "LW"}
        )
        assert made.status_code == 201, made.text
        profile = await c.call(
            "admin",
            "POST",
            "/api/v1/libraries/leeds/profiles",
            json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Central Library"},
        )
        assert profile.status_code == 201, profile.text
        c.profile = profile.json()["id"]
        for n in range(IMAGES):
            c.images.append(await c.upload(f"Picture {n}", "libraries-week", f"#8{n:x}4422"))
        yield c


async def _job(crew: Crew, job_id: str) -> PackJob:
    with db.activate(crew.backends.database):
        return await PackJob.get(id=job_id)


async def test_a_worker_killed_mid_build_leaves_the_pack_to_another(
    crew: Crew, tmp_path: Path
) -> None:
    settings = crew.backends.settings
    answer = await crew.pack(presets=PRESETS)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]

    first = start_worker(settings, tmp_path, "first")
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while True:  # building, and some images written (progress is saved each second)
            job = await _job(crew, job_id)
            if job.status is PackStatus.BUILDING and job.done > 0:
                break
            assert job.status is PackStatus.QUEUED or job.status is PackStatus.BUILDING, job
            assert first.poll() is None, (tmp_path / "worker-first.log").read_text()
            assert loop.time() < deadline, "the first worker never started the pack"
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)  # reaped, so no Popen is left to warn later in the session
    job = await _job(crew, job_id)
    assert job.status is PackStatus.BUILDING and job.attempts == 1  # killed part way
    assert await crew.pack_keys() == []

    second = start_worker(settings, tmp_path, "second")
    try:
        body = await crew.wait(job_id)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()
    assert body["status"] == "ready", (body, (tmp_path / "worker-second.log").read_text())
    assert (await _job(crew, job_id)).attempts == 2  # taken over once
    keys = await crew.pack_keys()
    assert len(keys) == 1  # one zip: the dead run kept nothing
    download = await crew.call("leeds", "GET", body["download"])
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sum(name.endswith(".jpg") for name in names) == IMAGES * len(PRESETS.split(","))
    assert "dead worker queued again" in (tmp_path / "worker-second.log").read_text()
