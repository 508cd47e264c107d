"""Validate the descriptive fields of an upload (form fields and JSON keys share these names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assets_hub.errors import Unprocessable
from assets_hub.models import Kind, Status

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_TAG = 50
MAX_TAGS = 50
UPLOAD_STATUSES = (Status.DRAFT, Status.PUBLISHED)


@dataclass(frozen=True)
class AssetMetadata:
    title: str
    description: str
    tags: tuple[str, ...]
    campaign: str | None
    kind: Kind | None
    status: Status


def parse_metadata(fields: Mapping[str, str], *, default_title: str) -> AssetMetadata:
    """Check every field and report all problems at once (422 naming each field)."""
    problems: list[str] = []

    def text(name: str, limit: int) -> str:
        value = fields.get(name, "").strip()
        if "\x00" in value:
            problems.append(f"{name}: must not contain NUL characters")
        elif len(value) > limit:
            problems.append(f"{name}: at most {limit:,} characters (got {len(value):,})")
        return value

    title = text("title", MAX_TITLE) or default_title[:MAX_TITLE]
    description = text("description", MAX_DESCRIPTION)
    raw_tags = fields.get("tags", "")
    tags: list[str] = []
    if len(raw_tags) > MAX_TAGS * (MAX_TAG + 2):
        problems.append(f"tags: at most {MAX_TAGS} tags of {MAX_TAG} characters")
    else:
        for tag in raw_tags.split(","):
            cleaned = " ".join(tag.split()).lower()
            if not cleaned:
                continue
            if "\x00" in cleaned or len(cleaned) > MAX_TAG:
                problems.append(f"tags: each tag at most {MAX_TAG} characters ({cleaned[:20]!r}…)")
            elif cleaned not in tags:
                tags.append(cleaned)
        if len(tags) > MAX_TAGS:
            problems.append(f"tags: at most {MAX_TAGS} tags (got {len(tags)})")
    campaign = fields.get("campaign", "").strip() or None
    kind: Kind | None = None
    raw_kind = fields.get("kind", "").strip()
    if raw_kind:
        try:
            kind = Kind(raw_kind)
        except ValueError:
            choices = ", ".join(k.value for k in Kind)
            problems.append(f"kind: {raw_kind[:40]!r} is not one of {choices}")
    status = Status.PUBLISHED
    raw_status = fields.get("status", "").strip()
    if raw_status:
        if raw_status not in {s.value for s in UPLOAD_STATUSES}:
            problems.append("status: use draft or published")
        else:
            status = Status(raw_status)
    if problems:
        raise Unprocessable("Please correct: " + "; ".join(problems) + ".")
    return AssetMetadata(title, description, tuple(tags), campaign, kind, status)
