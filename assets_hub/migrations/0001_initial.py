from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from assets_hub.models.assets import Kind, Status
from assets_hub.models.libraries import Role


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Campaign",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("slug", fields.CharField(unique=True, max_length=100)),
                ("name", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "campaign",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A national campaign, e.g. Libraries Week 2026.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Library",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=200)),
                ("slug", fields.CharField(unique=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "library",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A library service run by a local authority, for example Leeds Libraries.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SearchOutbox",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("asset_id", fields.UUIDField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("last_error", fields.CharField(default="", max_length=500)),
            ],
            options={
                "table": "search_outbox",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A pending index update. The indexer re-reads the asset, so order and repeats are harmless.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tag",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=50)),
            ],
            options={"table": "tag", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Asset",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "kind",
                    fields.CharEnumField(
                        default=Kind.IMAGE,
                        description="IMAGE: image\nDOCUMENT: document\nCASE_STUDY: case_study\nLOGO: logo\nSOCIAL_POST: social_post",
                        enum_type=Kind,
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=Status.DRAFT,
                        description="DRAFT: draft\nIN_REVIEW: in_review\nPUBLISHED: published\nWITHDRAWN: withdrawn\nARCHIVED: archived",
                        enum_type=Status,
                        max_length=20,
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="assets",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "tags",
                    fields.ManyToManyField(
                        "models.Tag",
                        unique=True,
                        db_constraint=True,
                        through="asset_tag",
                        forward_key="tag_id",
                        backward_key="asset_id",
                        related_name="assets",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                (
                    "published_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "embargo_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("download_count", fields.IntField(default=0)),
                ("revision", fields.IntField(default=1)),
            ],
            options={
                "table": "asset",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One campaign item (image, fact sheet, logo). Its files live in AssetVersion rows.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AssetVersion",
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
                        related_name="versions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("number", fields.IntField()),
                ("storage_key", fields.CharField(max_length=255)),
                ("sha256", fields.CharField(db_index=True, max_length=64)),
                ("size", fields.BigIntField()),
                ("media_type", fields.CharField(max_length=100)),
                ("width", fields.IntField(null=True)),
                ("height", fields.IntField(null=True)),
                ("page_count", fields.IntField(null=True)),
                ("filename", fields.CharField(max_length=255)),
                ("thumbnail_key", fields.CharField(null=True, max_length=255)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "asset_version",
                "app": "models",
                "unique_together": (("asset", "number"),),
                "pk_attr": "id",
                "table_description": "One stored file of an asset. The highest number is current.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("display_name", fields.CharField(default="", max_length=200)),
                (
                    "role",
                    fields.CharEnumField(
                        description="ADMIN: admin\nEDITOR: editor\nLIBRARY_ADMIN: library_admin\nLIBRARY_MEMBER: library_member",
                        enum_type=Role,
                        max_length=20,
                    ),
                ),
                (
                    "library",
                    fields.ForeignKeyField(
                        "models.Library",
                        source_field="library_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="users",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("password_hash", fields.CharField(null=True, max_length=255)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "user",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A person who signs in. Editors and admins belong to no library.",
            },
            bases=["Model"],
        ),
    ]
