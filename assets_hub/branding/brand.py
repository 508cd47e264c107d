"""The renderer's view of one branding profile version: validated, immutable data.

The lead's ``profiles`` model stores and versions profiles; it hands the renderer a
:class:`Brand` built from the saved, validated values (IMG-09). Construction validates again
(colours BR-03, font allow-list IMG-09, text lengths BR-04, QR URL BR-01) so a bad value can
never reach the drawing code, whatever the caller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from assets_hub.branding.colour import parse_colour
from assets_hub.branding.fonts import DEFAULT_FONT, check_font_key
from assets_hub.branding.overlays import (
    LOCAL_FIELD_LIMITS,
    LOCAL_FIELDS,
    MAX_FIELD_LENGTH,
    PROFILE_FIELDS,
)
from assets_hub.branding.qr import check_url
from assets_hub.branding.text import clean_text

MAX_LOGO_BYTES = 10 * 1024 * 1024


def clean_fields(
    values: Mapping[str, str],
    allowed: tuple[str, ...],
    *,
    kind: str,
    limits: Mapping[str, int] | None = None,
) -> Mapping[str, str]:
    """Validated, normalised field values (read-only); ValueError naming the bad field."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if name not in allowed:
            raise ValueError(f"unknown {kind} field {name!r}; choose from: {', '.join(allowed)}")
        if not isinstance(value, str):
            raise ValueError(f"{kind} field {name!r} must be text")
        limit = (limits or {}).get(name, MAX_FIELD_LENGTH)
        cleaned = clean_text(value, max_length=limit, label=f"{kind} field {name!r}")
        if cleaned:
            out[name] = cleaned
    return MappingProxyType(dict(sorted(out.items())))


def clean_local_fields(values: Mapping[str, str]) -> Mapping[str, str]:
    """Local fields a library types in (event title, date, time, custom), validated."""
    return clean_fields(values, LOCAL_FIELDS, kind="local", limits=LOCAL_FIELD_LIMITS)


@dataclass(frozen=True)
class Brand:
    """A branding profile version: colours, typeface, contact fields, logo and QR target.

    ``fields`` maps profile field names (``library_name``, ``website`` …) to text. ``logo`` is
    the encoded logo image (PNG with transparency preferred) or None.
    """

    profile_id: str
    version: int
    primary: str
    secondary: str = "#ffffff"
    text: str = "#ffffff"
    font: str = DEFAULT_FONT
    fields: Mapping[str, str] = field(default_factory=dict)
    logo: bytes | None = None
    qr_url: str | None = None

    def __post_init__(self) -> None:
        for name in ("primary", "secondary", "text"):
            try:
                object.__setattr__(self, name, parse_colour(getattr(self, name)))
            except ValueError as exc:
                raise ValueError(f"{name} {exc}") from None
        check_font_key(self.font)
        object.__setattr__(
            self, "fields", clean_fields(self.fields, PROFILE_FIELDS, kind="profile")
        )
        if self.qr_url is not None:
            check_url(self.qr_url)
        if self.logo is not None and len(self.logo) > MAX_LOGO_BYTES:
            raise ValueError(f"logo is larger than {MAX_LOGO_BYTES // (1024 * 1024)} MB")

    @property
    def logo_digest(self) -> str:
        """SHA-256 of the logo bytes ("" without a logo): logo changes change rendition keys."""
        return hashlib.sha256(self.logo).hexdigest() if self.logo else ""

    def fingerprint(self) -> str:
        """A hash of everything in this brand that can change pixels."""
        parts = [
            self.profile_id,
            str(self.version),
            self.primary,
            self.secondary,
            self.text,
            self.font,
            self.qr_url or "",
            self.logo_digest,
            *(f"{k}={v}" for k, v in self.fields.items()),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
