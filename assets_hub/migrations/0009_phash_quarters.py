from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_pack_jobs")]

    initial = False

    # AddField records db_index=True in the state but creates no index (CreateModel does), so
    # the indexes are made here, including the one 0003 declared for phash itself.
    operations = [
        ops.AddField(
            model_name="AssetVersion",
            name="phash_q0",
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="phash_q1",
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="phash_q2",
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="phash_q3",
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.RunSQL(
            [
                f'CREATE INDEX IF NOT EXISTS "idx_asset_version_{column}" '
                f'ON "asset_version" ("{column}")'
                for column in ("phash", "phash_q0", "phash_q1", "phash_q2", "phash_q3")
            ],
            reverse_sql=[
                f'DROP INDEX IF EXISTS "idx_asset_version_{column}"'
                for column in ("phash", "phash_q0", "phash_q1", "phash_q2", "phash_q3")
            ],
        ),
    ]
