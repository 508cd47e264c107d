"""API tokens: shown once, stored hashed, expiring, revocable, limited to their owner."""

from __future__ import annotations

from datetime import timedelta

import httpx

from assets_hub import db
from assets_hub.auth.secrets import digest
from assets_hub.models import ApiToken, Role
from assets_hub.services.visibility import utcnow
from tests.conftest import http_state, make_jpeg, make_user, token_for


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_is_shown_once_and_stored_hashed(app: httpx.AsyncClient) -> None:
    user = await make_user(app, Role.LIBRARY_MEMBER, library="leeds")
    first = await token_for(app, user)
    created = await app.post(
        "/api/v1/tokens", json={"name": "scheduler", "expires_days": 30}, headers=_bearer(first)
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("ahk_") and created.headers["cache-control"] == "no-store"
    listed = await app.get("/api/v1/tokens", headers=_bearer(token))
    assert token not in listed.text
    assert {t["name"] for t in listed.json()["tokens"]} == {"tests", "scheduler"}
    with db.activate(http_state(app).database):
        row = await ApiToken.get(name="scheduler")
    assert row.token_hash == digest(token) and token not in row.token_hash
    assert (await app.get("/api/v1/me", headers=_bearer(token))).json()["email"] == user.email


async def test_revoked_expired_and_malformed_tokens_are_refused(app: httpx.AsyncClient) -> None:
    user = await make_user(app, Role.EDITOR)
    token = await token_for(app, user)
    other = await token_for(app, user)
    with db.activate(http_state(app).database):
        row = await ApiToken.get(token_hash=digest(other))
    revoked = await app.delete(f"/api/v1/tokens/{row.id}", headers=_bearer(token))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await app.get("/api/v1/me", headers=_bearer(other))).status_code == 401

    with db.activate(http_state(app).database):
        await ApiToken.filter(token_hash=digest(token)).update(expires_at=utcnow() - timedelta(1))
    expired = await app.get("/api/v1/me", headers=_bearer(token))
    assert expired.status_code == 401
    assert expired.json()["error"] == "The API token is invalid, expired or revoked."
    for bad in ("ahk_" + "x" * 43, "nonsense", "ahk_" + "x" * 500, ""):
        response = await app.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
    basic = await app.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


async def test_someone_elses_token_id_is_404(app: httpx.AsyncClient) -> None:
    alice = await make_user(app, Role.LIBRARY_MEMBER, library="leeds")
    bob = await make_user(app, Role.LIBRARY_MEMBER, library="leeds")
    alice_token = await token_for(app, alice)
    bob_token = await token_for(app, bob)
    with db.activate(http_state(app).database):
        bob_row = await ApiToken.get(token_hash=digest(bob_token))
    response = await app.delete(f"/api/v1/tokens/{bob_row.id}", headers=_bearer(alice_token))
    assert response.status_code == 404
    assert (await app.get("/api/v1/me", headers=_bearer(bob_token))).status_code == 200


async def test_a_token_carries_only_its_owners_role(app: httpx.AsyncClient) -> None:
    member = await make_user(app, Role.LIBRARY_MEMBER, library="leeds")
    token = await token_for(app, member)
    upload = await app.post(
        "/api/v1/assets",
        files={"file": ("a.jpg", make_jpeg(), "image/jpeg")},
        headers=_bearer(token),
    )
    assert upload.status_code == 403


async def test_token_names_and_expiry_are_validated(app: httpx.AsyncClient) -> None:
    token = await token_for(app, await make_user(app, Role.EDITOR))
    for body, words in (
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "expires_days": 0}, "expires_days"),
        ({"name": "ok", "expires_days": "ten"}, "expires_days"),
        ({"name": "ok", "user_id": 1}, "Unknown field"),
    ):
        response = await app.post("/api/v1/tokens", json=body, headers=_bearer(token))
        assert response.status_code == 422, body
        assert words in response.json()["error"]
