"""Pre-rendering on the in-process queue (the embedded default): an asset published into a
campaign gets every library's default profile by each launch preset rendered ahead; the
campaign's readiness counts them; a profile's new version is rendered ahead in turn; a later
request is served from storage without a render; a task for an older revision is dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from assets_hub import db
from assets_hub.models import Asset, Campaign, Rendition, Role
from assets_hub.services import prerender, rendering
from assets_hub.settings import Settings
from assets_hub.tasks import TaskContext
from tests.conftest import PUBLISHABLE, Crew, app_client, http_state, make_jpeg

WAIT_S = 60.0


async def test_a_published_asset_is_rendered_ahead_for_every_library(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_client(make_settings(web_task_workers=2)) as http:
        crew = Crew(http)
        await crew.add("editor", Role.EDITOR)
        profiles = {}
        for library in ("leeds", "york"):
            await crew.add(f"{library}_admin", Role.LIBRARY_ADMIN, library)
            made = await crew.call(
                f"{library}_admin",
                "POST",
                f"/api/v1/libraries/{library}/profiles",
                json={"name": "Main", "primary": "#00703c", "library_name": library.title()},
            )
            assert made.status_code == 201, made.text
            profiles[library] = made.json()["id"]
        await crew.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        made = await crew.call(
            "editor", "POST", "/api/v1/campaigns", json={"slug": "launch", "name": "Launch"}
        )
        assert made.status_code == 201, made.text
        upload = await crew.call(
            "editor",
            "POST",
            "/api/v1/assets",
            data={**PUBLISHABLE, "campaign": "launch"},
            files={"file": ("p.jpg", make_jpeg((2400, 1800), "#884422"), "image/jpeg")},
        )
        assert upload.status_code == 201, upload.text
        asset_id = upload.json()["id"]
        backends = http_state(http)
        with db.activate(backends.database):
            campaign = await Campaign.get(slug="launch")
            assert await prerender.readiness(campaign.id) == {
                "rendered": 0,
                "due": 2 * len(prerender.PRESETS),
            }
            # What the minute's sweep does (its first run was at start, before the upload).
            await backends.queue.defer(prerender.PRERENDER_SWEEP)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_S
            while (ready := await prerender.readiness(campaign.id))["rendered"] < ready["due"]:
                assert loop.time() < deadline, f"pre-renders not done: {ready}"
                await asyncio.sleep(0.1)
            assert await Rendition.filter(asset_id=asset_id).count() == 2 * len(prerender.PRESETS)

            # Superseded: a task for the asset's previous revision renders nothing.
            asset = await Asset.get(id=asset_id)
            context = TaskContext(backends, backends.queue, 0)
            stale = await prerender.prerender(
                context, asset_id, asset.revision - 1, profiles["leeds"], 1, "poster-a4"
            )
            assert stale is False
            assert not await Rendition.filter(asset_id=asset_id, preset="poster-a4").exists()

        readiness = await crew.call("editor", "GET", "/api/v1/campaigns/launch/readiness")
        assert readiness.status_code == 200, readiness.text
        assert readiness.json()["rendered"] == readiness.json()["due"] == 12
        member = await crew.call("leeds", "GET", "/api/v1/campaigns/launch/readiness")
        assert member.status_code == 403  # editors only
        unknown = await crew.call("editor", "GET", "/api/v1/campaigns/nope/readiness")
        assert unknown.status_code == 404

        # A profile change supersedes: its new version is rendered ahead in turn.
        edited = await crew.call(
            "york_admin",
            "PATCH",
            f"/api/v1/profiles/{profiles['york']}",
            json={"primary": "#ffdd00", "version": 1},
        )
        assert edited.status_code == 200 and edited.json()["version"] == 2, edited.text
        with db.activate(backends.database):
            half = len(prerender.PRESETS)
            assert await prerender.readiness(campaign.id) == {"rendered": half, "due": 2 * half}
            await backends.queue.defer(prerender.PRERENDER_SWEEP)
            deadline = loop.time() + WAIT_S
            while (ready := await prerender.readiness(campaign.id))["rendered"] < ready["due"]:
                assert loop.time() < deadline, f"pre-renders not done: {ready}"
                await asyncio.sleep(0.1)

        page = await crew.call("editor", "GET", "/campaigns/launch")
        assert page.status_code == 200, page.text
        assert "Ready for launch: 12 of 12 branded images rendered ahead." in page.text
        member_page = await crew.call("leeds", "GET", "/campaigns/launch")
        assert member_page.status_code == 200 and "Ready for launch" not in member_page.text

        calls = 0
        original = rendering.render_now

        async def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(rendering, "render_now", counting)
        warm = await crew.call(
            "leeds",
            "GET",
            f"/api/v1/assets/{asset_id}/render",
            params={"preset": "story", "profile": str(profiles["leeds"])},
        )
        assert warm.status_code == 200, warm.text
        assert calls == 0  # launch morning: served from storage
