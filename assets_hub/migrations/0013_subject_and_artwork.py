from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0012_reliability")]

    initial = False

    # Issue 15: the subject found at ingest, the flat-colour share that suggests artwork, and
    # the artwork flag that fits an asset whole instead of cropping it.
    operations = [
        ops.AddField(
            model_name="AssetVersion",
            name="subject_box",
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name="AssetVersion",
            name="flat_share",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Asset",
            name="artwork",
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name="Asset",
            name="variant_of",
            field=fields.UUIDField(null=True),
        ),
    ]
