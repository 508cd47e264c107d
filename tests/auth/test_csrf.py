"""CSRF: state changes with a session cookie need the session's token and a same-origin
request; API tokens need neither (SECURITY.md SES-07, UP-18)."""

from __future__ import annotations

import httpx

from assets_hub import db
from assets_hub.models import Asset, Role, Session
from tests.auth.conftest import People, csrf_token, sign_in
from tests.conftest import http_state, make_jpeg, make_user, token_for


async def _session_count(http: httpx.AsyncClient) -> int:
    with db.activate(http_state(http).database):
        return await Session.all().count()


async def test_sign_out_without_the_token_is_refused(
    app: httpx.AsyncClient, people: People
) -> None:
    await sign_in(app, "editor@example.org")
    assert (await app.post("/signout")).status_code == 403
    assert (await app.post("/signout", data={"csrf_token": "forged"})).status_code == 403
    assert await _session_count(app) == 1
    ok = await app.post("/signout", data={"csrf_token": await csrf_token(app)})
    assert ok.status_code == 303
    assert await _session_count(app) == 0


async def test_cross_site_requests_are_refused_even_with_the_token(
    app: httpx.AsyncClient, people: People
) -> None:
    await sign_in(app, "editor@example.org")
    token = await csrf_token(app)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        response = await app.post("/signout", data={"csrf_token": token}, headers=headers)
        assert response.status_code == 403, headers
    same = await app.post(
        "/signout",
        data={"csrf_token": token},
        headers={"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 303


async def test_cookie_api_calls_need_the_header(app: httpx.AsyncClient, people: People) -> None:
    await sign_in(app, "leeds-member@example.org")
    body = {"name": "laptop"}
    assert (await app.post("/api/v1/tokens", json=body)).status_code == 403
    created = await app.post(
        "/api/v1/tokens", json=body, headers={"X-CSRF-Token": await csrf_token(app)}
    )
    assert created.status_code == 201


async def test_cross_site_multipart_upload_stores_nothing(
    app: httpx.AsyncClient, people: People
) -> None:
    await sign_in(app, "editor@example.org")
    files = {"file": ("a.jpg", make_jpeg(), "image/jpeg")}
    refused = await app.post("/api/v1/assets", files=files, data={"title": "forged"})
    assert refused.status_code == 403
    foreign = await app.post(
        "/api/v1/assets",
        files=files,
        data={"csrf_token": await csrf_token(app)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    with db.activate(http_state(app).database):
        assert await Asset.all().count() == 0
    assert [key async for key in http_state(app).storage.list_keys("")] == []
    accepted = await app.post(
        "/api/v1/assets", files=files, data={"csrf_token": await csrf_token(app)}
    )
    assert accepted.status_code == 201


async def test_bearer_tokens_need_no_csrf_token(app: httpx.AsyncClient) -> None:
    editor = await make_user(app, Role.EDITOR)
    headers = {"Authorization": f"Bearer {await token_for(app, editor)}"}
    response = await app.post("/api/v1/campaigns", json={"slug": "c", "name": "C"}, headers=headers)
    assert response.status_code == 201


async def test_method_override_headers_are_ignored(app: httpx.AsyncClient, people: People) -> None:
    await sign_in(app, "editor@example.org")
    response = await app.get("/signout", headers={"X-HTTP-Method-Override": "POST"})
    assert response.status_code == 405
    assert await _session_count(app) == 1
