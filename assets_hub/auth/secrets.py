"""Random tokens and how they are stored: only a SHA-256 digest ever reaches the database."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    """256 bits of randomness, URL-safe, with an optional readable prefix (e.g. ``ahk_``)."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The stored form of a token. Tokens are high-entropy, so a plain hash is enough."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
