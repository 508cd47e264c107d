"""Outgoing mail: over SMTP when ASSETS_HUB_SMTP_URL is set, otherwise written to the log
(development only: in production an unset SMTP URL means the mail is not sent, and says so)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from assets_hub.errors import ConfigError, ServiceUnavailable
from assets_hub.settings import Settings
from assets_hub.threads import run_blocking

log = logging.getLogger("assets_hub.mail")
TIMEOUT_S = 10


def check_smtp_url(url: str) -> None:
    """ConfigError naming the variable when the URL cannot work."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("ASSETS_HUB_SMTP_URL", "use smtp://USER:PASSWORD@HOST:587?from=ADDRESS")
    if not parse_qs(parts.query).get("from"):
        raise ConfigError("ASSETS_HUB_SMTP_URL", "add ?from=ADDRESS (the sender)")


def _send(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    message["From"] = parse_qs(parts.query)["from"][0]
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            parts.hostname or "", parts.port or 465, timeout=TIMEOUT_S, context=context
        )
    else:
        client = smtplib.SMTP(parts.hostname or "", parts.port or 587, timeout=TIMEOUT_S)
    with client:
        if parts.scheme == "smtp":
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text mail; ServiceUnavailable (503) if the mail server refuses."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if settings.smtp_url:
        try:
            await run_blocking("mail", _send, settings.smtp_url, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail to %r not sent: %s", to, type(exc).__name__)
            raise ServiceUnavailable("The mail server is unavailable; try again later.") from exc
        return
    if settings.environment == "production":
        log.error("mail to %r not sent: ASSETS_HUB_SMTP_URL is not set", to)
        return
    log.info("mail (no SMTP configured)\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
