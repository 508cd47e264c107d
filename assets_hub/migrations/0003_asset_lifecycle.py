import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0002_accounts")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Consent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "asset",
                    fields.ForeignKeyField(
                        "models.Asset",
                        source_field="asset_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="consents",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("reference", fields.CharField(max_length=100)),
                (
                    "channels",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("given_on", fields.DateField()),
                ("expires_on", fields.DateField()),
                ("is_child", fields.BooleanField(default=False)),
                ("form_key", fields.CharField(null=True, max_length=255)),
                (
                    "withdrawn_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "consent",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Consent from one identifiable person in an asset, as recorded on a signed form.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DownloadEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "asset",
                    fields.ForeignKeyField(
                        "models.Asset",
                        source_field="asset_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="downloads",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("version", fields.IntField()),
                (
                    "library",
                    fields.ForeignKeyField(
                        "models.Library",
                        source_field="library_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="downloads",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("preset", fields.CharField(default="original", max_length=50)),
                ("branded", fields.BooleanField(default=False)),
                ("filename", fields.CharField(default="", max_length=255)),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "download_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One download or render handed to a library. No personal data: the library, not the user.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TakedownNotice",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "asset",
                    fields.ForeignKeyField(
                        "models.Asset",
                        source_field="asset_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="takedowns",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "library",
                    fields.ForeignKeyField(
                        "models.Library",
                        source_field="library_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="takedowns",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("reason", fields.CharField(max_length=300)),
                (
                    "files",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("done_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("done_by", fields.CharField(default="", max_length=254)),
            ],
            options={
                "table": "takedown_notice",
                "app": "models",
                "unique_together": (("asset", "library", "created_at"),),
                "pk_attr": "id",
                "table_description": "Tells a library to stop using an asset it downloaded (consent withdrawn, rights expired).",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Asset",
            name="alt_text",
            field=fields.CharField(default="", max_length=500),
        ),
        ops.AddField(
            model_name="Asset",
            name="audience",
            field=fields.JSONField(
                default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="Asset",
            name="consent_channels",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="Asset",
            name="consent_expires_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Asset",
            name="created_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="created_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="assets_created",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Asset",
            name="credit",
            field=fields.CharField(default="", max_length=300),
        ),
        ops.AddField(
            model_name="Asset",
            name="focal_x",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Asset",
            name="focal_y",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Asset",
            name="language",
            field=fields.CharField(default="en", max_length=10),
        ),
        ops.AddField(
            model_name="Asset",
            name="licence",
            field=fields.CharField(default="", max_length=30),
        ),
        ops.AddField(
            model_name="Asset",
            name="licence_expires_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Asset",
            name="licence_terms",
            field=fields.TextField(default="", unique=False),
        ),
        ops.AddField(
            model_name="Asset",
            name="takedown_issued_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="camera_date",
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="dominant_colours",
            field=fields.JSONField(
                default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="master_key",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="master_media_type",
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="orientation",
            field=fields.CharField(default="", max_length=10),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="phash",
            field=fields.CharField(null=True, db_index=True, max_length=16),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="preview_key",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="stripped_key",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="text",
            field=fields.TextField(default="", unique=False),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="uploaded_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="uploaded_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="versions_uploaded",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
