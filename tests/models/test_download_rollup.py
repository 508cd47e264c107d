"""Each download adds one to its daily roll-up in the same transaction; old events backfilled."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from assets_hub.models import (
    Asset,
    AssetVersion,
    Campaign,
    DownloadDaily,
    DownloadEvent,
    DownloadTotal,
    Library,
)
from assets_hub.services import analytics, downloads


async def _asset(campaign: Campaign | None = None) -> tuple[Asset, AssetVersion]:
    asset = await Asset.create(title="Poster", campaign=campaign)
    version = await AssetVersion.create(
        asset=asset,
        number=1,
        storage_key="originals/aa/" + "c" * 64,
        sha256="c" * 64,
        size=10,
        media_type="image/jpeg",
        filename="poster.jpg",
    )
    return asset, version


@pytest.fixture
async def clean(empty_database: None) -> None:
    await DownloadDaily.all().delete()
    await DownloadTotal.all().delete()
    await Library.filter(slug__in=["leeds-r", "york-r"]).delete()
    await Campaign.filter(slug="week-r").delete()


@pytest.mark.usefixtures("clean")
async def test_downloads_are_counted_per_day_library_size_and_branding() -> None:
    campaign = await Campaign.create(slug="week-r", name="Libraries Week")
    leeds = await Library.create(name="Leeds", slug="leeds-r")
    asset, version = await _asset(campaign)
    for preset, branded in (("story", True), ("story", True), ("original", False)):
        await downloads.record_event(
            asset, version, library_id=leeds.id, preset=preset, branded=branded, filename="p"
        )
    await downloads.record_event(
        asset, version, library_id=None, preset="story", branded=True, filename="p"
    )
    rows = await DownloadDaily.filter(asset_id=asset.id).order_by("library_id", "preset")
    today = datetime.now(UTC).date()
    assert [(r.day, r.campaign_id, r.library_id, r.preset, r.branded, r.count) for r in rows] == [
        (today, campaign.id, 0, "story", True, 1),
        (today, campaign.id, leeds.id, "original", False, 1),
        (today, campaign.id, leeds.id, "story", True, 2),
    ]
    totals = await DownloadTotal.filter(campaign_id=campaign.id).order_by("dimension", "item")
    weekly = {(t.dimension, t.item, t.branded, t.count) for t in totals if "/w" in t.dimension}
    daily = {(t.dimension, t.item, t.branded, t.count) for t in totals if "/w" not in t.dimension}
    assert weekly == {(f"{d}/w", item, b, n) for d, item, b, n in daily}  # the same, per week
    assert daily == {
        ("asset", str(asset.id), False, 1),
        ("asset", str(asset.id), True, 3),
        ("campaign", "", False, 1),
        ("campaign", "", True, 3),
        ("library", "0", True, 1),
        ("library", str(leeds.id), False, 1),
        ("library", str(leeds.id), True, 2),
        ("preset", "original", False, 1),
        ("preset", "story", True, 3),
    }
    query = analytics.usage_query(start=None, end=None, group="library", campaign=campaign)
    figures = await analytics.usage(query)
    assert [(r.label, r.downloads, r.renders) for r in figures] == [
        ("Leeds", 3, 2),
        ("Campaign team", 1, 1),
    ]


@pytest.mark.usefixtures("clean")
async def test_a_failed_download_record_counts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    asset, version = await _asset()

    async def broken(connection: object, event: object) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(analytics, "count_download", broken)
    with pytest.raises(ConnectionError):
        await downloads.record_event(
            asset, version, library_id=None, preset="story", branded=False, filename="p"
        )
    assert await DownloadEvent.filter(asset=asset).count() == 0
    assert (await Asset.get(id=asset.id)).download_count == 0
    assert await DownloadDaily.filter(asset_id=asset.id).count() == 0


@pytest.mark.usefixtures("clean")
async def test_the_migration_backfills_events_recorded_before_the_roll_ups() -> None:
    import importlib

    from tortoise import connections

    migration = importlib.import_module("assets_hub.migrations.0011_analytics")
    york = await Library.create(name="York", slug="york-r")
    asset, _ = await _asset()
    for at in ("2026-03-01T23:59:00+00:00", "2026-03-01T08:00:00+00:00", "2026-03-02T00:01:00"):
        event = await DownloadEvent.create(asset=asset, version=1, library=york, preset="story")
        moment = datetime.fromisoformat(at)
        await DownloadEvent.filter(id=event.id).update(at=moment.replace(tzinfo=UTC))

    class Editor:
        client = connections.get("default")

    await migration._backfill(None, Editor())
    rows = await DownloadDaily.filter(asset_id=asset.id).order_by("day")
    assert [(r.day, r.library_id, r.count) for r in rows] == [
        (date(2026, 3, 1), york.id, 2),
        (date(2026, 3, 2), york.id, 1),
    ]
    by_library = await DownloadTotal.filter(dimension="library", item=str(york.id)).order_by("day")
    assert [(t.day, t.count) for t in by_library] == [(date(2026, 3, 1), 2), (date(2026, 3, 2), 1)]
    weeks = await DownloadTotal.filter(dimension="library/w", item=str(york.id)).order_by("day")
    # Sunday 1 March is in the week of Monday 23 February; Monday 2 March starts the next.
    assert [(t.day, t.count) for t in weeks] == [(date(2026, 2, 23), 2), (date(2026, 3, 2), 1)]
    week = await DownloadTotal.get(dimension="asset/w", item=str(asset.id), day=date(2026, 3, 2))
    assert week.count == 1
