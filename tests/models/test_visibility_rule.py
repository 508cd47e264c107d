"""The visibility rule in Python (``Viewer.may_see``) and in SQL (``Viewer.asset_filter``) agree
on every combination of status, deletion and time limits, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from assets_hub.models import Asset, Kind, Status
from assets_hub.services.visibility import Viewer

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
# None, the exact second (a limit "at now": embargo over, expiry reached), before, after.
MOMENTS = (None, NOW, NOW - timedelta(seconds=1), NOW + timedelta(seconds=1))


@pytest.mark.usefixtures("empty_database")
async def test_may_see_agrees_with_the_database_filter_in_every_case() -> None:
    cases = list(
        itertools.product(
            (Status.PUBLISHED, Status.DRAFT, Status.WITHDRAWN),
            (None, NOW - timedelta(days=1)),  # deleted_at
            MOMENTS,  # embargo_until
            MOMENTS,  # expires_at
            MOMENTS[:3],  # licence_expires_at
            MOMENTS[:3],  # consent_expires_at
        )
    )
    assets = [
        Asset(
            title=f"case {n}",
            kind=Kind.IMAGE,
            status=status,
            deleted_at=deleted,
            embargo_until=embargo,
            expires_at=expires,
            licence_expires_at=licence,
            consent_expires_at=consent,
        )
        for n, (status, deleted, embargo, expires, licence, consent) in enumerate(cases)
    ]
    await Asset.bulk_create(assets)
    for viewer in (Viewer(now=NOW), Viewer(sees_unpublished=True, now=NOW)):
        titles = await Asset.filter(viewer.asset_filter()).values_list("title", flat=True)
        in_sql = {str(title) for title in titles}
        in_python = {a.title for a in await Asset.all() if viewer.may_see(a)}
        assert in_python == in_sql
        assert 0 < len(in_sql) < len(cases)  # the grid really has both sides
