import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0005_branding")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CaseStudy",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "asset",
                    fields.OneToOneField(
                        "models.Asset",
                        source_field="asset_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="case_study",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("library_featured", fields.CharField(default="", max_length=200)),
                ("summary", fields.TextField(default="", unique=False)),
                ("body_markdown", fields.TextField(default="", unique=False)),
                ("pull_quote", fields.TextField(default="", unique=False)),
                ("pull_quote_by", fields.CharField(default="", max_length=200)),
                (
                    "figures",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "images",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={
                "table": "case_study",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The story of what a library achieved: Markdown body, quote, figures, chosen images.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="FeedToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "library",
                    fields.ForeignKeyField(
                        "models.Library",
                        source_field="library_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="feed_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "feed_token",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A revocable token in a library's feed URLs (scheduling tools cannot sign in).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SocialPost",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "asset",
                    fields.OneToOneField(
                        "models.Asset",
                        source_field="asset_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="social_post",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "captions",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "hashtags",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("link", fields.CharField(default="", max_length=2048)),
                (
                    "images",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "window_start",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("window_end", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "social_post",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A ready-made post: caption templates per platform, hashtags, link, images, window.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Asset",
            name="brand_zone",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
    ]
