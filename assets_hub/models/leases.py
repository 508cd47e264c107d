"""Leases: which process does a piece of work that must run once per deployment."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Lease(Model):
    """A named job held by one process until expires_at, renewed while it runs (see leases.py)."""

    name = fields.CharField(max_length=100, primary_key=True)
    holder = fields.CharField(max_length=200)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "lease"
