"""Large campaign packs built in the background: queued with 202, built by the worker into
storage, downloaded when ready, 404 for other libraries, failed cleanly, expired with 410."""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from assets_hub import db
from assets_hub.backends import Backends
from assets_hub.models import Asset, PackJob, PackStatus, Role, Status
from assets_hub.services import pack_jobs, rendering
from assets_hub.services.gc import collect_garbage
from assets_hub.settings import Settings
from assets_hub.web.templating import templates
from tests.conftest import PUBLISHABLE, app_client, http_state, make_jpeg
from tests.conftest import Crew as BaseCrew

PACK = "/api/v1/campaigns/libraries-week/pack.zip"
WAIT_S = 30.0


class Crew(BaseCrew):
    """The shared crew, plus what these tests keep: a temp folder, a profile, the images."""

    def __init__(self, http: httpx.AsyncClient, tmp: Path) -> None:
        super().__init__(http)
        self.tmp = tmp
        self.profile = 0
        self.images: list[str] = []

    @property
    def backends(self) -> Backends:
        return http_state(self.http)

    async def pack(self, who: str = "leeds", presets: str = "instagram-square") -> httpx.Response:
        return await self.call(
            who, "GET", PACK, params={"profile": str(self.profile), "presets": presets}
        )

    async def upload(self, title: str, campaign: str, colour: str, **extra: str) -> str:
        made = await self.call(
            "editor",
            "POST",
            "/api/v1/assets",
            data={**PUBLISHABLE, "title": title, "campaign": campaign, **extra},
            files={"file": ("p.jpg", make_jpeg((1600, 1200), colour), "image/jpeg")},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    async def wait(self, job_id: str, *, until: set[str] | None = None) -> dict[str, Any]:
        """Poll the API (as the requester would) until the job is ready or failed."""
        until = until or {"ready", "failed"}
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while True:
            answer = await self.call("leeds", "GET", f"/api/v1/pack-jobs/{job_id}")
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            if body["status"] in until:
                return body
            assert asyncio.get_running_loop().time() < deadline, f"pack job stuck: {body}"
            await asyncio.sleep(0.05)

    async def pack_keys(self) -> list[str]:
        return [k async for k in self.backends.storage.list_keys("packs/")]


@pytest.fixture
async def crew(make_settings: Callable[..., Settings], tmp_path: Path) -> AsyncIterator[Crew]:
    settings = make_settings(pack_sync_max_renditions=1, pack_max_renditions=6)
    async with app_client(settings) as http:
        c = Crew(http, tmp_path)
        await c.add("editor", Role.EDITOR)
        await c.add("admin", Role.LIBRARY_ADMIN, "leeds")
        await c.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        await c.add("york", Role.LIBRARY_MEMBER, "york")
        for slug, name in (("libraries-week", "Libraries Week"), ("small", "Small")):
            made = await c.call(
                "editor", "POST", "/api/v1/campaigns", json={"slug": slug, "name": name}
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
        c.images = [
            await c.upload(
                "Bus at the fair",
                "libraries-week",
                "#884422",
                licence="cc-by-4.0",
                credit="Photo: A. Photographer",
            ),
            await c.upload("Reading corner", "libraries-week", "#224488"),
        ]
        await c.upload("Only one", "small", "#448822")
        yield c


async def _queued(crew: Crew, who: str = "leeds") -> str:
    answer = await crew.pack(who)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    job_id = body["id"]
    assert body["status"] == "queued"
    assert body["status_url"] == f"/packs/{job_id}"
    assert body["api"] == f"/api/v1/pack-jobs/{job_id}"
    assert answer.headers["location"] == f"/packs/{job_id}"
    return str(job_id)


async def test_a_large_pack_is_built_in_the_background_and_downloaded(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = asyncio.Event()  # holds the worker before it writes, so "building" can be seen
    real_spool = pack_jobs._spool_and_store

    async def gated(*args: Any, **kwargs: Any) -> int:
        await gate.wait()
        return await real_spool(*args, **kwargs)

    monkeypatch.setattr(pack_jobs, "_spool_and_store", gated)
    small = await crew.call(
        "leeds",
        "GET",
        "/api/v1/campaigns/small/pack.zip",
        params={"profile": str(crew.profile)},
    )
    assert small.status_code == 200  # at or below the threshold: streamed at once, as before
    assert small.headers["content-type"] == "application/zip"

    job_id = await _queued(crew)
    again = await crew.pack()  # asking again while it builds: the same job, not a second one
    assert again.status_code == 202 and again.json()["id"] == job_id
    browser = await crew.call(
        "leeds",
        "GET",
        PACK,
        params={"profile": str(crew.profile), "presets": "instagram-square"},
        headers={"Accept": "text/html,*/*;q=0.8"},
    )
    assert browser.status_code == 303 and browser.headers["location"] == f"/packs/{job_id}"
    waiting = await crew.call("leeds", "GET", f"/packs/{job_id}")
    assert 'data-pack-status="/api/v1/pack-jobs/' in waiting.text  # updated in place with JS
    assert 'http-equiv="refresh"' not in waiting.text  # never a timed refresh (WCAG 2.2.1)
    not_yet = await crew.call("leeds", "GET", f"/api/v1/pack-jobs/{job_id}/download")
    assert not_yet.status_code == 409
    gate.set()

    body = await crew.wait(job_id)
    assert body["status"] == "ready", body
    assert body["progress"] == {"done": 2, "total": 2}
    assert body["download"] == f"/api/v1/pack-jobs/{job_id}/download"
    assert body["expires_at"] is not None and body["error"] is None

    download = await crew.call("leeds", "GET", body["download"])
    assert download.status_code == 200, download.text
    assert "libraries-week-pack.zip" in download.headers["content-disposition"]
    assert int(download.headers["content-length"]) == body["size"] == len(download.content)
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert names == {
            "README.txt",
            "captions.txt",
            "alt-text.txt",
            "credits.txt",
            "instagram-square/Bus at the fair.jpg",
            "instagram-square/Reading corner.jpg",
        }
        assert "Photo: A. Photographer" in archive.read("credits.txt").decode()
        assert archive.read("instagram-square/Reading corner.jpg")[:3] == b"\xff\xd8\xff"

    keys = await crew.pack_keys()
    assert len(keys) == 1 and keys[0].startswith("packs/") and keys[0].endswith(".zip")
    with db.activate(crew.backends.database):
        report = await collect_garbage(crew.backends, grace=timedelta(0))
    assert report.deleted_objects == 0  # a live pack is referenced until it expires
    assert await crew.pack_keys() == keys

    # The library's other staff and the campaign team see it; the status page offers it.
    for who in ("admin", "editor"):
        assert (await crew.call(who, "GET", f"/api/v1/pack-jobs/{job_id}")).status_code == 200
    page = await crew.call("leeds", "GET", f"/packs/{job_id}")
    assert page.status_code == 200
    assert f'href="/api/v1/pack-jobs/{job_id}/download"' in page.text
    assert "pack-status.js" not in page.text  # finished: nothing left to watch


async def test_another_library_gets_404(crew: Crew) -> None:
    job_id = await _queued(crew)
    await crew.wait(job_id)
    for url in (
        f"/api/v1/pack-jobs/{job_id}",
        f"/api/v1/pack-jobs/{job_id}/download",
        f"/packs/{job_id}",
    ):
        assert (await crew.call("york", "GET", url)).status_code == 404, url
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        assert (await crew.call("leeds", "GET", f"/api/v1/pack-jobs/{bad}")).status_code == 404


async def test_an_asset_withdrawn_mid_build_fails_the_job_and_keeps_nothing(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_prepare = rendering.prepare
    calls = 0

    async def withdrawing_prepare(*args: Any, **kwargs: Any) -> rendering.Prepared:
        nonlocal calls
        calls += 1
        if calls == 2:  # the campaign team withdraws the second image while the pack builds
            await Asset.filter(id=crew.images[1]).update(status=Status.WITHDRAWN)
        return await real_prepare(*args, **kwargs)

    monkeypatch.setattr(rendering, "prepare", withdrawing_prepare)
    job_id = await _queued(crew)
    body = await crew.wait(job_id)
    assert body["status"] == "failed", body
    assert "could not be built" in body["error"] and "Nothing was kept" in body["error"]
    assert "Reading corner" in body["error"]  # says which image
    assert body["download"] is None
    assert await crew.pack_keys() == []
    assert list((crew.tmp / "tmp").iterdir()) == []  # no temporary file left either
    download = await crew.call("leeds", "GET", f"/api/v1/pack-jobs/{job_id}/download")
    assert download.status_code == 409
    page = await crew.call("leeds", "GET", f"/packs/{job_id}")
    assert "The pack could not be built" in page.text


async def test_an_unexpected_error_fails_the_job_without_leaking_it(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rendering.get_or_render
    calls = 0

    async def broken(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("secret internal detail")
        return await real(*args, **kwargs)

    monkeypatch.setattr(rendering, "get_or_render", broken)
    job_id = await _queued(crew)
    body = await crew.wait(job_id)
    assert body["status"] == "failed"
    assert "secret internal detail" not in body["error"]
    assert "Something went wrong on our side" in body["error"]
    assert await crew.pack_keys() == []


async def test_an_expired_pack_answers_410_and_gc_removes_it(crew: Crew) -> None:
    job_id = await _queued(crew)
    await crew.wait(job_id)
    with db.activate(crew.backends.database):
        past = datetime.now(UTC) - timedelta(minutes=1)
        await PackJob.filter(id=job_id).update(expires_at=past)
    gone = await crew.call("leeds", "GET", f"/api/v1/pack-jobs/{job_id}/download")
    assert gone.status_code == 410 and "expired" in gone.json()["error"]
    status = (await crew.call("leeds", "GET", f"/api/v1/pack-jobs/{job_id}")).json()
    assert status["expired"] is True and status["download"] is None
    page = await crew.call("leeds", "GET", f"/packs/{job_id}")
    assert "has expired" in page.text and "/download" not in page.text
    assert len(await crew.pack_keys()) == 1
    with db.activate(crew.backends.database):
        report = await collect_garbage(crew.backends, grace=timedelta(0))
    assert report.deleted_objects == 1
    assert await crew.pack_keys() == []


async def test_the_hard_cap_answers_422_naming_it(crew: Crew) -> None:
    # 2 images x 4 sizes = 8, over pack_max_renditions=6: refused, nothing queued.
    answer = await crew.pack(presets="instagram-square,x-post,linkedin,story")
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert "ASSETS_HUB_PACK_MAX_RENDITIONS" in error and "6" in error and "8" in error
    with db.activate(crew.backends.database):
        assert await PackJob.all().count() == 0


async def test_jobs_left_building_by_a_stopped_process_are_retried_then_failed(
    crew: Crew,
) -> None:
    job_id = await _queued(crew)
    await crew.wait(job_id)
    backends = crew.backends
    with db.activate(backends.database):
        job = await PackJob.get(id=job_id)
        stale = datetime.now(UTC) - pack_jobs.STALE_AFTER - timedelta(minutes=1)
        lost = []
        for attempts in (1, pack_jobs.MAX_ATTEMPTS):
            row = await PackJob.create(
                library_id=job.library_id,
                requested_by_id=job.requested_by_id,
                campaign_id=job.campaign_id,
                profile_id=job.profile_id,
                presets=job.presets,
                status=PackStatus.BUILDING,
                attempts=attempts,
            )
            await PackJob.filter(id=row.id).update(updated_at=stale)
            lost.append(str(row.id))
        fresh = await PackJob.create(
            library_id=job.library_id,
            requested_by_id=job.requested_by_id,
            campaign_id=job.campaign_id,
            profile_id=job.profile_id,
            presets=job.presets,
            status=PackStatus.BUILDING,
            attempts=1,
        )
        assert await pack_jobs.recover(backends) == 2
        assert (await PackJob.get(id=fresh.id)).status is PackStatus.BUILDING  # still alive
    page = await crew.call("leeds", "GET", f"/packs/{fresh.id}")
    assert "pack-status.js" in page.text  # updated in place while building
    assert "<script>" not in page.text.split("</head>", 1)[1]  # no inline script
    failed = await crew.wait(lost[1])
    assert failed["status"] == "failed" and "ask for it again" in failed["error"]
    with db.activate(backends.database):
        await pack_jobs.defer_queued(backends)  # as the pack-sweep task does every 5 s
    retried = await crew.wait(lost[0])
    assert retried["status"] == "ready", retried


def pack_template_contexts(canary: str) -> dict[str, dict[str, Any]]:
    """Canary context for templates/packs/status.html (tests/web/test_templates.py)."""
    return {"packs/status.html": _status_context(canary, "failed")}


def _status_context(canary: str, status: str) -> dict[str, Any]:
    when = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    return {
        "job": SimpleNamespace(
            id=canary,
            done=1,
            total=2,
            presets=[canary],
            error=canary,
            size=123_456,
            created_at=when,
            expires_at=when,
        ),
        "campaign": SimpleNamespace(name=canary),
        "status": status,
        "sizes": [canary],
        "expired": False,
        "refresh_s": 5 if status in ("queued", "building") else None,
        "download_url": canary if status == "ready" else None,
    }


@pytest.mark.parametrize("status", ["queued", "building", "ready", "failed"])
def test_status_page_escapes_a_canary_in_every_state(status: str) -> None:
    canary = '<script>alert("x")</script>"><img src=x onerror=alert(1)>{{7*7}}'
    account: dict[str, Any] = {"principal": None, "csrf_token": "", "navigation": []}
    html = templates.env.get_template("packs/status.html").render(
        {**account, **_status_context(canary, status)}
    )
    assert "<script>alert" not in html and "<img src=x" not in html and ">49<" not in html
    assert "&lt;script&gt;" in html
    assert 'http-equiv="refresh"' not in html
    assert ("pack-status.js" in html) is (status in ("queued", "building"))


async def test_one_person_cannot_queue_packs_without_end(crew: Crew) -> None:
    with db.activate(crew.backends.database):
        first = await PackJob.get(id=await _queued(crew))
        for _ in range(pack_jobs.MAX_ACTIVE_PER_USER):  # parked as building by someone else
            await PackJob.create(
                library_id=first.library_id,
                requested_by_id=first.requested_by_id,
                campaign_id=first.campaign_id,
                profile_id=first.profile_id,
                presets=["x-post"],
                status=PackStatus.BUILDING,
            )
    refused = await crew.pack(presets="linkedin")
    assert refused.status_code == 429 and "already have" in refused.json()["error"]
    assert refused.headers["retry-after"]
