"""Validate the descriptive fields of an asset. Upload form fields and JSON keys share these
names: title, description, tags, campaign, kind, audience, alt_text, credit, licence,
licence_terms, licence_expires_at, language, embargo_until, expires_at, focal_point, status."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assets_hub.errors import Unprocessable
from assets_hub.models import Kind, Status
from assets_hub.services.tags import normal_tag

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_ALT_TEXT = 500
MAX_CREDIT = 300
MAX_TERMS = 5000
MAX_TAG = 50
MAX_TAGS = 50
UPLOAD_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED)
AUDIENCES = ("children", "young people", "adults", "older people", "families", "everyone")
# Licence choices; those marked True oblige every output to carry the credit line.
LICENCES: dict[str, tuple[str, bool]] = {
    "own-work": ("Made by or for the national campaign team", False),
    "campaign-use": ("Free for library campaign use", False),
    "cc0": ("CC0 (public domain dedication)", False),
    "cc-by-4.0": ("Creative Commons Attribution 4.0", True),
    "cc-by-sa-4.0": ("Creative Commons Attribution-ShareAlike 4.0", True),
    "rights-managed": ("Rights managed: see the terms", True),
}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
EDITABLE = (
    "title", "description", "tags", "campaign", "kind", "audience", "alt_text", "credit",
    "licence", "licence_terms", "licence_expires_at", "language", "embargo_until", "expires_at",
    "focal_point", "artwork", "variant_of",
)  # fmt: skip


def licence_needs_credit(licence: str) -> bool:
    return LICENCES.get(licence, ("", False))[1]


@dataclass
class AssetMetadata:
    """Validated values; ``given`` names the fields the caller actually sent (for PATCH)."""

    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    campaign: str | None = None
    kind: Kind | None = None
    status: Status = Status.DRAFT
    audience: tuple[str, ...] = ()
    alt_text: str = ""
    credit: str = ""
    licence: str = ""
    licence_terms: str = ""
    licence_expires_at: datetime | None = None
    language: str = "en"
    embargo_until: datetime | None = None
    expires_at: datetime | None = None
    focal_point: tuple[float, float] | None = None
    artwork: bool = False  # fitted whole, never cropped (issue 15)
    variant_of: uuid.UUID | None = None  # the artwork this is a per-aspect variant of
    given: frozenset[str] = field(default_factory=frozenset)


class _Problems(list[str]):
    def text(self, values: Mapping[str, Any], name: str, limit: int) -> str:
        raw = values.get(name, "")
        if not isinstance(raw, str):
            self.append(f"{name}: must be text")
            return ""
        value = raw.strip()
        if "\x00" in value:
            self.append(f"{name}: must not contain NUL characters")
        elif len(value) > limit:
            self.append(f"{name}: at most {limit:,} characters (got {len(value):,})")
        return value

    def when(self, values: Mapping[str, Any], name: str) -> datetime | None:
        raw = values.get(name)
        if raw in (None, ""):
            return None
        if not isinstance(raw, str) or len(raw) > 40:
            self.append(f"{name}: a date and time like 2026-12-01T09:00:00Z")
            return None
        try:
            parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            self.append(f"{name}: {raw[:40]!r} is not a date and time like 2026-12-01T09:00:00Z")
            return None
        # A time without a zone is read as UTC, so the boundary is the same for everyone.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def words(self, values: Mapping[str, Any], name: str, limit: int, most: int) -> tuple[str, ...]:
        raw = values.get(name, "")
        items = raw if isinstance(raw, list) else str(raw).split(",")
        if len(items) > most * 2:
            self.append(f"{name}: at most {most}")
            return ()
        cleaned: list[str] = []
        for item in items:
            word = normal_tag(str(item))
            if not word:
                continue
            if "\x00" in word or len(word) > limit:
                self.append(f"{name}: each at most {limit} characters ({word[:20]!r}…)")
            elif word not in cleaned:
                cleaned.append(word)
        if len(cleaned) > most:
            self.append(f"{name}: at most {most} (got {len(cleaned)})")
        return tuple(cleaned)


def parse_metadata(
    values: Mapping[str, Any], *, default_title: str = "", partial: bool = False
) -> AssetMetadata:
    """Check every field and report all problems at once (422 naming each field).

    With ``partial`` (PATCH), only the fields present are checked and ``given`` lists them.
    """
    problems = _Problems()
    meta = AssetMetadata(given=frozenset(k for k in values if k in EDITABLE or k == "status"))
    meta.title = problems.text(values, "title", MAX_TITLE) or default_title[:MAX_TITLE]
    if partial and "title" in values and not meta.title:
        problems.append("title: must not be empty")
    meta.description = problems.text(values, "description", MAX_DESCRIPTION)
    meta.tags = problems.words(values, "tags", MAX_TAG, MAX_TAGS)
    meta.audience = problems.words(values, "audience", 30, len(AUDIENCES))
    for name in meta.audience:
        if name not in AUDIENCES:
            problems.append(f"audience: {name!r} is not one of {', '.join(AUDIENCES)}")
    meta.campaign = problems.text(values, "campaign", 100) or None
    meta.alt_text = problems.text(values, "alt_text", MAX_ALT_TEXT)
    meta.credit = problems.text(values, "credit", MAX_CREDIT)
    meta.licence = problems.text(values, "licence", 30)
    if meta.licence and meta.licence not in LICENCES:
        problems.append(f"licence: {meta.licence!r} is not one of {', '.join(LICENCES)}")
    meta.licence_terms = problems.text(values, "licence_terms", MAX_TERMS)
    meta.language = problems.text(values, "language", 10) or "en"
    if not _LANGUAGE.match(meta.language):
        problems.append("language: a language tag like en or cy")
    meta.licence_expires_at = problems.when(values, "licence_expires_at")
    meta.embargo_until = problems.when(values, "embargo_until")
    meta.expires_at = problems.when(values, "expires_at")
    raw_kind = problems.text(values, "kind", 30)
    if raw_kind:
        try:
            meta.kind = Kind(raw_kind)
        except ValueError:
            choices = ", ".join(k.value for k in Kind)
            problems.append(f"kind: {raw_kind[:40]!r} is not one of {choices}")
    raw_status = problems.text(values, "status", 20)
    if raw_status:
        if raw_status not in {s.value for s in UPLOAD_STATUSES}:
            problems.append("status: use draft, in_review or published")
        else:
            meta.status = Status(raw_status)
    meta.focal_point = _focal_point(values.get("focal_point"), problems)
    raw_variant = values.get("variant_of")
    if raw_variant not in (None, ""):
        try:
            meta.variant_of = uuid.UUID(str(raw_variant))
        except ValueError:
            problems.append("variant_of: the id of the artwork asset this is a variant of")
    raw_artwork = values.get("artwork", False)
    if raw_artwork in (True, False, "true", "false", "1", "0", "yes", "no", "on", ""):
        meta.artwork = raw_artwork in (True, "true", "1", "yes", "on")
    else:
        problems.append("artwork: true or false")
    if problems:
        raise Unprocessable("Please correct: " + "; ".join(problems) + ".")
    return meta


def _focal_point(raw: Any, problems: list[str]) -> tuple[float, float] | None:
    if raw in (None, ""):
        return None
    parts = raw if isinstance(raw, list) else str(raw).split(",")
    try:
        x, y = (float(p) for p in parts)
    except (TypeError, ValueError):
        problems.append("focal_point: two numbers from 0 to 1, like 0.5,0.3")
        return None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        problems.append("focal_point: both numbers must be between 0 and 1")
        return None
    return (x, y)
