"""Invitations and password resets: mailed (or logged) links that work once and expire."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
import pytest

from assets_hub import db
from assets_hub.models import OneTimeLink, Session, User
from assets_hub.services.visibility import utcnow
from tests.auth.conftest import PASSWORD, People, sign_in
from tests.conftest import http_state, token_for

LINK = re.compile(r"https?://\S+/(invitation|reset-password)/([A-Za-z0-9_-]+)")
NEW_PASSWORD = "a brand new passphrase"


def _mailed_link(caplog: pytest.LogCaptureFixture) -> str:
    found = [LINK.search(r.getMessage()) for r in caplog.records if r.name == "assets_hub.mail"]
    links = [m.group(0) for m in found if m]
    assert links, "no mail was logged"
    return links[-1].split("://", 1)[1].split("/", 1)[1]  # the path, for the test client


async def _invite(app: httpx.AsyncClient, inviter: User, **body: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {await token_for(app, inviter)}"}
    return await app.post("/api/v1/invitations", json=body, headers=headers)


async def test_admin_invites_an_editor_who_sets_a_password_once(
    app: httpx.AsyncClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await _invite(app, people.admin, email="New.Editor@Example.org", role="editor")
    assert response.status_code == 201
    assert response.json()["email"] == "new.editor@example.org"
    assert response.json()["has_password"] is False
    path = "/" + _mailed_link(caplog)
    form = await app.get(path)
    assert form.status_code == 200 and "new.editor@example.org" in form.text
    mismatch = await app.post(path, data={"password": NEW_PASSWORD, "confirm": "other"})
    assert mismatch.status_code == 422
    short = await app.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "12 characters" in short.text
    done = await app.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303  # signed in straight away
    assert (await app.get("/api/v1/me")).json()["role"] == "editor"
    again = await app.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert again.status_code == 404 and "already been used" in again.text
    assert (await app.get(path)).status_code == 404


async def test_expired_invitation_is_refused(
    app: httpx.AsyncClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await _invite(app, people.admin, email="late@example.org", role="editor")
    path = "/" + _mailed_link(caplog)
    with db.activate(http_state(app).database):
        await OneTimeLink.all().update(expires_at=utcnow() - timedelta(seconds=1))
    response = await app.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404 and "expired" in response.text
    with db.activate(http_state(app).database):
        assert (await User.get(email="late@example.org")).password_hash is None


async def test_library_admin_invites_only_their_own_staff(
    app: httpx.AsyncClient, people: People
) -> None:
    own = await _invite(
        app, people.leeds_admin, email="new@leeds.example.org", role="library_member"
    )
    assert own.status_code == 201 and own.json()["library"]["slug"] == "leeds"
    other = await _invite(
        app, people.leeds_admin, email="x@kent.example.org", role="library_member", library="kent"
    )
    assert other.status_code == 404  # another library's existence is not confirmed
    editor = await _invite(app, people.leeds_admin, email="e@example.org", role="editor")
    assert editor.status_code == 403
    member = await _invite(app, people.leeds_member, email="m@example.org", role="library_member")
    assert member.status_code == 403
    duplicate = await _invite(app, people.admin, email="editor@example.org", role="editor")
    assert duplicate.status_code == 422 and "already an account" in duplicate.json()["error"]


async def test_password_reset_works_once_and_ends_other_sessions(
    app: httpx.AsyncClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await sign_in(app, "leeds-member@example.org")
    with db.activate(http_state(app).database):
        assert await Session.all().count() == 1
    answer_known = await app.post("/reset-password", data={"email": "leeds-member@example.org"})
    path = "/" + _mailed_link(caplog)
    mails_before = len(caplog.records)
    answer_unknown = await app.post("/reset-password", data={"email": "nobody@example.org"})
    assert answer_known.status_code == answer_unknown.status_code == 200
    assert answer_known.text == answer_unknown.text  # no account enumeration
    assert not any(r.name == "assets_hub.mail" for r in caplog.records[mails_before:])

    with db.activate(http_state(app).database):
        link = await OneTimeLink.get(purpose="password_reset")
        assert link.expires_at - link.created_at <= timedelta(minutes=30)
    done = await app.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    with db.activate(http_state(app).database):
        assert await Session.all().count() == 1  # the old session ended; only the new one
    assert (await sign_in(app, "leeds-member@example.org", PASSWORD)).status_code == 401
    assert (await sign_in(app, "leeds-member@example.org", NEW_PASSWORD)).status_code == 303
    reuse = await app.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reuse.status_code == 404
