"""Takedown notices by e-mail (issue 16, must-hold 7): to the library's admins, naming the
files as the library saved them, through a real SMTP server on loopback (aiosmtpd) with
STARTTLS, as production mail goes; the pages show the same names.
"""

from __future__ import annotations

import dataclasses
import io
import socket
import ssl
import zipfile
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from assets_hub import db
from assets_hub.services.notice_mail import mail_pending_notices
from assets_hub.settings import Settings
from tests.conftest import http_state
from tests.web.test_campaign_pages import Site, site

__all__ = ["site"]


class Inbox:
    """An aiosmtpd handler keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default))
        )
        return "250 OK"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Inbox]]:
    """A local SMTP server offering STARTTLS with a certificate from a throwaway CA that the
    mailer trusts (SSL_CERT_FILE), so the production code path runs unchanged."""
    authority = trustme.CA()
    certificate = authority.issue_cert("localhost", "127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    inbox = Inbox()
    port = _port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True
    )
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}?from=notices@assets.example.org", inbox
    finally:
        controller.stop()


async def test_a_takedown_notice_is_mailed_to_the_admins_naming_the_saved_files(
    site: Site, settings: Settings, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    member = await site.browser("leeds-member@example.org")
    # The library takes the photo twice: on its own, and in a campaign pack.
    single = await member.get(
        f"/api/v1/assets/{site.image}/render",
        params={"preset": "x-post", "profile": site.profile},
    )
    assert single.status_code == 200, single.text
    saved_as = single.headers["content-disposition"].split('filename="')[1].split('"')[0]
    pack = await member.get(
        "/campaigns/libraries-week/pack",
        params={"profile": str(site.profile), "preset": "instagram-square"},
        follow_redirects=True,
    )
    assert pack.status_code == 200, pack.text[:300]
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        in_pack = [n for n in archive.namelist() if n.endswith(".jpg")]
    assert in_pack == ["instagram-square/Bus at the fair.jpg"]

    withdrawn = await site.http.post(
        f"/api/v1/assets/{site.image}/withdraw",
        json={"reason": "the photographer withdrew consent"},
        headers=site.editor_auth,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    with db.activate(http_state(site.http).database):
        sent = await mail_pending_notices(dataclasses.replace(settings, smtp_url=url))
        again = await mail_pending_notices(dataclasses.replace(settings, smtp_url=url))
    assert sent == 1 and again == 0  # one notice for Leeds, mailed once
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["leeds-admin@example.org"]  # the admin, not the member
    assert "Bus at the fair" in message["Subject"]
    body = message.get_content()  # type: ignore[attr-defined]
    assert "photographer withdrew consent" in body
    assert f"  - {saved_as} (x-post)" in body, body
    assert "  - instagram-square/Bus at the fair.jpg (in a campaign pack)" in body, body

    admin = await site.browser("leeds-admin@example.org")
    page = await admin.get("/library")
    assert saved_as in page.text and "instagram-square/Bus at the fair.jpg" in page.text
