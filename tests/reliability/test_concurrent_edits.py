"""F14 (a, b), fast: two editors at the same moment, released together by a barrier.

(a) both saw revision r and save different titles: one wins, the other gets 409/412 and
nothing is silently lost; (b) two clients add different tags at once: both tags are kept.
Repeated to catch races; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, authorise, make_jpeg

ROUNDS = 10


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> Settings:
    if request.param == "postgres":
        return make_settings(database_url=request.getfixturevalue("migrated_postgres_url"))
    return make_settings()


async def _together(*calls: Awaitable[httpx.Response]) -> list[httpx.Response]:
    """Run ``calls`` released at the same moment (none starts before all are ready)."""
    gate = asyncio.Event()

    async def run(call: Awaitable[httpx.Response]) -> httpx.Response:
        await gate.wait()
        return await call

    tasks = [asyncio.create_task(run(call)) for call in calls]
    await asyncio.sleep(0)
    gate.set()
    return list(await asyncio.gather(*tasks))


async def test_concurrent_saves_and_tag_adds(database_settings: Settings) -> None:
    async with app_client(database_settings) as http:
        await authorise(http, Role.EDITOR)
        made = await http.post(
            "/api/v1/assets",
            data=PUBLISHABLE,
            files={"file": ("a.jpg", make_jpeg((400, 300)), "image/jpeg")},
        )
        assert made.status_code == 201, made.text
        url = f"/api/v1/assets/{made.json()['id']}"
        for round_ in range(ROUNDS):
            revision = (await http.get(url)).json()["revision"]
            first, second = await _together(
                http.patch(url, json={"title": f"A{round_}", "revision": revision}),
                http.patch(url, json={"title": f"B{round_}", "revision": revision}),
            )
            statuses = sorted([first.status_code, second.status_code])
            assert statuses[0] == 200 and statuses[1] in (409, 412), (first.text, second.text)
            winner = first if first.status_code == 200 else second
            assert (await http.get(url)).json()["title"] == winner.json()["title"]
            added = await _together(
                http.post(f"{url}/tags", json={"tags": [f"left{round_}"]}),
                http.post(f"{url}/tags", json={"tags": [f"right{round_}"]}),
            )
            assert [a.status_code for a in added] == [200, 200], [a.text for a in added]
            tags = set((await http.get(url)).json()["tags"])
            assert {f"left{round_}", f"right{round_}"} <= tags
