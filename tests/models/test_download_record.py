"""A download's event row and the asset's download count are written together or not at all."""

from __future__ import annotations

import pytest

from assets_hub.models import Asset, AssetVersion, DownloadEvent, Kind, Status
from assets_hub.services import downloads


async def _asset() -> tuple[Asset, AssetVersion]:
    asset = await Asset.create(title="Poster", kind=Kind.IMAGE, status=Status.PUBLISHED)
    version = await AssetVersion.create(
        asset=asset,
        number=1,
        storage_key="originals/aa/" + "b" * 64,
        sha256="b" * 64,
        size=10,
        media_type="image/jpeg",
        filename="poster.jpg",
    )
    return asset, version


@pytest.mark.usefixtures("empty_database")
async def test_the_event_and_the_count_are_written_together() -> None:
    asset, version = await _asset()
    for _ in range(2):
        await downloads.record_event(
            asset, version, library_id=None, preset="story", branded=False, filename="p.jpg"
        )
    assert await DownloadEvent.filter(asset=asset).count() == 2
    assert (await Asset.get(id=asset.id)).download_count == 2


@pytest.mark.usefixtures("empty_database")
async def test_a_failure_between_the_two_writes_leaves_neither(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asset, version = await _asset()

    def broken(name: str) -> object:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(downloads, "F", broken)  # fails after the event row was inserted
    with pytest.raises(ConnectionError):
        await downloads.record_event(
            asset, version, library_id=None, preset="story", branded=False, filename="p.jpg"
        )
    assert await DownloadEvent.filter(asset=asset).count() == 0
    assert (await Asset.get(id=asset.id)).download_count == 0
