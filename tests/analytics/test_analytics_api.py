"""GET /api/v1/analytics/downloads: the campaign team's figures, a library admin's own,
members refused, bad input answered with a message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.analytics.conftest import World

URL = "/api/v1/analytics/downloads"


async def test_editors_see_every_library_grouped_as_asked(world: World) -> None:
    got = await world.get("editor", URL, params={"campaign": "libraries-week", "group": "library"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert [(r["key"], r["downloads"], r["renders"]) for r in body["rows"]] == [
        ("leeds", 2, 0),
        ("york", 1, 0),
    ]
    assert body["total"] == {"downloads": 3, "renders": 0}
    region = await world.get("admin", URL, params={"group": "region"})
    assert [(r["label"], r["downloads"]) for r in region.json()["rows"]] == [
        ("Yorkshire and The Humber", 3)
    ]
    other = await world.get("editor", URL, params={"campaign": "summer-reading", "group": "asset"})
    assert other.json()["rows"] == []


async def test_days_and_weeks_cover_the_whole_range_with_history(world: World) -> None:
    today = datetime.now(UTC).date()
    await world.roll_up(today - timedelta(days=3), "leeds", 5)
    got = await world.get(
        "editor",
        URL,
        params={"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()},
    )
    rows = got.json()["rows"]
    assert len(rows) == 7 and rows[-1]["key"] == today.isoformat()
    assert [r["downloads"] for r in rows] == [0, 0, 0, 5, 0, 0, 3]
    assert rows[3]["renders"] == 5
    weeks = await world.get(
        "editor", URL, params={"group": "week", "from": "2026-01-05", "to": "2026-01-18"}
    )
    assert [r["key"] for r in weeks.json()["rows"]] == ["2026-01-05", "2026-01-12"]


async def test_a_library_admin_sees_only_their_own_library(world: World) -> None:
    got = await world.get("york-admin", URL, params={"group": "library"})
    assert got.status_code == 200
    assert [(r["key"], r["downloads"]) for r in got.json()["rows"]] == [("york", 1)]
    assert got.json()["library_only"] is True
    assets = await world.get("kent-admin", URL, params={"group": "asset"})
    assert assets.json()["rows"] == []


@pytest.mark.parametrize("who", ["leeds-member", None])
async def test_members_and_visitors_are_refused(world: World, who: str | None) -> None:
    got = await world.get(who or "nobody", URL)
    assert got.status_code == (403 if who else 401)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"group": "colour"}, "group must be one of library, asset, preset, day"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from (2026-05-02) is after to (2026-05-01)"),
        ({"from": "1999-12-31"}, "from must be between 2020-01-01"),
        ({"to": "2999-01-01"}, "to must be between"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "at most 1098 days"),
        ({"from": "yesterday"}, "from must be a date like 2026-11-28"),
        ({"campaign": "no-such-campaign"}, "There is no campaign 'no-such-campaign'"),
        ({"colour": "red"}, "Unknown parameter(s): colour"),
    ],
)
async def test_bad_input_gets_a_400_saying_what_is_wrong(
    world: World, params: dict[str, str], message: str
) -> None:
    got = await world.get("editor", URL, params=params)
    assert got.status_code == 400
    assert message in got.json()["error"]


async def test_long_ranges_read_whole_weeks_and_the_days_either_side(world: World) -> None:
    # Wednesday 7 Jan, Monday 12 Jan, Sunday 18 Jan, Tuesday 20 Jan 2026.
    for day, n in (
        ("2026-01-07", 1),
        ("2026-01-12", 10),
        ("2026-01-18", 100),
        ("2026-01-20", 1000),
    ):
        await world.roll_up(date.fromisoformat(day), "kent", n)
    for start, end, expected in (
        ("2026-01-06", "2026-01-20", 1111),  # part week, a whole week, part week
        ("2026-01-12", "2026-01-18", 110),  # exactly one week
        ("2026-01-13", "2026-01-19", 100),  # no whole week
        ("2026-01-08", "2026-01-19", 110),
    ):
        got = await world.get("editor", URL, params={"from": start, "to": end, "group": "library"})
        assert [(r["key"], r["downloads"]) for r in got.json()["rows"]] == [("kent", expected)], (
            start,
            end,
        )
        by_day = await world.get("editor", URL, params={"from": start, "to": end, "group": "day"})
        assert sum(r["downloads"] for r in by_day.json()["rows"]) == expected
