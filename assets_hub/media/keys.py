"""Storage keys: content-addressed for originals and derived files; never built from user text."""

from __future__ import annotations

import re

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _checked(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def original_key(sha256: str) -> str:
    """Where the original bytes with this digest live (identical bytes are stored once)."""
    digest = _checked(sha256)
    return f"originals/{digest[:2]}/{digest}"


def derived_key(sha256: str, name: str) -> str:
    """A file derived from the original with this digest, e.g. ``thumb-400.webp``."""
    digest = _checked(sha256)
    return f"derived/{digest[:2]}/{digest}/{name}"
