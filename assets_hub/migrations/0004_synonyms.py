import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0003_asset_lifecycle")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Synonym",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("term", fields.CharField(unique=True, max_length=50)),
                (
                    "synonyms",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "synonym",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Words that should find the same things, e.g. kids finds children, managed by editors.",
            },
            bases=["Model"],
        ),
    ]
