import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from assets_hub.models.accounts import LinkPurpose


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("prefix", fields.CharField(max_length=12)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "last_used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "api_token",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A personal API token. Shown once, only its SHA-256 is kept.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("action", fields.CharField(db_index=True, max_length=50)),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("actor_email", fields.CharField(default="", max_length=254)),
                ("target_type", fields.CharField(default="", max_length=50)),
                ("target_id", fields.CharField(default="", max_length=100)),
                (
                    "library",
                    fields.ForeignKeyField(
                        "models.Library",
                        source_field="library_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("ip", fields.CharField(default="", max_length=64)),
                (
                    "detail",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={
                "table": "audit_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An append-only record of a security-relevant event. Never holds passwords or tokens.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OneTimeLink",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="INVITATION: invitation\nPASSWORD_RESET: password_reset",
                        enum_type=LinkPurpose,
                        max_length=20,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="links_created",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "one_time_link",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An invitation or password-reset link: single use, expiring, stored hashed.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Session",
            fields=[
                (
                    "id",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("csrf_token", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("authenticated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("ip", fields.CharField(default="", max_length=64)),
            ],
            options={
                "table": "session",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A signed-in browser. The cookie holds a random token, only its SHA-256 is stored here.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="User",
            name="last_sign_in_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
