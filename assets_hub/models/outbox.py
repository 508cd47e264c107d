"""Search outbox: one row per asset change, written in the same transaction as the change."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SearchOutbox(Model):
    """A pending index update. The indexer re-reads the asset, so order and repeats are harmless."""

    id = fields.BigIntField(primary_key=True)
    asset_id = fields.UUIDField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.CharField(max_length=500, default="")

    class Meta:
        table = "search_outbox"
        ordering = ("id",)
