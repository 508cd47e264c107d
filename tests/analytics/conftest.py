"""One app with two campaigns, three library services in two regions, a published photo and
downloads made through the real download route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date

import httpx
import pytest

from assets_hub import db
from assets_hub.models import DownloadDaily, DownloadTotal, Library, Role, User
from assets_hub.services.analytics import total_keys
from assets_hub.settings import Settings
from tests.auth.conftest import PASSWORD_HASH
from tests.conftest import PUBLISHABLE, app_client, http_state, make_jpeg, make_user, token_for


@dataclass
class World:
    http: httpx.AsyncClient
    photo: str
    libraries: dict[str, int]
    users: dict[str, User]
    auth: dict[str, dict[str, str]] = field(default_factory=dict)

    async def get(self, who: str, url: str, **kw: object) -> httpx.Response:
        return await self.http.get(url, headers=self.auth.get(who, {}), **kw)  # type: ignore[arg-type]

    async def roll_up(self, day: date, library: str, n: int, *, preset: str = "story") -> None:
        """History: ``n`` downloads of the photo by ``library`` on ``day``."""
        with db.activate(http_state(self.http).database):
            campaign = (await DownloadDaily.filter(asset_id=self.photo).first()).campaign_id  # type: ignore[union-attr]
            library_id = self.libraries[library]
            await DownloadDaily.create(
                day=day,
                campaign_id=campaign,
                asset_id=self.photo,
                library_id=library_id,
                preset=preset,
                branded=True,
                count=n,
            )
            for dimension, total_day, item in total_keys(day, self.photo, library_id, preset):
                total, _ = await DownloadTotal.get_or_create(
                    dimension=dimension,
                    day=total_day,
                    campaign_id=campaign,
                    item=item,
                    branded=True,
                )
                total.count += n  # weekly totals gather several days
                await total.save(update_fields=["count"])


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    async with app_client(settings) as http:
        users = {}
        for name, role, library in (
            ("editor", Role.EDITOR, None),
            ("admin", Role.ADMIN, None),
            ("leeds-admin", Role.LIBRARY_ADMIN, "leeds"),
            ("leeds-member", Role.LIBRARY_MEMBER, "leeds"),
            ("york-admin", Role.LIBRARY_ADMIN, "york"),
            ("kent-admin", Role.LIBRARY_ADMIN, "kent"),
        ):
            users[name] = await make_user(
                http,
                role,
                library=library,
                email=f"{name}@example.org",
                password_hash=PASSWORD_HASH,
            )
        auth = {
            n: {"Authorization": f"Bearer {await token_for(http, u)}"} for n, u in users.items()
        }
        with db.activate(http_state(http).database):
            for slug, region in (
                ("leeds", "Yorkshire and The Humber"),
                ("york", "Yorkshire and The Humber"),
                ("kent", "South East"),
            ):
                await Library.filter(slug=slug).update(region=region)
            libraries = dict(await Library.all().values_list("slug", "id"))
        for slug, name in (
            ("libraries-week", "Libraries Week"),
            ("summer-reading", "Summer Reading"),
        ):
            made = await http.post(
                "/api/v1/campaigns", json={"slug": slug, "name": name}, headers=auth["editor"]
            )
            assert made.status_code == 201, made.text
        photo = await http.post(
            "/api/v1/assets",
            data={**PUBLISHABLE, "title": "Readers at the fair", "campaign": "libraries-week"},
            files={"file": ("fair.jpg", make_jpeg((800, 600)), "image/jpeg")},
            headers=auth["editor"],
        )
        assert photo.status_code == 201, photo.text
        world = World(http, photo.json()["id"], libraries, users, auth)
        for who in ("leeds-member", "leeds-member", "york-admin"):
            got = await world.get(who, f"/api/v1/assets/{world.photo}/download")
            assert got.status_code == 200, got.text
        yield world
