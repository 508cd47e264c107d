"""Sign-in sessions, API tokens, one-time links (invitations, resets) and the audit log."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from assets_hub.models.libraries import Library, User


class Session(Model):
    """A signed-in browser. The cookie holds a random token, only its SHA-256 is stored here."""

    id = fields.CharField(max_length=64, primary_key=True)  # sha256 hex of the cookie token
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    authenticated_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)  # absolute expiry
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "session"


class ApiToken(Model):
    """A personal API token. Shown once, only its SHA-256 is kept."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)  # shown in lists so people can tell tokens apart
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name, not a password


class OneTimeLink(Model):
    """An invitation or password-reset link: single use, expiring, stored hashed."""

    id = fields.IntField(primary_key=True)
    purpose = fields.CharEnumField(LinkPurpose, max_length=20)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="links", on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="links_created", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_link"


class AuditEvent(Model):
    """An append-only record of a security-relevant event. Never holds passwords or tokens."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    action = fields.CharField(max_length=50, db_index=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    actor_email = fields.CharField(max_length=254, default="")
    target_type = fields.CharField(max_length=50, default="")
    target_id = fields.CharField(max_length=100, default="")
    library: fields.ForeignKeyNullableRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    ip = fields.CharField(max_length=64, default="")
    detail: fields.Field[dict[str, object]] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_event"
        ordering = ("-id",)
