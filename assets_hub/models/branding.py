"""Branding profiles (versioned), output presets, overlay templates (versioned), renditions."""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.models import Model

from assets_hub.models.assets import Asset
from assets_hub.models.libraries import Library


class BrandingProfile(Model):
    """One look a library uses (a library may have several, one default)."""

    id = fields.IntField(primary_key=True)
    library: fields.ForeignKeyRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="profiles", on_delete=fields.CASCADE
    )
    library_id: int
    name = fields.CharField(max_length=100)
    is_default = fields.BooleanField(default=False)
    current_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "branding_profile"
        ordering = ("library_id", "name")


class BrandingProfileVersion(Model):
    """An immutable version of a profile. Renditions name the version they were made from."""

    id = fields.IntField(primary_key=True)
    profile: fields.ForeignKeyRelation[BrandingProfile] = fields.ForeignKeyField(
        "models.BrandingProfile", related_name="versions", on_delete=fields.CASCADE
    )
    profile_id: int
    number = fields.IntField()
    primary = fields.CharField(max_length=7)
    secondary = fields.CharField(max_length=7, default="#ffffff")
    text = fields.CharField(max_length=7, default="#ffffff")
    font = fields.CharField(max_length=40)
    values: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # library_name …
    qr_url = fields.CharField(max_length=2048, null=True)
    logo_key = fields.CharField(max_length=255, null=True)
    logo_sha256 = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=254, default="")

    class Meta:
        table = "branding_profile_version"
        unique_together = (("profile", "number"),)


class Preset(Model):
    """A named output size, editable by admins. Its version is part of rendition keys."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=100)
    width = fields.IntField()
    height = fields.IntField()
    dpi = fields.IntField(default=72)
    byte_budget = fields.IntField(null=True)
    safe_area: fields.Field[list[int]] = fields.JSONField(default=list)  # top, right, bottom, left
    formats: fields.Field[list[str]] = fields.JSONField(default=list)
    default_format = fields.CharField(max_length=10, default="jpeg")
    max_upscale = fields.FloatField(default=1.0)
    channel = fields.CharField(max_length=10, default="social")  # which consent it needs
    version = fields.IntField(default=1)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "preset"
        ordering = ("id",)


class OverlayTemplate(Model):
    """A campaign team's overlay design. The document itself lives in versions."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=60, unique=True)
    name = fields.CharField(max_length=100)
    current_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "overlay_template"
        ordering = ("name",)


class OverlayTemplateVersion(Model):
    id = fields.IntField(primary_key=True)
    template: fields.ForeignKeyRelation[OverlayTemplate] = fields.ForeignKeyField(
        "models.OverlayTemplate", related_name="versions", on_delete=fields.CASCADE
    )
    template_id: int
    number = fields.IntField()
    document: fields.Field[dict[str, object]] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=254, default="")

    class Meta:
        table = "overlay_template_version"
        unique_together = (("template", "number"),)


class AssetTemplate(Model):
    """Which overlay template an asset uses (none: the default template)."""

    id = fields.IntField(primary_key=True)
    asset: fields.OneToOneRelation[Asset] = fields.OneToOneField(
        "models.Asset", related_name="template_choice", on_delete=fields.CASCADE
    )
    template: fields.ForeignKeyRelation[OverlayTemplate] = fields.ForeignKeyField(
        "models.OverlayTemplate", related_name="assets", on_delete=fields.RESTRICT
    )
    template_id: int

    class Meta:
        table = "asset_template"


class Rendition(Model):
    """A stored rendition, found by the hash of everything that shaped its bytes."""

    key = fields.CharField(max_length=64, primary_key=True)
    asset: fields.ForeignKeyRelation[Asset] = fields.ForeignKeyField(
        "models.Asset", related_name="renditions", on_delete=fields.CASCADE
    )
    asset_id: uuid.UUID
    version = fields.IntField()
    preset = fields.CharField(max_length=40)
    profile_version: fields.ForeignKeyNullableRelation[BrandingProfileVersion] = (
        fields.ForeignKeyField(
            "models.BrandingProfileVersion",
            related_name="renditions",
            null=True,
            on_delete=fields.CASCADE,
        )
    )
    format = fields.CharField(max_length=10)
    media_type = fields.CharField(max_length=100)
    storage_key = fields.CharField(max_length=255)
    size = fields.IntField()
    width = fields.IntField()
    height = fields.IntField()
    warnings: fields.Field[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rendition"
