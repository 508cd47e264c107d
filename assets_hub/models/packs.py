"""Campaign packs built in the background: one row per requested pack, from queued to ready."""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from assets_hub.models.assets import Campaign
from assets_hub.models.libraries import Library, User


class PackStatus(StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class PackJob(Model):
    """A large campaign pack built by the background worker, stored until it expires."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    library: fields.ForeignKeyRelation[Library] = fields.ForeignKeyField(
        "models.Library", related_name="pack_jobs", on_delete=fields.CASCADE
    )
    library_id: int
    requested_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="pack_jobs", on_delete=fields.CASCADE
    )
    requested_by_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="pack_jobs", on_delete=fields.CASCADE
    )
    campaign_id: int
    profile_id = fields.IntField()
    presets: fields.Field[list[str]] = fields.JSONField(default=list)
    local_fields: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # field.* values
    status = fields.CharEnumField(PackStatus, max_length=20, default=PackStatus.QUEUED)
    done = fields.IntField(default=0)  # renditions written so far
    total = fields.IntField(default=0)  # renditions in the pack
    attempts = fields.IntField(default=0)
    storage_key = fields.CharField(max_length=512, null=True)
    size = fields.BigIntField(null=True)
    error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)  # the worker's heartbeat while building
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "pack_job"
        ordering = ("-created_at",)
