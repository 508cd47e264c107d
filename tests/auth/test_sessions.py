"""Sign-in, sessions and sign-out (SECURITY.md SES-01..SES-06, SES-08, AZ-08)."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from assets_hub import db
from assets_hub.auth.sessions import COOKIE_NAME
from assets_hub.models import Session, User
from assets_hub.services.visibility import utcnow
from tests.auth.conftest import PASSWORD, People, sign_in
from tests.conftest import http_state


async def _sessions(http: httpx.AsyncClient) -> list[Session]:
    with db.activate(http_state(http).database):
        return await Session.all()


async def test_sign_in_sets_a_host_cookie_for_a_server_side_session(
    app: httpx.AsyncClient, people: People
) -> None:
    response = await sign_in(app, "leeds-member@example.org")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert "domain" not in attributes
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 256 bits, url-safe base64
    [session] = await _sessions(app)
    assert session.id != token  # only a digest is stored
    assert (await app.get("/")).status_code == 200


async def test_a_new_session_id_at_every_sign_in(app: httpx.AsyncClient, people: People) -> None:
    await sign_in(app, "leeds-member@example.org")
    first = app.cookies[COOKIE_NAME]
    await sign_in(app, "leeds-member@example.org")
    second = app.cookies[COOKIE_NAME]
    assert first != second
    replay = httpx.AsyncClient(transport=app._transport, base_url="https://testserver")
    replay.cookies.set(COOKIE_NAME, first)
    assert (await replay.get("/api/v1/me")).status_code == 401  # the old id is dead
    assert len(await _sessions(app)) == 1


async def test_sign_out_really_ends_the_session(app: httpx.AsyncClient, people: People) -> None:
    await sign_in(app, "editor@example.org")
    cookie = app.cookies[COOKIE_NAME]
    me = await app.get("/api/v1/me")
    assert me.json()["email"] == "editor@example.org"
    from tests.auth.conftest import csrf_token

    response = await app.post("/signout", data={"csrf_token": await csrf_token(app)})
    assert response.status_code == 303
    assert await _sessions(app) == []
    replay = httpx.AsyncClient(transport=app._transport, base_url="https://testserver")
    replay.cookies.set(COOKIE_NAME, cookie)
    assert (await replay.get("/api/v1/me")).status_code == 401
    page = await replay.get("/")
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    app: httpx.AsyncClient, people: People
) -> None:
    timings = {}
    bodies = {}
    for case, email in (("wrong", "editor@example.org"), ("unknown", "nobody@example.org")):
        start = time.perf_counter()
        response = await sign_in(app, email, "not the password at all")
        timings[case] = time.perf_counter() - start
        assert response.status_code == 401
        bodies[case] = response.text.replace(email, "EMAIL")
    assert bodies["wrong"] == bodies["unknown"]
    assert "The e-mail address or password is not right." in bodies["wrong"]
    # Both paths run one Argon2 verification, so neither is much faster than the other.
    assert min(timings.values()) > 0.4 * max(timings.values())


async def test_idle_and_absolute_expiry_are_enforced(
    app: httpx.AsyncClient, people: People
) -> None:
    await sign_in(app, "editor@example.org")
    with db.activate(http_state(app).database):
        await Session.all().update(last_seen_at=utcnow() - timedelta(minutes=31))
    assert (await app.get("/api/v1/me")).status_code == 401  # editors: 30 min idle
    assert await _sessions(app) == []

    await sign_in(app, "leeds-member@example.org")
    with db.activate(http_state(app).database):
        await Session.all().update(last_seen_at=utcnow() - timedelta(minutes=31))
    assert (await app.get("/api/v1/me")).status_code == 200  # library staff: 8 h idle
    with db.activate(http_state(app).database):
        await Session.all().update(expires_at=utcnow() - timedelta(seconds=1))
    assert (await app.get("/api/v1/me")).status_code == 401


async def test_disabled_user_is_out_on_the_next_request(
    app: httpx.AsyncClient, people: People
) -> None:
    await sign_in(app, "leeds-member@example.org")
    assert (await app.get("/api/v1/me")).status_code == 200
    with db.activate(http_state(app).database):
        await User.filter(email="leeds-member@example.org").update(is_active=False)
    assert (await app.get("/api/v1/me")).status_code == 401
    again = await sign_in(app, "leeds-member@example.org")
    assert again.status_code == 401


async def test_anonymous_requests_create_no_sessions(
    app: httpx.AsyncClient, people: People
) -> None:
    for path in ("/", "/signin", "/api/v1/assets", "/healthz", "/reset-password"):
        for _ in range(20):
            await app.get(path)
    assert await _sessions(app) == []


async def test_next_only_goes_to_paths_on_this_site(app: httpx.AsyncClient, people: People) -> None:
    for target, expected in (
        ("/assets?q=bus", "/assets?q=bus"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ):
        response = await app.post(
            "/signin",
            data={"email": "editor@example.org", "password": PASSWORD, "next": target},
        )
        assert response.headers["location"] == expected, target


async def test_pages_send_anonymous_visitors_to_sign_in(app: httpx.AsyncClient) -> None:
    response = await app.get("/", params={"q": "bus"})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/%3Fq%3Dbus"
    assert (await app.get("/api/v1/assets")).status_code == 401
