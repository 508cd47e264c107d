"""Campaigns, assets, their stored versions and tags."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from assets_hub.models.libraries import Library, User

if TYPE_CHECKING:
    from assets_hub.models.branding import AssetTemplate


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
    audience: fields.Field[list[str]] = fields.JSONField(default=list)
    alt_text = fields.CharField(max_length=500, default="")
    language = fields.CharField(max_length=10, default="en")
    # Rights: the licence record travels with the asset; its credit goes on every output.
    licence = fields.CharField(max_length=30, default="")
    licence_terms = fields.TextField(default="")
    credit = fields.CharField(max_length=300, default="")
    licence_expires_at = fields.DatetimeField(null=True)
    # Kept equal to the earliest expiry (or withdrawal) of the linked consents, and the
    # channels every consent covers, so visibility is one indexed comparison.
    consent_expires_at = fields.DatetimeField(null=True)
    consent_channels: fields.Field[list[str] | None] = fields.JSONField(null=True)
    focal_x = fields.FloatField(null=True)  # 0..1 from the left of the upright image
    focal_y = fields.FloatField(null=True)
    # Artwork (posters, banners, anything with type in it) is fitted whole, never cropped.
    artwork = fields.BooleanField(default=False)
    # A per-aspect variant (square, portrait, story, landscape) of this artwork asset: each
    # preset renders whichever of the artwork and its variants is closest to its shape.
    variant_of = fields.UUIDField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assets_created", null=True, on_delete=fields.SET_NULL
    )
    # Fact sheets: where local branding is stamped (None: the default footer strip).
    brand_zone: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # Set once takedown notices were issued for the current expiry, so they go out once.
    takedown_issued_at = fields.DatetimeField(null=True)

    versions: fields.ReverseRelation[AssetVersion]
    # Only when read with select_related("template_choice"): the overlay template it uses.
    template_choice: AssetTemplate | None

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
    preview_key = fields.CharField(max_length=255, null=True)
    master_key = fields.CharField(max_length=255, null=True)  # working master for renditions
    master_media_type = fields.CharField(max_length=100, null=True)
    stripped_key = fields.CharField(max_length=255, null=True)  # original without metadata
    orientation = fields.CharField(max_length=10, default="")
    dominant_colours: fields.Field[list[str]] = fields.JSONField(default=list)
    camera_date = fields.CharField(max_length=40, null=True)
    phash = fields.CharField(max_length=16, null=True, db_index=True)
    # The hash's four 16-bit quarters, indexed: near-duplicates are found by looking up each
    # quarter and its one-bit neighbours (see media.inspect.near_quarters), not by a scan.
    phash_q0 = fields.IntField(null=True, db_index=True)
    phash_q1 = fields.IntField(null=True, db_index=True)
    phash_q2 = fields.IntField(null=True, db_index=True)
    phash_q3 = fields.IntField(null=True, db_index=True)
    text = fields.TextField(default="")  # extracted from PDFs, fed to search
    # Found at ingest (assets_hub.media.subject): the subject's box {x, y, width, height,
    # kind} in fractions of the upright image, the focal region when no focal point is set;
    # and the share of flat colour, which suggests artwork.
    subject_box: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    flat_share = fields.FloatField(null=True)
    uploaded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="versions_uploaded", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "asset_version"
        unique_together = (("asset", "number"),)
        ordering = ("asset_id", "number")


class Channel(StrEnum):
    WEB = "web"
    SOCIAL = "social"
    PRINT = "print"


class Consent(Model):
    """Consent from one identifiable person in an asset, as recorded on a signed form."""

    id = fields.IntField(primary_key=True)
    asset: fields.ForeignKeyRelation[Asset] = fields.ForeignKeyField(
        "models.Asset", related_name="consents", on_delete=fields.CASCADE
    )
    reference = fields.CharField(max_length=100)  # the form's reference number
    channels: fields.Field[list[str]] = fields.JSONField(default=list)
    given_on = fields.DateField()
    expires_on = fields.DateField()
    is_child = fields.BooleanField(default=False)
    form_key = fields.CharField(max_length=255, null=True)  # scan of the signed form
    withdrawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consent"
        ordering = ("id",)


class DownloadEvent(Model):
    """One download or render handed to a library. No personal data: the library, not the user."""

    id = fields.BigIntField(primary_key=True)
    asset: fields.ForeignKeyRelation[Asset] = fields.ForeignKeyField(
        "models.Asset", related_name="downloads", on_delete=fields.CASCADE
    )
    version = fields.IntField()
    library: fields.ForeignKeyNullableRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="downloads", null=True, on_delete=fields.SET_NULL
    )
    preset = fields.CharField(max_length=50, default="original")
    branded = fields.BooleanField(default=False)
    filename = fields.CharField(max_length=255, default="")
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "download_event"


class TakedownNotice(Model):
    """Tells a library to stop using an asset it downloaded (consent withdrawn, rights expired)."""

    id = fields.IntField(primary_key=True)
    asset: fields.ForeignKeyRelation[Asset] = fields.ForeignKeyField(
        "models.Asset", related_name="takedowns", on_delete=fields.CASCADE
    )
    library: fields.ForeignKeyRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="takedowns", on_delete=fields.CASCADE
    )
    reason = fields.CharField(max_length=300)
    files: fields.Field[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    done_at = fields.DatetimeField(null=True)
    done_by = fields.CharField(max_length=254, default="")
    mailed_at = fields.DatetimeField(null=True)  # mailed to the library's admins (None: due)

    class Meta:
        table = "takedown_notice"
        unique_together = (("asset", "library", "created_at"),)
        ordering = ("-id",)
