"""Campaigns, assets, their stored versions and tags."""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Kind(StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"  # fact sheets (PDF)
    CASE_STUDY = "case_study"
    LOGO = "logo"
    SOCIAL_POST = "social_post"


class Status(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"


class Campaign(Model):
    """A national campaign, e.g. Libraries Week 2026."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=100, unique=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaign"
        ordering = ("name",)


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    class Meta:
        table = "tag"
        ordering = ("name",)


class Asset(Model):
    """One campaign item (image, fact sheet, logo). Its files live in AssetVersion rows."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    kind = fields.CharEnumField(Kind, max_length=20, default=Kind.IMAGE)
    status = fields.CharEnumField(Status, max_length=20, default=Status.DRAFT)
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="assets", null=True, on_delete=fields.SET_NULL
    )
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "models.Tag", related_name="assets", through="asset_tag"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    published_at = fields.DatetimeField(null=True)
    embargo_until = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    download_count = fields.IntField(default=0)
    # Bumped on every change: optimistic concurrency and search reconciliation.
    revision = fields.IntField(default=1)

    versions: fields.ReverseRelation[AssetVersion]

    class Meta:
        table = "asset"


class AssetVersion(Model):
    """One stored file of an asset. The highest number is current."""

    id = fields.IntField(primary_key=True)
    asset: fields.ForeignKeyRelation[Asset] = fields.ForeignKeyField(
        "models.Asset", related_name="versions", on_delete=fields.CASCADE
    )
    asset_id: uuid.UUID  # the foreign key's column, set by Tortoise
    number = fields.IntField()
    storage_key = fields.CharField(max_length=255)
    sha256 = fields.CharField(max_length=64, db_index=True)
    size = fields.BigIntField()
    media_type = fields.CharField(max_length=100)
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    page_count = fields.IntField(null=True)
    filename = fields.CharField(max_length=255)  # sanitised display name, never a storage key
    thumbnail_key = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "asset_version"
        unique_together = (("asset", "number"),)
        ordering = ("asset_id", "number")
