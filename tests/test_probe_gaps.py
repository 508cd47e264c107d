"""Small gaps a probe of main found (issue 18, gap 8): each fails on the code before the fix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from assets_hub.branding.presets import MAX_SIDE_PX
from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.auth.conftest import PASSWORD_HASH, sign_in
from tests.conftest import app_client, authorise, make_user


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings) as client:
        yield client


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_health_probes_ignore_an_invalid_bearer(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path, headers={"Authorization": "Bearer stale-or-wrong"})
    assert response.status_code == 200, response.text


async def test_presets_are_capped_at_the_security_policy_side(http: httpx.AsyncClient) -> None:
    assert MAX_SIDE_PX == 4096  # SECURITY.md: renditions at most 4096 px a side
    await authorise(http, Role.ADMIN)
    base = {"name": "Huge", "formats": ["jpeg"], "default_format": "jpeg"}
    too_big = await http.post(
        "/api/v1/presets", json={**base, "key": "huge", "width": 8000, "height": 1000}
    )
    assert too_big.status_code == 422
    assert "4096" in too_big.json()["error"]
    largest = await http.post(
        "/api/v1/presets", json={**base, "key": "largest", "width": 4096, "height": 4096}
    )
    assert largest.status_code == 201, largest.text


async def test_signed_in_pages_with_a_csrf_token_are_not_stored(http: httpx.AsyncClient) -> None:
    user = await make_user(http, Role.EDITOR, email="ed@example.org", password_hash=PASSWORD_HASH)
    assert (await sign_in(http, user.email)).status_code == 303
    for path in ("/", "/campaigns", "/editor/upload"):
        page = await http.get(path)
        assert page.status_code == 200, path
        assert 'name="csrf_token"' in page.text
        assert "no-store" in page.headers.get("cache-control", ""), path
