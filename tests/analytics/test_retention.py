"""Raw download events go after the retention period; the roll-ups (and so the figures, the
open data and takedown notices) keep what they need."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assets_hub import db
from assets_hub.errors import ConfigError
from assets_hub.models import Asset, DownloadDaily, DownloadEvent, TakedownNotice
from assets_hub.services import analytics, rights
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings
from tests.analytics.conftest import World
from tests.conftest import http_state


async def test_old_events_are_swept_but_counts_and_takedowns_remain(world: World) -> None:
    york = world.libraries["york"]
    with db.activate(http_state(world.http).database):
        await DownloadEvent.filter(library_id=york).update(at=utcnow() - timedelta(days=400))
        counted = sum(await DownloadDaily.all().values_list("count", flat=True))
        days, job, name = analytics.retention_job(Settings(download_retention_days=395))
        assert name == "download-retention" and days > 0
        assert await job() == 1
        assert await DownloadEvent.filter(library_id=york).count() == 0
        assert await DownloadEvent.filter(library_id=world.libraries["leeds"]).count() == 2
        assert sum(await DownloadDaily.all().values_list("count", flat=True)) == counted

        asset = await Asset.get(id=world.photo)
        assert await rights.issue_takedowns(asset, "consent withdrawn") == 2
        files = dict(await TakedownNotice.all().values_list("library_id", "files"))
        assert files[york] == ["an older download (original)"]
        assert files[world.libraries["leeds"]] == ["fair.jpg (original)"]


def test_the_retention_setting_is_checked() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ASSETS_HUB_DOWNLOAD_RETENTION_DAYS": "0"})
    assert "ASSETS_HUB_DOWNLOAD_RETENTION_DAYS" in str(refused.value.problems)
