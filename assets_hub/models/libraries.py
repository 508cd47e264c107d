"""Library services and the people who use assets hub."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    LIBRARY_ADMIN = "library_admin"
    LIBRARY_MEMBER = "library_member"


class Library(Model):
    """A library service run by a local authority, for example Leeds Libraries."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=100, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    region = fields.CharField(max_length=100, default="")  # from the libraries open data
    # When its staff last opened the library's figures: "new since your last visit".
    analytics_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "library"
        ordering = ("name",)


class User(Model):
    """A person who signs in. Editors and admins belong to no library."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    display_name = fields.CharField(max_length=200, default="")
    role = fields.CharEnumField(Role, max_length=20)
    library: fields.ForeignKeyNullableRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    library_id: int | None  # the foreign key's column, set by Tortoise
    password_hash = fields.CharField(max_length=255, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_sign_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user"
