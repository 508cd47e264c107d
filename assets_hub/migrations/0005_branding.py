import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0004_synonyms")]

    initial = False

    operations = [
        ops.CreateModel(
            name="BrandingProfile",
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
                        related_name="profiles",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("is_default", fields.BooleanField(default=False)),
                ("current_version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "branding_profile",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One look a library uses (a library may have several, one default).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BrandingProfileVersion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "profile",
                    fields.ForeignKeyField(
                        "models.BrandingProfile",
                        source_field="profile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="versions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("number", fields.IntField()),
                ("primary", fields.CharField(max_length=7)),
                ("secondary", fields.CharField(default="#ffffff", max_length=7)),
                ("text", fields.CharField(default="#ffffff", max_length=7)),
                ("font", fields.CharField(max_length=40)),
                (
                    "values",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("qr_url", fields.CharField(null=True, max_length=2048)),
                ("logo_key", fields.CharField(null=True, max_length=255)),
                ("logo_sha256", fields.CharField(default="", max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("created_by", fields.CharField(default="", max_length=254)),
            ],
            options={
                "table": "branding_profile_version",
                "app": "models",
                "unique_together": (("profile", "number"),),
                "pk_attr": "id",
                "table_description": "An immutable version of a profile. Renditions name the version they were made from.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OverlayTemplate",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=60)),
                ("name", fields.CharField(max_length=100)),
                ("current_version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "overlay_template",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A campaign team's overlay design. The document itself lives in versions.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AssetTemplate",
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
                        related_name="template_choice",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "template",
                    fields.ForeignKeyField(
                        "models.OverlayTemplate",
                        source_field="template_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="assets",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "asset_template",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Which overlay template an asset uses (none: the default template).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OverlayTemplateVersion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "template",
                    fields.ForeignKeyField(
                        "models.OverlayTemplate",
                        source_field="template_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="versions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("number", fields.IntField()),
                (
                    "document",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("created_by", fields.CharField(default="", max_length=254)),
            ],
            options={
                "table": "overlay_template_version",
                "app": "models",
                "unique_together": (("template", "number"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Preset",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=40)),
                ("name", fields.CharField(max_length=100)),
                ("width", fields.IntField()),
                ("height", fields.IntField()),
                ("dpi", fields.IntField(default=72)),
                ("byte_budget", fields.IntField(null=True)),
                (
                    "safe_area",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "formats",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("default_format", fields.CharField(default="jpeg", max_length=10)),
                ("max_upscale", fields.FloatField(default=1.0)),
                ("channel", fields.CharField(default="social", max_length=10)),
                ("version", fields.IntField(default=1)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "preset",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A named output size, editable by admins. Its version is part of rendition keys.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Rendition",
            fields=[
                (
                    "key",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
                (
                    "asset",
                    fields.ForeignKeyField(
                        "models.Asset",
                        source_field="asset_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="renditions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("version", fields.IntField()),
                ("preset", fields.CharField(max_length=40)),
                (
                    "profile_version",
                    fields.ForeignKeyField(
                        "models.BrandingProfileVersion",
                        source_field="profile_version_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="renditions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("format", fields.CharField(max_length=10)),
                ("media_type", fields.CharField(max_length=40)),
                ("storage_key", fields.CharField(max_length=255)),
                ("size", fields.IntField()),
                ("width", fields.IntField()),
                ("height", fields.IntField()),
                (
                    "warnings",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "rendition",
                "app": "models",
                "pk_attr": "key",
                "table_description": "A stored rendition, found by the hash of everything that shaped its bytes.",
            },
            bases=["Model"],
        ),
    ]
