from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0009_phash_quarters")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Lease",
            fields=[
                ("name", fields.CharField(primary_key=True, max_length=100)),
                ("holder", fields.CharField(max_length=200)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "lease",
                "app": "models",
                "pk_attr": "name",
                "table_description": "A named job held by one process until expires_at, renewed "
                "while it runs (see leases.py).",
            },
            bases=["Model"],
        ),
    ]
