"""One structured access line per request, by route template: secrets in paths never logged."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from assets_hub.models import Role
from assets_hub.observability.request_log import (
    ACCESS_LOGGER,
    JsonFormatter,
    TextFormatter,
    configure_logging,
)
from assets_hub.settings import Settings
from tests.api.test_posts_api import _post, crew  # noqa: F401 - the fixture, reused
from tests.conftest import Crew, app_client, authorise

MAIL_LOGGER = "assets_hub.mail"  # development delivers mail to the log: the link is the mail
CLIENT_LOGGER = "httpx"  # the test's own client, logging the URLs it asked for
JSON_KEYS = {"ts", "level", "logger", "message"}
ACCESS_KEYS = JSON_KEYS | {"request_id", "method", "route", "status", "duration_ms", "user_id"}


def _lines(records: list[logging.LogRecord]) -> str:
    """The server's records as both formatters write them (message, fields, exception)."""
    json_format, text_format = JsonFormatter(), TextFormatter()
    server = [r for r in records if r.name != CLIENT_LOGGER]
    return "\n".join(f"{json_format.format(r)}\n{text_format.format(r)}" for r in server)


def _access(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS_LOGGER
    ]


async def test_feed_tokens_signed_links_and_mailed_tokens_never_reach_a_log(
    crew: Crew,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await _post(crew, title="Out now")
    made = await crew.call("admin", "POST", "/api/v1/feed-tokens", json={"name": "Buffer"})
    feed_token = made.json()["token"]
    link = await crew.call(
        "leeds",
        "POST",
        f"/api/v1/assets/{crew.image}/render-link",  # type: ignore[attr-defined]
        json={"preset": "facebook-link", "profile": crew.profile},  # type: ignore[attr-defined]
    )
    assert link.status_code == 201, link.text
    signed = link.json()["url"].rsplit("/", 1)[1]
    invited = await crew.call(
        "admin",
        "POST",
        "/api/v1/invitations",
        json={"email": "new.member@example.org", "role": "library_member"},
    )
    assert invited.status_code == 201, invited.text
    mailed = [r.getMessage() for r in caplog.records if r.name == MAIL_LOGGER]
    found = re.search(r"/invitation/([A-Za-z0-9_-]+)", mailed[-1])
    assert found, mailed
    invitation = found.group(1)
    reset = secrets.token_urlsafe(32)

    anonymous = httpx.AsyncClient(transport=crew.http._transport, base_url="https://testserver")
    caplog.clear()
    feed = await anonymous.get(f"/feeds/{feed_token}/libraries-week.atom?x={feed_token}")
    assert feed.status_code == 200, feed.text
    image = await anonymous.get(f"/r/{signed}")
    assert image.status_code == 200, image.text
    assert (await anonymous.get(f"/invitation/{invitation}")).status_code == 200
    assert (await anonymous.get(f"/reset-password/{reset}")).status_code == 404

    written = _lines(caplog.records)
    for secret in (feed_token, signed, invitation, reset):
        assert secret not in written
    routes = {(line["route"], line["status"]) for line in _access(caplog)}
    assert {
        ("/feeds/{token}/{name}", 200),
        ("/r/{token}", 200),
        ("/invitation/{token}", 200),
        ("/reset-password/{token}", 404),
    } <= routes


async def test_one_json_line_per_request_with_the_user_id_and_never_the_email(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with app_client(settings) as http:
        user = await authorise(http, Role.EDITOR)
        caplog.clear()
        response = await http.get("/api/v1/me", headers={"X-Request-ID": "trace-42.a:b"})
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "trace-42.a:b"
        lines = _access(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert set(line) == ACCESS_KEYS
    assert line["request_id"] == "trace-42.a:b"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/me", 200)
    assert line["user_id"] == user.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert user.email not in _lines(caplog.records)


async def test_unsafe_request_ids_are_replaced_and_every_answer_carries_one(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with app_client(settings) as http:
        for bad in ("x" * 129, "two words", "forged\\nline", "semi;colon", ""):
            response = await http.get("/healthz", headers={"X-Request-ID": bad})
            given = response.headers["x-request-id"]
            assert given != bad and re.fullmatch(r"[0-9a-f]{32}", given), bad
        missing = await http.get("/no/such/page/ahf_secret")
        assert missing.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", missing.headers["x-request-id"])
    unmatched = _access(caplog)[-1]
    assert unmatched["route"] == "(unmatched)" and unmatched["status"] == 404
    assert "ahf_secret" not in _lines(caplog.records)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging changes process-wide loggers: put them back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    access = logging.getLogger("uvicorn.access")
    saved_access = (access.handlers[:], access.propagate, access.disabled)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    access.handlers[:], access.propagate, access.disabled = saved_access


def test_configured_logging_writes_json_or_text_and_switches_uvicorns_access_log_off(
    settings: Settings, root_logging: None
) -> None:
    stream = io.StringIO()
    configure_logging(settings.replace(log_format="json"), stream)
    logging.getLogger("assets_hub.test").warning("disk %s full", "/var")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /feeds/ahf_x/a.atom" 200')
    logging.getLogger("pikepdf._core").info("pikepdf C++ to Python logger bridge initialized")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == JSON_KEYS
    assert record["message"] == "disk /var full" and record["level"] == "warning"

    text = io.StringIO()
    configure_logging(settings.replace(log_format="text"), text)
    logging.getLogger("assets_hub.test").warning("line one\nforged line")
    (written,) = text.getvalue().splitlines()
    assert written.endswith("WARNING assets_hub.test: line one\\nforged line")


def test_log_format_is_checked() -> None:
    from assets_hub.errors import ConfigError

    with pytest.raises(ConfigError, match="ASSETS_HUB_LOG_FORMAT"):
        Settings.from_env({"ASSETS_HUB_LOG_FORMAT": "xml"})
