from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0006_content")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Rendition",
            name="media_type",
            field=fields.CharField(max_length=100),
        ),
    ]
