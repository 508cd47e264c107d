"""Sign-in throttling, the audit trail, and secrets kept out of logs and responses."""

from __future__ import annotations

import logging

import httpx
import pytest

from assets_hub.auth import throttle
from tests.auth.conftest import PASSWORD, People, sign_in
from tests.conftest import token_for


@pytest.fixture(autouse=True)
def no_slowing_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deliberate delay after repeated failures is real; tests skip the wait."""
    monkeypatch.setattr(throttle, "MAX_DELAY_S", 0.0)


async def test_repeated_failures_lock_the_account_for_a_while(
    app: httpx.AsyncClient, people: People
) -> None:
    for _ in range(10):
        assert (await sign_in(app, "editor@example.org", "wrong password!")).status_code == 401
    locked = await sign_in(app, "editor@example.org", PASSWORD)  # even the right password
    assert locked.status_code == 429
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= 61
    assert f"Try again in {retry_after} seconds" in locked.text
    assert (await sign_in(app, "leeds-member@example.org")).status_code == 303  # others unaffected


async def test_one_address_trying_many_accounts_is_refused(
    app: httpx.AsyncClient, people: People
) -> None:
    for n in range(30):
        await sign_in(app, f"guess{n}@example.org", "wrong password!")
    response = await sign_in(app, "editor@example.org", PASSWORD)
    assert response.status_code == 429


async def _audit(app: httpx.AsyncClient, token: str, **params: str) -> list[dict[str, object]]:
    response = await app.get(
        "/api/v1/audit", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, object]] = response.json()["events"]
    return events


async def test_security_events_are_audited_and_scoped(
    app: httpx.AsyncClient, people: People
) -> None:
    await sign_in(app, "leeds-member@example.org", "wrong password!")
    await sign_in(app, "leeds-member@example.org")
    admin_token = await token_for(app, people.admin)
    await app.patch(
        f"/api/v1/users/{people.kent_member.id}",
        json={"role": "library_admin"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    actions = [event["action"] for event in await _audit(app, admin_token)]
    for expected in ("sign_in_failed", "sign_in", "user_changed", "user_created"):
        assert expected in actions
    change = (await _audit(app, admin_token, action="user_changed"))[0]
    assert change["actor"] == "admin@example.org"
    assert change["target_id"] == "kent-member@example.org"
    assert change["detail"] == {"role": ["library_member", "library_admin"], "active": [True, True]}

    leeds = await _audit(app, await token_for(app, people.leeds_admin))
    assert leeds and all(event["library_id"] == people.leeds_admin.library_id for event in leeds)
    member = await app.get(
        "/api/v1/audit",
        headers={"Authorization": f"Bearer {await token_for(app, people.leeds_member)}"},
    )
    assert member.status_code == 403


async def test_passwords_and_tokens_never_reach_logs_or_responses(
    app: httpx.AsyncClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await sign_in(app, "editor@example.org", "my secret attempt 123")
    signed = await sign_in(app, "editor@example.org")
    cookie = signed.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    token = await token_for(app, people.editor)
    bodies = []
    for path in ("/api/v1/me", "/api/v1/users", "/api/v1/audit", "/api/v1/tokens"):
        response = await app.get(path, headers={"Authorization": f"Bearer {token}"})
        bodies.append(response.text)
    text = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(bodies)
    for secret in (PASSWORD, "my secret attempt 123", cookie, token, "argon2"):
        assert secret not in text
