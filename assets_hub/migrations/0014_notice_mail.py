from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0013_subject_and_artwork")]

    initial = False

    # When the notice was mailed to the library's admins (None: not yet, or to be retried).
    operations = [
        ops.AddField(
            model_name="TakedownNotice",
            name="mailed_at",
            field=fields.DatetimeField(null=True),
        ),
    ]
