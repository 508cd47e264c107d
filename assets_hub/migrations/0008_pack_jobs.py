import functools
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from assets_hub.models.packs import PackStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0007_rendition_media_type")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PackJob",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "library",
                    fields.ForeignKeyField(
                        "models.Library",
                        source_field="library_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pack_jobs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="requested_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pack_jobs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pack_jobs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("profile_id", fields.IntField()),
                (
                    "presets",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "local_fields",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=PackStatus.QUEUED,
                        description="QUEUED: queued\nBUILDING: building\nREADY: ready\nFAILED: failed",
                        enum_type=PackStatus,
                        max_length=20,
                    ),
                ),
                ("done", fields.IntField(default=0)),
                ("total", fields.IntField(default=0)),
                ("attempts", fields.IntField(default=0)),
                ("storage_key", fields.CharField(null=True, max_length=512)),
                ("size", fields.BigIntField(null=True)),
                ("error", fields.CharField(default="", max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "expires_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
            ],
            options={
                "table": "pack_job",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A large campaign pack built by the background worker, stored until it expires.",
            },
            bases=["Model"],
        ),
    ]
