"""Gap 6: render links and feed tokens stop with their maker (docs/links-and-feeds.md).

A link or feed keeps working while the person who made it could still make it: switched off,
deleted or moved out of the library, what they shared stops too (a 404, like a revoked one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from assets_hub import db
from assets_hub.models import Library, Role, User
from assets_hub.services import accounts
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, http_state, make_jpeg, make_user, token_for


@dataclass
class World:
    http: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    admin: dict[str, str]
    maker: User
    maker_auth: dict[str, str]
    asset: str
    profile: int


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    async with app_client(settings) as http:
        editor = await make_user(http, Role.EDITOR)
        boss = await make_user(http, Role.ADMIN)
        maker = await make_user(http, Role.LIBRARY_ADMIN, library="leeds")
        auth = {"Authorization": f"Bearer {await token_for(http, editor)}"}
        maker_auth = {"Authorization": f"Bearer {await token_for(http, maker)}"}
        campaign = await http.post(
            "/api/v1/campaigns", json={"slug": "week", "name": "Week"}, headers=auth
        )
        assert campaign.status_code == 201, campaign.text
        upload = await http.post(
            "/api/v1/assets",
            data=PUBLISHABLE,
            files={"file": ("bus.jpg", make_jpeg((1600, 1200)), "image/jpeg")},
            headers=auth,
        )
        assert upload.status_code == 201, upload.text
        profile = await http.post(
            "/api/v1/libraries/leeds/profiles",
            json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Library"},
            headers=maker_auth,
        )
        assert profile.status_code == 201, profile.text
        anonymous = httpx.AsyncClient(transport=http._transport, base_url="https://testserver")
        yield World(
            http,
            anonymous,
            {"Authorization": f"Bearer {await token_for(http, boss)}"},
            maker,
            maker_auth,
            upload.json()["id"],
            profile.json()["id"],
        )
        await anonymous.aclose()


async def _render_link(world: World) -> str:
    link = await world.http.post(
        f"/api/v1/assets/{world.asset}/render-link",
        json={"preset": "instagram-square", "profile": world.profile, "lifetime_s": 600},
        headers=world.maker_auth,
    )
    assert link.status_code == 201, link.text
    url: str = link.json()["url"]
    return url


async def _feed_url(world: World) -> str:
    made = await world.http.post(
        "/api/v1/feed-tokens", json={"name": "Buffer"}, headers=world.maker_auth
    )
    assert made.status_code == 201, made.text
    return f"/feeds/{made.json()['token']}/week.atom"


async def _switch(world: World, active: bool) -> None:
    changed = await world.http.patch(
        f"/api/v1/users/{world.maker.id}", json={"is_active": active}, headers=world.admin
    )
    assert changed.status_code == 200, changed.text


async def test_switching_the_maker_off_stops_their_links_and_feeds(world: World) -> None:
    link, feed = await _render_link(world), await _feed_url(world)
    assert (await world.anonymous.get(link)).status_code == 200
    assert (await world.anonymous.get(feed)).status_code == 200
    await _switch(world, False)
    stopped = await world.anonymous.get(link)
    assert stopped.status_code == 404 and "no longer works" in stopped.json()["error"]
    assert (await world.anonymous.get(feed)).status_code == 404
    await _switch(world, True)  # switched back on: what they made works again
    assert (await world.anonymous.get(link)).status_code == 200
    assert (await world.anonymous.get(feed)).status_code == 200


async def test_leaving_the_library_or_being_deleted_stops_them(world: World) -> None:
    link, feed = await _render_link(world), await _feed_url(world)
    backends = http_state(world.http)
    with db.activate(backends.database):
        # No endpoint moves a person between libraries; an operator does it in the database.
        kent = await accounts.create_library("Kent", "kent")
        await User.filter(id=world.maker.id).update(library_id=kent.id)
    assert (await world.anonymous.get(link)).status_code == 404
    assert (await world.anonymous.get(feed)).status_code == 404
    with db.activate(backends.database):
        leeds = await Library.get(slug="leeds")
        await User.filter(id=world.maker.id).update(library_id=leeds.id)
    assert (await world.anonymous.get(link)).status_code == 200
    with db.activate(backends.database):
        await User.filter(id=world.maker.id).delete()
    assert (await world.anonymous.get(link)).status_code == 404
    assert (await world.anonymous.get(feed)).status_code == 404
