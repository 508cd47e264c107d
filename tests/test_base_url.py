"""Links sent away (feeds, mails, the demo banner) name the address people use."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from assets_hub.cli import DEFAULT_BASE_URL, served_base_url
from assets_hub.settings import Settings
from tests.api.test_posts_api import _post, crew  # noqa: F401 - the fixture, reused
from tests.conftest import Crew

BASE = "https://assets.example.org"


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """The usual settings, with the address people use set (the crew fixture uses it)."""

    def factory(**overrides: object) -> Settings:
        return make_settings(**{"base_url": BASE, **overrides})

    return factory


def test_serve_links_follow_its_host_and_port_unless_the_base_url_is_set() -> None:
    assert served_base_url(DEFAULT_BASE_URL, "127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert served_base_url(DEFAULT_BASE_URL, "192.0.2.10", 8310) == "http://192.0.2.10:8310"
    assert served_base_url(DEFAULT_BASE_URL, "0.0.0.0", 8311) == "http://127.0.0.1:8311"  # noqa: S104
    assert served_base_url(DEFAULT_BASE_URL, "::1", 8312) == "http://[::1]:8312"
    assert served_base_url(BASE, "0.0.0.0", 8313) == BASE  # noqa: S104


async def test_feed_links_use_the_base_url_not_the_host_header(
    crew: Crew,  # noqa: F811 - the fixture imported above
) -> None:
    await _post(crew, title="Out now")
    made = await crew.call("admin", "POST", "/api/v1/feed-tokens", json={"name": "Buffer"})
    token = made.json()["token"]
    assert made.json()["json"] == f"{BASE}/feeds/{token}/CAMPAIGN.json"
    anonymous = httpx.AsyncClient(transport=crew.http._transport, base_url="http://internal:9")
    feed = json.loads((await anonymous.get(f"/feeds/{token}/libraries-week.json")).content)
    assert feed["feed_url"] == f"{BASE}/feeds/{token}/libraries-week.json"
    image = feed["items"][0]["attachments"][0]["url"]
    assert image.startswith(f"{BASE}/r/")
    followed = await anonymous.get(image.removeprefix(BASE))
    assert followed.status_code == 200 and followed.headers["content-type"] == "image/jpeg"
