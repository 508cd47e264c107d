from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# Columns garbage collection looks a key up in just before deleting it (services/gc.py).
_KEY_INDEXES = [
    ("asset_version", "storage_key"),
    ("asset_version", "thumbnail_key"),
    ("asset_version", "preview_key"),
    ("asset_version", "master_key"),
    ("asset_version", "stripped_key"),
    ("consent", "form_key"),
    ("branding_profile_version", "logo_key"),
    ("rendition", "storage_key"),
    ("pack_job", "storage_key"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0011_analytics")]

    initial = False

    operations = [
        # Feed tokens stop with their maker (docs/links-and-feeds.md).
        ops.AddField(
            model_name="FeedToken",
            name="created_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="created_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="feed_tokens_created",
                on_delete=OnDelete.CASCADE,
            ),
        ),
        ops.RunSQL(
            [
                f'CREATE INDEX IF NOT EXISTS "idx_{table}_{column}_gc" ON "{table}" ("{column}")'
                for table, column in _KEY_INDEXES
            ],
            reverse_sql=[
                f'DROP INDEX IF EXISTS "idx_{table}_{column}_gc"' for table, column in _KEY_INDEXES
            ],
        ),
    ]
