"""Social posts, campaign packs and feeds through the API."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, Crew, app_client, make_jpeg


@pytest.fixture
async def crew(make_settings: Callable[..., Settings]) -> AsyncIterator[Crew]:
    async with app_client(make_settings()) as http:
        c = Crew(http)
        await c.add("editor", Role.EDITOR)
        await c.add("admin", Role.LIBRARY_ADMIN, "leeds")
        await c.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        await c.call(
            "editor",
            "POST",
            "/api/v1/campaigns",
            json={"slug": "libraries-week", "name": "Libraries Week"},
        )
        profile = await c.call(
            "admin",
            "POST",
            "/api/v1/libraries/leeds/profiles",
            json={
                "name": "Main",
                "primary": "#00703c",
                "library_name": "Leeds Central Library",
                "website": "https://leeds.example.org",
            },
        )
        c.profile = profile.json()["id"]  # type: ignore[attr-defined]
        image = await c.call(
            "editor",
            "POST",
            "/api/v1/assets",
            data={
                **PUBLISHABLE,
                "title": "Bus at the fair",
                "campaign": "libraries-week",
                "licence": "cc-by-4.0",
                "credit": "Photo: A. Photographer",
            },
            files={"file": ("bus.jpg", make_jpeg((1600, 1200), "#884422"), "image/jpeg")},
        )
        assert image.status_code == 201, image.text
        c.image = image.json()["id"]  # type: ignore[attr-defined]
        yield c


async def _post(crew: Crew, **extra: object) -> dict[str, object]:
    body = {
        "title": "Libraries Week post",
        "campaign": "libraries-week",
        "licence": "own-work",
        "captions": {"default": "Pop into {library_name} this #LibrariesWeek: {website}"},
        "hashtags": ["LibrariesWeek"],
        "link": "https://librariesweek.example.org",
        "images": [{"asset_id": crew.image, "alt": "The {library_name} bus"}],  # type: ignore[attr-defined]
        **extra,
    }
    created = await crew.call("editor", "POST", "/api/v1/posts", json=body)
    assert created.status_code == 201, created.text
    published = await crew.call("editor", "POST", f"/api/v1/assets/{created.json()['id']}/publish")
    assert published.status_code == 200, published.text
    result: dict[str, object] = created.json()
    return result


async def test_templates_are_checked_when_saved(crew: Crew) -> None:
    for captions, words in (
        ({"default": "Hi {library_name.__class__}"}, "captions.default"),
        ({"default": "Hi {unknown_field}"}, "unknown_field"),
        ({"default": "ok", "myspace": "x"}, "unknown platform"),
        ({"default": "x" * 400, "x": "{library_name}" + "y" * 300}, "X allows 280"),
    ):
        response = await crew.call(
            "editor", "POST", "/api/v1/posts", json={"title": "t", "captions": captions}
        )
        assert response.status_code == 422, captions
        assert words in response.json()["error"], (captions, response.json())
    no_alt = await crew.call(
        "editor",
        "POST",
        "/api/v1/posts",
        json={
            "title": "t",
            "licence": "own-work",
            "captions": {"default": "hello"},
            "images": [{"asset_id": crew.image}],  # type: ignore[attr-defined]
        },
    )
    refused = await crew.call("editor", "POST", f"/api/v1/assets/{no_alt.json()['id']}/publish")
    assert refused.status_code == 422 and "alt text" in refused.json()["error"]


async def test_grab_fills_caption_alt_text_and_credit_for_the_library(crew: Crew) -> None:
    post = await _post(crew)
    grab = await crew.call(
        "leeds",
        "GET",
        f"/api/v1/posts/{post['id']}",
        params={"profile": str(crew.profile), "platform": "x"},
    )  # type: ignore[attr-defined]
    assert grab.status_code == 200, grab.text
    body = grab.json()
    assert body["caption"].startswith("Pop into Leeds Central Library this #LibrariesWeek")
    assert "Photo: A. Photographer" in body["caption"]  # the cc-by credit travels along
    assert body["images"][0]["alt_text"] == "The Leeds Central Library bus"
    assert body["limits"]["ok"] is True
    image = await crew.call("leeds", "GET", body["images"][0]["download"])
    assert image.status_code == 200 and image.headers["x-rendition-width"] == "1200"


async def test_an_overflowing_caption_is_reported_not_cut(crew: Crew) -> None:
    await crew.call(
        "admin",
        "PATCH",
        f"/api/v1/profiles/{crew.profile}",  # type: ignore[attr-defined]
        json={"library_name": "The Very " + "Long " * 60 + "Library"},
    )
    post = await _post(crew)
    grab = await crew.call(
        "leeds",
        "GET",
        f"/api/v1/posts/{post['id']}",
        params={"profile": str(crew.profile), "platform": "x"},
    )  # type: ignore[attr-defined]
    body = grab.json()
    assert body["limits"]["ok"] is False
    assert any("over the limit of 280" in p for p in body["limits"]["problems"])
    assert "Library this #LibrariesWeek" in body["caption"]  # whole, never truncated


async def test_grab_zip_and_campaign_pack(crew: Crew) -> None:
    post = await _post(crew)
    await crew.call(
        "editor",
        "POST",
        "/api/v1/assets",
        data={
            **PUBLISHABLE,
            "title": "Secret draft",
            "campaign": "libraries-week",
            "status": "draft",
        },
        files={"file": ("d.jpg", make_jpeg(colour="#010203"), "image/jpeg")},
    )
    grab = await crew.call(
        "leeds",
        "GET",
        f"/api/v1/posts/{post['id']}/grab.zip",
        params={"profile": str(crew.profile), "platform": "bluesky"},
    )  # type: ignore[attr-defined]
    assert grab.status_code == 200, grab.text
    with zipfile.ZipFile(io.BytesIO(grab.content)) as archive:
        names = archive.namelist()
        assert {"README.txt", "captions.txt", "alt-text.txt", "credits.txt"} <= set(names)
        assert any(n.startswith("bluesky/") and n.endswith(".jpg") for n in names)
        assert "Leeds Central Library" in archive.read("captions.txt").decode()
    pack = await crew.call(
        "leeds",
        "GET",
        "/api/v1/campaigns/libraries-week/pack.zip",
        params={
            "profile": str(crew.profile),
            "presets": "instagram-square,x-post",  # type: ignore[attr-defined]
        },
    )
    assert pack.status_code == 200, pack.text
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert any(n.startswith("instagram-square/") for n in names)
        assert any(n.startswith("x-post/") for n in names)
        assert not any("Secret draft" in n for n in names)  # drafts never leak into packs
        assert "Photo: A. Photographer" in archive.read("credits.txt").decode()
    unknown = await crew.call(
        "leeds",
        "GET",
        "/api/v1/campaigns/libraries-week/pack.zip",
        params={"profile": str(crew.profile), "presets": "huge"},
    )  # type: ignore[attr-defined]
    assert unknown.status_code == 404


async def test_feeds_parse_respect_embargo_and_can_be_revoked(crew: Crew) -> None:
    await _post(crew, title="Out now")
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    await _post(crew, title="Not yet", embargo_until=later)
    made = await crew.call("admin", "POST", "/api/v1/feed-tokens", json={"name": "Buffer"})
    assert made.status_code == 201
    token = made.json()["token"]
    anonymous = httpx.AsyncClient(transport=crew.http._transport, base_url="https://testserver")
    atom = await anonymous.get(f"/feeds/{token}/libraries-week.atom")
    assert atom.status_code == 200, atom.text
    root = ET.fromstring(atom.content)  # noqa: S314 - our own feed, parsed to check it
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Out now"]
    feed = json.loads((await anonymous.get(f"/feeds/{token}/libraries-week.json")).content)
    assert [item["title"] for item in feed["items"]] == ["Out now"]
    assert "Leeds Central Library" in feed["items"][0]["content_text"]
    await crew.call("admin", "DELETE", f"/api/v1/feed-tokens/{made.json()['id']}")
    assert (await anonymous.get(f"/feeds/{token}/libraries-week.atom")).status_code == 404


async def test_caption_limits_are_settings(make_settings: Callable[..., Settings]) -> None:
    from assets_hub.errors import ConfigError
    from assets_hub.services.posts import platform_rules

    async with app_client(make_settings(caption_limits="x=100, bluesky=250")):
        assert platform_rules()["x"].caption_max == 100
        assert platform_rules()["bluesky"].caption_max == 250
        assert platform_rules()["threads"].caption_max == 500
    with pytest.raises(ConfigError, match="ASSETS_HUB_CAPTION_LIMITS"):
        async with app_client(make_settings(caption_limits="myspace=10")):
            pass
    async with app_client(make_settings()):
        assert platform_rules()["x"].caption_max == 280
