from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_content')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Rendition',
            name='media_type',
            field=fields.CharField(max_length=100),
        ),
    ]
