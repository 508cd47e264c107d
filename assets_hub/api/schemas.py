"""JSON schemas the API declarations share: request fields built from the services' own limits,
the common parameters, and the shapes of the answers (components of /openapi.json)."""

from __future__ import annotations

import re
from typing import Any

from assets_hub.api.operations import Param, Reply, Schema
from assets_hub.branding.overlays import LOCAL_FIELD_LIMITS, MAX_FIELD_LENGTH, PROFILE_FIELDS
from assets_hub.ids import ID_DIGITS, ID_SCHEMA
from assets_hub.models import Kind
from assets_hub.services import metadata as meta

TEXT: Schema = {"type": "string"}
DATE: Schema = {
    "type": "string",
    "format": "date",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "description": "a date like 2026-12-01",
}
WHEN: Schema = {"type": ["string", "null"], "maxLength": 40, "description": "2026-12-01T09:00:00Z"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
INT: Schema = {"type": "integer"}
NULLABLE_INT: Schema = {"type": ["integer", "null"]}
BOOL: Schema = {"type": "boolean"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def words(limit: int, most: int, enum: tuple[str, ...] | None = None) -> Schema:
    """A list of words, or the same comma separated (as upload forms send them)."""
    item: Schema = {"type": "string", "maxLength": limit}
    if enum:
        item["enum"] = list(enum)
    return {"type": ["array", "string"], "items": item, "maxItems": most * 2}


# The descriptive fields of an asset (services/metadata.py checks them further).
METADATA: dict[str, Schema] = {
    "title": {"type": "string", "maxLength": meta.MAX_TITLE},
    "description": {"type": "string", "maxLength": meta.MAX_DESCRIPTION},
    "tags": words(meta.MAX_TAG, meta.MAX_TAGS),
    "campaign": {"type": "string", "maxLength": 100, "description": "A campaign slug"},
    "kind": {"type": "string", "enum": [k.value for k in Kind]},
    "audience": words(30, len(meta.AUDIENCES), meta.AUDIENCES),
    "alt_text": {"type": "string", "maxLength": meta.MAX_ALT_TEXT},
    "credit": {"type": "string", "maxLength": meta.MAX_CREDIT},
    "licence": {"type": "string", "enum": ["", *meta.LICENCES]},
    "licence_terms": {"type": "string", "maxLength": meta.MAX_TERMS},
    "licence_expires_at": WHEN,
    "language": {"type": "string", "maxLength": 10, "description": "A tag like en or cy"},
    "embargo_until": WHEN,
    "expires_at": WHEN,
    "focal_point": {
        "type": ["array", "string", "null"],
        "items": {"type": "number", "minimum": 0, "maximum": 1},
        "minItems": 2,
        "maxItems": 2,
        "description": "x,y from 0 to 1",
    },
    "artwork": {
        "type": ["boolean", "string"],
        "enum": [True, False, "true", "false", "1", "0", "yes", "no", "on", ""],
        "description": "Fitted whole, never cropped (posters, banners, anything with type)",
    },
    "variant_of": {
        "type": ["string", "null"],
        "maxLength": 36,
        "description": "The id of the artwork asset this is a per-aspect variant of",
    },
}
STATUS_ON_UPLOAD: Schema = {"type": "string", "enum": [s.value for s in meta.UPLOAD_STATUSES]}
REVISION: Schema = {
    **ID_SCHEMA,
    "description": "The revision edited (or send If-Match)",
}


def pick(source: dict[str, Schema], names: tuple[str, ...]) -> dict[str, Schema]:
    return {name: source.get(name, {}) for name in names}


# Parameters several operations share. An ETag's revision is range-checked like an id.
REVISION_ETAG = re.compile(rf'^(?:W/)?"r(\d{{1,{ID_DIGITS}}})"$')
IF_MATCH_REVISION = Param(
    "If-Match",
    {"type": "string", "pattern": REVISION_ETAG.pattern},
    'The ETag of the revision edited, e.g. "r3" (or send "revision" in the body)',
    where="header",
)
IF_MATCH_VERSION = Param(
    "If-Match",
    {"type": "string"},
    'The ETag of the profile version edited, e.g. "v2" (or send "version" in the body)',
    where="header",
)
PROFILE = Param("profile", ID_SCHEMA, "A branding profile id (yours)")
REQUIRED_PROFILE = Param("profile", ID_SCHEMA, "Your branding profile id", required=True)
FIELDS = tuple(
    Param(
        f"field.{name}",
        {"type": "string", "maxLength": LOCAL_FIELD_LIMITS.get(name, MAX_FIELD_LENGTH)},
        f"A local value for the {name.replace('_', ' ')} field",
    )
    for name in (*PROFILE_FIELDS, *LOCAL_FIELD_LIMITS)
)
PAGE = Param("page", {"type": "integer", "minimum": 1}, "Page number from 1")


def json_reply(status: int, description: str, schema: Schema, *headers: str) -> Reply:
    return Reply(status, description, schema, headers=tuple(headers))


def binary_reply(description: str, media_type: str, *headers: str) -> Reply:
    return Reply(200, description, {"type": "string", "format": "binary"}, media_type, headers)


def listing(key: str, item: Schema, /, **extra: Any) -> Schema:
    """{"<key>": [item, ...], ...extra}."""
    return {
        "type": "object",
        "required": [key],
        "properties": {key: {"type": "array", "items": item}, **extra},
    }


def obj(required: tuple[str, ...] = (), /, **properties: Any) -> Schema:
    """An object schema; ``required`` names the fields that must be there."""
    return {"type": "object", "required": list(required), "properties": properties}


COMPONENTS: dict[str, Any] = {
    "Error": obj(("error",), error=TEXT, reference=TEXT),
    "Campaign": obj(("slug", "name"), slug=TEXT, name=TEXT, description=TEXT),
    "Version": obj(
        ("number", "sha256", "size", "media_type"),
        number=INT,
        sha256=TEXT,
        size=INT,
        media_type=TEXT,
        width=NULLABLE_INT,
        height=NULLABLE_INT,
        orientation=NULLABLE_TEXT,
        page_count=NULLABLE_INT,
        filename=TEXT,
        created_at=NULLABLE_TEXT,
    ),
    "Asset": obj(
        ("id", "title", "kind", "status", "tags", "revision", "links"),
        id={"type": "string", "format": "uuid"},
        title=TEXT,
        description=TEXT,
        kind=TEXT,
        status=TEXT,
        tags={"type": "array", "items": TEXT},
        campaign={"oneOf": [ref("Campaign"), {"type": "null"}]},
        created_at=NULLABLE_TEXT,
        updated_at=NULLABLE_TEXT,
        published_at=NULLABLE_TEXT,
        embargo_until=NULLABLE_TEXT,
        expires_at=NULLABLE_TEXT,
        alt_text=TEXT,
        language=TEXT,
        revision=INT,
        deleted_at=NULLABLE_TEXT,
        version={"oneOf": [ref("Version"), {"type": "null"}]},
        links={"type": "object", "additionalProperties": TEXT},
        highlights={"type": "object", "additionalProperties": TEXT},
    ),
    "SearchPage": obj(
        ("hits", "total", "page", "per_page", "facets"),
        hits={"type": "array", "items": ref("Asset")},
        total=INT,
        page=INT,
        per_page=INT,
        facets={
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": INT},
        },
        suggestion=NULLABLE_TEXT,
    ),
    "Library": obj(("id", "slug", "name"), id=INT, slug=TEXT, name=TEXT),
    "User": obj(
        ("id", "email", "role", "is_active"),
        id=INT,
        email=TEXT,
        role=TEXT,
        library={"oneOf": [ref("Library"), {"type": "null"}]},
        is_active=BOOL,
        has_password=BOOL,
        last_sign_in_at=NULLABLE_TEXT,
    ),
    "Token": obj(
        ("id", "name", "prefix"),
        id=INT,
        name=TEXT,
        prefix=TEXT,
        created_at=NULLABLE_TEXT,
        expires_at=NULLABLE_TEXT,
        revoked_at=NULLABLE_TEXT,
        last_used_at=NULLABLE_TEXT,
        token={"type": "string", "description": "Only in the answer that created it"},
    ),
    "AuditEvent": obj(
        ("id", "at", "action"),
        id=INT,
        at=TEXT,
        action=TEXT,
        actor=NULLABLE_TEXT,
        target_type=NULLABLE_TEXT,
        library_id=NULLABLE_INT,
    ),
    "Profile": obj(
        ("id", "name", "is_default", "version", "primary", "secondary", "text", "font"),
        id=INT,
        library_id=INT,
        name=TEXT,
        is_default=BOOL,
        version=INT,
        primary=TEXT,
        secondary=TEXT,
        text=TEXT,
        font=TEXT,
        qr_url=NULLABLE_TEXT,
        fields={"type": "object"},
        logo={"type": ["object", "null"]},
        warnings={"type": "array", "items": TEXT},
        links={"type": "object", "additionalProperties": TEXT},
    ),
    "Preset": obj(
        ("key", "name", "width", "height", "formats", "default_format", "version"),
        key=TEXT,
        name=TEXT,
        width=INT,
        height=INT,
        dpi=INT,
        byte_budget=NULLABLE_INT,
        formats={"type": "array", "items": TEXT},
        default_format=TEXT,
        channel=TEXT,
        max_upscale={"type": "number"},
        version=INT,
        is_active=BOOL,
    ),
    "Template": obj(
        ("key", "name", "version", "document"),
        key=TEXT,
        name=TEXT,
        version=INT,
        document={"type": "object"},
    ),
    "Consent": obj(
        ("id", "reference", "channels", "given_on", "expires_on", "is_child"),
        id=INT,
        reference=TEXT,
        channels={"type": "array", "items": TEXT},
        given_on=TEXT,
        expires_on=TEXT,
        is_child=BOOL,
        withdrawn_at=NULLABLE_TEXT,
    ),
    "Notice": obj(
        ("id", "asset", "library", "reason", "created_at"),
        id=INT,
        asset=obj(("id", "title"), id=TEXT, title=TEXT),
        library=TEXT,
        reason=TEXT,
        created_at=TEXT,
        done_at=NULLABLE_TEXT,
        done_by=NULLABLE_TEXT,
    ),
    "PackJob": obj(
        ("id", "status", "progress", "status_url", "api"),
        id=TEXT,
        status=TEXT,
        expired=BOOL,
        progress=obj(("done", "total"), done=INT, total=INT),
        error=NULLABLE_TEXT,
        size=NULLABLE_INT,
        status_url=TEXT,
        api=TEXT,
        download=NULLABLE_TEXT,
    ),
}
