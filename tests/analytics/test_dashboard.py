"""The campaign team's dashboard and a library's own figures, as pages (no JavaScript)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from assets_hub import db
from assets_hub.models import Asset, Library, Status, TakedownNotice
from assets_hub.services.visibility import utcnow
from tests.analytics.conftest import World
from tests.conftest import http_state


async def test_the_dashboard_charts_every_breakdown_with_a_table_and_summary(world: World) -> None:
    page = await world.get("editor", "/editor/analytics", params={"campaign": "libraries-week"})
    assert page.status_code == 200, page.text
    text = page.text
    for key in ("time", "campaign", "asset", "preset", "library", "region"):
        assert f'id="{key}-table"' in text and f'id="{key}-summary"' in text
        assert f'aria-labelledby="{key}-title {key}-desc"' in text  # the SVG names itself
        assert f"/editor/analytics/{key}.csv?campaign=libraries-week" in text
    assert (
        "3 downloads (0 branded renders) from 2 library services; Leeds led with 2 (67%)." in text
    )
    assert "<svg" in text and "<script" not in text.split("<main", 1)[1]
    assert 'option value="libraries-week" selected' in text  # the filter is kept in the URL


async def test_every_table_exports_as_csv(world: World) -> None:
    got = await world.get(
        "editor", "/editor/analytics/library.csv", params={"campaign": "libraries-week"}
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows == [
        ["library service", "key", "files as they are", "branded renders", "downloads"],
        ["Leeds", "leeds", "2", "0", "2"],
        ["York", "york", "1", "0", "1"],
    ]
    reach = await world.get(
        "editor", "/editor/analytics/reach.csv", params={"campaign": "libraries-week"}
    )
    assert list(csv.reader(io.StringIO(reach.text)))[1:] == [["Kent", "kent", "South East"]]
    unknown = await world.get("editor", "/editor/analytics/users.csv")
    assert unknown.status_code == 404


async def test_reach_and_takedown_completion(world: World) -> None:
    with db.activate(http_state(world.http).database):
        leeds = await Library.get(slug="leeds")
        york = await Library.get(slug="york")
        kent = await Library.get(slug="kent")
        for library, done_after in (
            (leeds, timedelta(hours=2)),
            (york, timedelta(hours=6)),
            (kent, None),
        ):
            notice = await TakedownNotice.create(
                asset_id=world.photo, library=library, reason="Consent withdrawn"
            )
            if done_after is not None:
                notice.done_at = notice.created_at + done_after
                await notice.save(update_fields=["done_at"])
    page = await world.get("editor", "/editor/analytics", params={"campaign": "libraries-week"})
    text = re.sub(r"\s+", " ", page.text)
    assert "1 of 3 library services downloaded nothing of Libraries Week in this period." in text
    assert "Kent" in text.split('id="reach-table"', 1)[1].split("</table>", 1)[0]
    takedowns = text.split('id="takedowns-table"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"Libraries Week</th> <td[^>]*>2</td> <td[^>]*>1</td> <td[^>]*>4.0 hours", takedowns
    )


async def test_library_staff_and_visitors_cannot_open_the_dashboard(world: World) -> None:
    assert (await world.get("leeds-admin", "/editor/analytics")).status_code == 403
    assert (await world.get("nobody", "/editor/analytics")).status_code == 303  # to sign in
    bad = await world.get(
        "editor", "/editor/analytics", params={"from": "2026-02-01", "to": "2026-01-01"}
    )
    assert bad.status_code == 400 and "is after to" in bad.text


async def test_a_library_sees_its_downloads_and_what_is_new_since_its_last_visit(
    world: World,
) -> None:
    first = await world.get("leeds-member", "/library/analytics")
    assert first.status_code == 200
    assert "This is the first visit" in first.text
    assert "Libraries Week" in first.text.split('id="campaign-table"', 1)[1]
    assert "2 downloads (0 branded renders) from 1 campaign" in first.text
    # Something is published and downloaded after the visit.
    with db.activate(http_state(world.http).database):
        await Asset.create(
            title="Summer poster",
            status=Status.PUBLISHED,
            published_at=utcnow() + timedelta(seconds=1),
        )
    await world.get("leeds-member", f"/api/v1/assets/{world.photo}/download")
    again = await world.get("leeds-admin", "/library/analytics")
    text = re.sub(r"\s+", " ", again.text)
    assert "1 new item published, and your library downloaded 1 file." in text
    assert "Summer poster" in text
    editor = await world.get("editor", "/library/analytics")
    assert editor.status_code == 404  # editors belong to no library
