"""Search settings kept in the database so every replica and every rebuild applies them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Synonym(Model):
    """Words that should find the same things, e.g. kids finds children, managed by editors."""

    id = fields.IntField(primary_key=True)
    term = fields.CharField(max_length=50, unique=True)
    synonyms: fields.Field[list[str]] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "synonym"
        ordering = ("term",)
