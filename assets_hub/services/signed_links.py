"""Signed, expiring render links (HMAC-SHA256): a library can share or embed one rendition
without a session, and nobody can turn one into an arbitrary-transform endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from assets_hub.errors import NotFound

MAX_LIFETIME_S = 30 * 24 * 3600
DEFAULT_LIFETIME_S = 7 * 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, payload: dict[str, Any], *, lifetime_s: int, now: float | None = None) -> str:
    """A token carrying ``payload`` until ``lifetime_s`` from now."""
    body = dict(payload, exp=int((now or time.time()) + lifetime_s))
    data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, data, hashlib.sha256).digest()
    return f"{_b64(data)}.{_b64(mac)}"


def verify(key: bytes, token: str, *, now: float | None = None) -> dict[str, Any]:
    """The payload of a genuine, unexpired token; NotFound otherwise (no detail to probe)."""
    try:
        data_part, mac_part = token.split(".", 1)
        data, mac = _unb64(data_part), _unb64(mac_part)
    except ValueError:
        raise NotFound("This link is not valid.") from None
    expected = hmac.new(key, data, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise NotFound("This link is not valid.")
    payload: dict[str, Any] = json.loads(data)
    if payload.get("exp", 0) <= (now or time.time()):
        raise NotFound("This link has expired; ask for a new one.")
    return payload
