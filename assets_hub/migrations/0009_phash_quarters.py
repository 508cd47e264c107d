from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_pack_jobs")]

    initial = False

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
    ]
