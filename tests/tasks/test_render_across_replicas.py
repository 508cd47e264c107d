"""Single flight across replicas: two app instances sharing PostgreSQL and storage (each with
its own backends, its own in-process single flight and rendition cache, as two processes
have), asked at once for the same uncached rendition, render it once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assets_hub import db
from assets_hub.models import Rendition, Role
from assets_hub.services import rendering
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, Crew, app_client, http_state, make_jpeg

pytestmark = pytest.mark.postgres


async def test_two_replicas_asked_at_once_render_once(
    make_settings: Callable[..., Settings],
    migrated_postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def replica(name: str) -> Settings:
        return make_settings(
            database_url=migrated_postgres_url,
            search_url=f"embedded://{tmp_path / ('search-' + name)}",
            web_task_workers=0,
        )

    async with app_client(replica("a")) as one, app_client(replica("b")) as two:
        a = Crew(one)
        await a.add("editor", Role.EDITOR)
        await a.add("admin", Role.LIBRARY_ADMIN, "leeds")
        await a.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        upload = await a.call(
            "editor",
            "POST",
            "/api/v1/assets",
            data=PUBLISHABLE,
            files={"file": ("p.jpg", make_jpeg((2400, 1800), "#884422"), "image/jpeg")},
        )
        assert upload.status_code == 201, upload.text
        profile = await a.call(
            "admin",
            "POST",
            "/api/v1/libraries/leeds/profiles",
            json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Library"},
        )
        assert profile.status_code == 201, profile.text
        b = Crew(two)
        b.auth = a.auth  # tokens are database rows: they work on either replica

        calls = 0
        original = rendering.render_now

        async def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(rendering, "render_now", counting)
        url = f"/api/v1/assets/{upload.json()['id']}/render"
        params = {"preset": "instagram-square", "profile": str(profile.json()["id"])}
        answers = await asyncio.gather(
            *(crew.call("leeds", "GET", url, params=params) for crew in (a, b) * 4)
        )
        assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
        assert len({r.content for r in answers}) == 1
        assert calls == 1
        with db.activate(http_state(two).database):
            assert await Rendition.filter(preset="instagram-square").count() == 1
