"""Ids past 64 bits: 404 on every address that carries one, 400 for an id query parameter.

They used to reach the database driver and answer 500 (``OverflowError: Python int too large
to convert to SQLite INTEGER``); the ``{name:id}`` path convertor now refuses them before any
handler runs.
"""

from __future__ import annotations

import httpx
import pytest

from assets_hub.models import Role
from tests.conftest import authorise, make_jpeg

HUGE = str(2**64)  # one past what a 64-bit id column holds
PAST_63_BITS = str(2**63)

API = [
    ("GET", "/api/v1/profiles/{}"),
    ("PATCH", "/api/v1/profiles/{}"),
    ("DELETE", "/api/v1/profiles/{}"),
    ("GET", "/api/v1/profiles/{}/logo"),
    ("PUT", "/api/v1/profiles/{}/logo"),
    ("DELETE", "/api/v1/tokens/{}"),
    ("DELETE", "/api/v1/feed-tokens/{}"),
    ("POST", "/api/v1/notices/{}/done"),
    ("PATCH", "/api/v1/users/{}"),
]
PAGES = ["/library/profiles/{}", "/library/profiles/{}/preview"]


@pytest.mark.parametrize("number", [HUGE, PAST_63_BITS, "9" * 40])
@pytest.mark.parametrize(("method", "path"), API)
async def test_api_ids_past_64_bits_answer_404(
    client: httpx.AsyncClient, method: str, path: str, number: str
) -> None:
    await authorise(client, Role.ADMIN)
    body = {"json": {}} if method in ("PATCH", "POST") else {}
    response = await client.request(method, path.format(number), **body)  # type: ignore[arg-type]
    assert response.status_code == 404, response.text
    assert response.json()["error"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_with_huge_profile_ids_answer_404(client: httpx.AsyncClient, path: str) -> None:
    await authorise(client, Role.LIBRARY_ADMIN, library="leeds")
    response = await client.get(path.format(HUGE))
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


async def test_a_huge_profile_query_parameter_answers_400(client: httpx.AsyncClient) -> None:
    campaign = await client.post("/api/v1/campaigns", json={"slug": "x", "name": "X"})
    assert campaign.status_code == 201, campaign.text  # as the editor the client starts as
    await authorise(client, Role.LIBRARY_MEMBER, library="leeds")
    for url in (
        f"/api/v1/campaigns/x/pack.zip?profile={HUGE}",
        f"/api/v1/assets/00000000-0000-0000-0000-000000000000/render?preset=a&profile={HUGE}",
    ):
        response = await client.get(url)
        assert response.status_code == 400, (url, response.text)
        assert "profile must be an id" in response.json()["error"]


async def test_ids_in_range_still_reach_the_handler(client: httpx.AsyncClient) -> None:
    await authorise(client, Role.ADMIN)
    response = await client.get(f"/api/v1/profiles/{10**18 - 1}")
    assert response.status_code == 404
    assert response.json()["error"] != "There is nothing at this address."  # the handler's own


async def test_revisions_past_64_bits_are_refused_not_500(client: httpx.AsyncClient) -> None:
    """Found by schemathesis: If-Match "r<huge>" reached the database (OverflowError)."""
    upload = await client.post(
        "/api/v1/assets", files={"file": ("a.jpg", make_jpeg(), "image/jpeg")}
    )
    url = f"/api/v1/assets/{upload.json()['id']}"
    header = await client.patch(url, json={"title": "x"}, headers={"If-Match": f'"r{HUGE}"'})
    assert header.status_code == 412, header.text
    body = await client.patch(url, json={"title": "x", "revision": int(HUGE)})
    assert body.status_code == 422, body.text
    assert "revision" in body.json()["error"]


async def test_editing_the_wrong_kind_of_asset_is_404_not_500(client: httpx.AsyncClient) -> None:
    """Found by schemathesis: PATCH /posts/{id} and /case-studies/{id} on a plain image."""
    upload = await client.post(
        "/api/v1/assets", files={"file": ("a.jpg", make_jpeg(), "image/jpeg")}
    )
    image = upload.json()["id"]
    for path in (f"/api/v1/posts/{image}", f"/api/v1/case-studies/{image}"):
        response = await client.patch(path, json={"revision": 1})
        assert response.status_code == 404, (path, response.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/campaigns/{}/pack.zip?profile=1"),
        ("GET", "/api/v1/libraries/{}/profiles"),
        ("POST", "/api/v1/libraries/{}/profiles"),
        ("PATCH", "/api/v1/presets/{}"),
        ("GET", "/campaigns/{}"),
        ("GET", "/campaigns/{}/pack"),
        ("GET", "/editor/templates/{}"),
    ],
)
async def test_over_long_slugs_and_keys_are_404_not_500(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    """Found by schemathesis: the ORM refuses a value longer than its column (a 500)."""
    await authorise(client, Role.ADMIN)
    body = {"json": {}} if method != "GET" else {}
    response = await client.request(method, path.format("a" * 150), **body)  # type: ignore[arg-type]
    assert response.status_code == 404, response.text
