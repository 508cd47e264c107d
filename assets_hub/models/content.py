"""Structured content kinds: case studies and ready-made social posts (each is an Asset)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from assets_hub.models.assets import Asset
from assets_hub.models.libraries import Library, User


class CaseStudy(Model):
    """The story of what a library achieved: Markdown body, quote, figures, chosen images."""

    id = fields.IntField(primary_key=True)
    asset: fields.OneToOneRelation[Asset] = fields.OneToOneField(
        "models.Asset", related_name="case_study", on_delete=fields.CASCADE
    )
    library_featured = fields.CharField(max_length=200, default="")
    summary = fields.TextField(default="")
    body_markdown = fields.TextField(default="")
    pull_quote = fields.TextField(default="")
    pull_quote_by = fields.CharField(max_length=200, default="")
    figures: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    images: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)  # asset ids

    class Meta:
        table = "case_study"


class SocialPost(Model):
    """A ready-made post: caption templates per platform, hashtags, link, images, window."""

    id = fields.IntField(primary_key=True)
    asset: fields.OneToOneRelation[Asset] = fields.OneToOneField(
        "models.Asset", related_name="social_post", on_delete=fields.CASCADE
    )
    captions: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # platform -> text
    hashtags: fields.Field[list[str]] = fields.JSONField(default=list)
    link = fields.CharField(max_length=2048, default="")
    # [{"asset_id": …, "alt": template, "decorative": bool}], in posting order
    images: fields.Field[list[dict[str, object]]] = fields.JSONField(default=list)
    window_start = fields.DatetimeField(null=True)
    window_end = fields.DatetimeField(null=True)

    class Meta:
        table = "social_post"


class FeedToken(Model):
    """A revocable token in a library's feed URLs (scheduling tools cannot sign in)."""

    id = fields.IntField(primary_key=True)
    library: fields.ForeignKeyRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="feed_tokens", on_delete=fields.CASCADE
    )
    library_id: int
    # The library admin who made it: the token stops when they are switched off, leave the
    # library or are deleted. Null only for tokens made before this was recorded.
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="feed_tokens_created", null=True, on_delete=fields.CASCADE
    )
    created_by_id: int | None
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "feed_token"
