"""Replicas starting at the same moment on one PostgreSQL database all seed the output presets:
every one must start (the second used to die on the unique key the first had just inserted)."""

from __future__ import annotations

import asyncio

import pytest

from assets_hub import db
from assets_hub.branding import presets as seed
from assets_hub.models import Preset
from assets_hub.services.presets import seed_presets

pytestmark = pytest.mark.postgres


async def test_replicas_seeding_presets_at_once_all_start(migrated_postgres_url: str) -> None:
    context = await db.open_database(migrated_postgres_url)
    try:
        with db.activate(context):
            added = await asyncio.gather(*(seed_presets() for _ in range(3)))
            assert sum(added) == len(seed.PRESETS)
            assert await Preset.all().count() == len(seed.PRESETS)
    finally:
        await db.close_database(context)
