"""Usage figures at scale: the dashboard's queries and the open-data files over the daily
roll-ups, beside the same figures computed from the raw download events (a benchmark, not a
test).

Seeds N download events over a year (default 1,000,000): 20 campaigns of 15 assets, each
campaign busy for four weeks; 150 library services in 9 regions, the busier ones more often;
popular assets and sizes downloaded more (Zipf-like), as branches of one service take the same
poster. The roll-ups are built by the same upsert the download path runs, in bulk. Prints p50
and p95 per query both ways, and checks that both ways give the same figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise import connections

from assets_hub import db
from assets_hub.models import Asset, Campaign, Kind, Library, Status
from assets_hub.services import analytics, open_data
from assets_hub.services.analytics import UsageQuery

REGIONS = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
PRESETS = ("instagram-square", "story", "original", "facebook", "x", "a4-poster", "pdf", "web")
GROUPS = ("day", "campaign", "asset", "preset", "library", "region")
YEAR_END = datetime.now(UTC).date()  # the busiest campaign's last days are today's rows


def insert_sql(table: str, columns: str, postgres: bool) -> str:
    """A plain many-row INSERT (the names are this script's own)."""
    n = len(columns.split(","))
    marks = ", ".join(f"${i}" for i in range(1, n + 1)) if postgres else ", ".join("?" * n)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def seed(n: int, rng: random.Random) -> tuple[list[Campaign], int, int]:
    """Libraries, campaigns and assets, then n raw events and their roll-ups (bulk)."""
    libraries = [
        Library(name=f"Library service {i}", slug=f"service-{i}", region=REGIONS[i % 9])
        for i in range(150)
    ]
    await Library.bulk_create(libraries)
    libraries = list(await Library.all().order_by("id"))
    campaigns = []
    for i in range(20):
        campaigns.append(await Campaign.create(slug=f"campaign-{i}", name=f"Campaign {i}"))
    assets: list[list[Asset]] = []
    for campaign in campaigns:
        batch = [
            Asset(
                id=uuid.uuid4(),
                title=f"{campaign.name} poster {j}",
                kind=Kind.IMAGE,
                status=Status.PUBLISHED,
                campaign=campaign,
            )
            for j in range(15)
        ]
        await Asset.bulk_create(batch)
        assets.append(batch)
    start = YEAR_END - timedelta(days=364)
    windows = [start + timedelta(days=round(i * 337 / 19)) for i in range(20)]
    lib_weights = [1 / (1 + i) ** 0.6 for i in range(150)]
    asset_weights = [1 / (1 + j) ** 1.2 for j in range(15)]
    preset_weights = [1 / (1 + k) ** 1.1 for k in range(len(PRESETS))]
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    insert = insert_sql(
        "download_event", "asset_id, version, library_id, preset, branded, filename, at", postgres
    )
    rollup: Counter[tuple[Any, ...]] = Counter()
    made = 0
    while made < n:
        rows = []
        for _ in range(min(50_000, n - made)):
            c = rng.randrange(20)
            day = windows[c] + timedelta(days=min(27, int(rng.expovariate(1 / 7))))
            asset = rng.choices(assets[c], asset_weights)[0]
            library = rng.choices(libraries, lib_weights)[0]
            preset = rng.choices(PRESETS, preset_weights)[0]
            branded = preset not in ("original", "pdf")
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randrange(86_400)
            )
            rows.append(
                [
                    asset.id if postgres else str(asset.id),
                    1,
                    library.id,
                    preset,
                    branded,
                    "poster.jpg",
                    at if postgres else at.isoformat(sep=" "),
                ]
            )
            rollup[(day, campaigns[c].id, str(asset.id), library.id, preset, branded)] += 1
        await client.execute_many(insert, rows)
        made += len(rows)
    values = [
        [d if postgres else d.isoformat(), c, uuid.UUID(a) if postgres else a, lib, p, b, k]
        for (d, c, a, lib, p, b), k in sorted(rollup.items())
    ]
    sql = insert_sql(
        "download_daily", "day, campaign_id, asset_id, library_id, preset, branded, count", postgres
    )
    for i in range(0, len(values), 50_000):
        await client.execute_many(sql, values[i : i + 50_000])
    totals: Counter[tuple[Any, ...]] = Counter()
    for (d, c, a, lib, p, b), k in rollup.items():
        for dimension, total_day, item in analytics.total_keys(d, a, lib, p):
            totals[(dimension, total_day, c, item, b)] += k
    sql = insert_sql(
        "download_total", "dimension, day, campaign_id, item, branded, count", postgres
    )
    rows_t = [
        [m, d if postgres else d.isoformat(), c, i, b, k] for (m, d, c, i, b), k in totals.items()
    ]
    for i in range(0, len(rows_t), 50_000):
        await client.execute_many(sql, rows_t[i : i + 50_000])
    return campaigns, len(values), len(rows_t)


# The same figures over raw events: what the dashboard would run without roll-ups.
_RAW_COLUMN = {
    "campaign": "a.campaign_id",
    "asset": "e.asset_id",
    "preset": "e.preset",
    "library": "COALESCE(e.library_id, 0)",
    "region": "COALESCE(e.library_id, 0)",
}


async def raw_usage(query: UsageQuery) -> dict[str, int]:
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    day = "(e.at AT TIME ZONE 'UTC')::date" if postgres else "substr(e.at, 1, 10)"
    column = day if query.group == "day" else _RAW_COLUMN[query.group]
    lo = datetime.combine(query.start, datetime.min.time(), UTC)
    hi = datetime.combine(query.end + timedelta(days=1), datetime.min.time(), UTC)
    params: list[Any] = [lo, hi] if postgres else [lo.isoformat(sep=" "), hi.isoformat(sep=" ")]
    where = "e.at >= $1 AND e.at < $2" if postgres else "e.at >= ? AND e.at < ?"
    if query.campaign is not None:
        where += " AND a.campaign_id = " + ("$3" if postgres else "?")
        params.append(query.campaign.id)
    sql = (
        f"SELECT {column} AS k, COUNT(*) AS n FROM download_event e "  # noqa: S608
        f"JOIN asset a ON a.id = e.asset_id WHERE {where} GROUP BY {column}"
    )
    _, rows = await client.execute_query(sql, params)
    return {str(r["k"]): int(r["n"]) for r in rows}


async def rollup_dashboard(query: UsageQuery) -> int:
    """What /editor/analytics reads (web.analytics_pages._dashboard), less the HTML."""
    total = 0
    memo: dict[Any, analytics.Sums] = {}
    for group in GROUPS:
        rows = await analytics.usage(
            UsageQuery(query.start, query.end, group, query.campaign, None), memo
        )
        total += sum(r.downloads for r in rows)
    await analytics.reach(query.campaign, query, memo)
    await analytics.takedown_progress(query.campaign)
    return total


async def raw_dashboard(query: UsageQuery) -> int:
    total = 0
    for group in GROUPS:
        sums = await raw_usage(UsageQuery(query.start, query.end, group, query.campaign, None))
        total += sum(sums.values())
    return total


async def timed(way: Callable[[], Awaitable[Any]], repeats: int) -> tuple[list[float], Any]:
    found = None
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = await way()
        times.append(time.perf_counter() - started)
    return times, found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="download events")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database", default="", help="a database URL (default: a new SQLite)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    database = args.database or f"sqlite://{tmp / 'db.sqlite3'}"
    await db.migrate(database)
    context = await db.open_database(database)
    rng = random.Random(20)
    with db.activate(context):
        started = time.perf_counter()
        campaigns, rollup_rows, total_rows = await seed(args.n, rng)
        print(
            f"{args.n:,} download events, {rollup_rows:,} daily roll-up rows "
            f"({args.n / rollup_rows:.1f} events per row), {total_rows:,} dashboard totals, "
            "seeded in "
            f"{time.perf_counter() - started:.0f} s on {database.split(':')[0]}"
        )
        busy = campaigns[10]
        first = YEAR_END - timedelta(days=364)
        views = {
            "one campaign, 4 weeks": analytics.usage_query(
                start=YEAR_END - timedelta(days=364) + timedelta(days=round(10 * 337 / 19)),
                end=first + timedelta(days=round(10 * 337 / 19) + 27),
                group="day",
                campaign=busy,
                today=YEAR_END,
            ),
            "all campaigns, 30 days": analytics.usage_query(
                start=None, end=YEAR_END, group="day", campaign=None, today=YEAR_END
            ),
            "all campaigns, a year": analytics.usage_query(
                start=first, end=YEAR_END, group="day", campaign=None, today=YEAR_END
            ),
        }
        heading = f"{'roll-ups p50/p95 ms':>22}{'raw events p50/p95 ms':>24}  same figures"
        print(f"\n{'dashboard (6 charts + reach)':34}{heading}")
        for name, view in views.items():
            fast, a = await timed(lambda v=view: rollup_dashboard(v), args.repeats)
            slow, b = await timed(lambda v=view: raw_dashboard(v), max(2, args.repeats // 2))
            ms = [percentile(t, q) * 1000 for t in (fast, slow) for q in (0.5, 0.95)]
            print(
                f"{name:34}{ms[0]:12.0f} /{ms[1]:6.0f}{ms[2]:14.0f} /{ms[3]:6.0f}"
                f"  {'yes' if a == b else f'NO ({a} vs {b})'}"
            )
        one = views["one campaign, 4 weeks"]
        for group in ("library", "preset"):
            q = UsageQuery(one.start, one.end, group, one.campaign, None)
            fast_rows = {r.key: r.downloads for r in await analytics.usage(q)}
            raw = await raw_usage(q)
            assert sum(fast_rows.values()) == sum(raw.values()), group

        out = tmp / "open-data"
        full_times, built = await timed(lambda: open_data.build(out), 2)
        again_times, _ = await timed(lambda: open_data.build(out, built), args.repeats)
        cache = open_data.OpenData(out, refresh_s=60)
        await cache.files()
        served = []
        body = 0
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            files = await cache.files()
            body = 0
            async for chunk in open_data.stream(files.csv):
                body += len(chunk)
            served.append(time.perf_counter() - t0)

        async def raw_open_data() -> int:
            client = connections.get("default")
            postgres = client.capabilities.dialect == "postgres"
            day = "(e.at AT TIME ZONE 'UTC')::date" if postgres else "substr(e.at, 1, 10)"
            sql = (
                f"SELECT {day} AS d, a.campaign_id, e.asset_id, e.library_id, e.preset, "  # noqa: S608
                "e.branded, COUNT(*) AS n FROM download_event e JOIN asset a ON a.id = e.asset_id "
                f"GROUP BY {day}, a.campaign_id, e.asset_id, e.library_id, e.preset, e.branded"
            )
            _, rows = await client.execute_query(sql)
            return len(rows)

        raw_times, raw_rows = await timed(raw_open_data, 1)
        size_mb = files.size("csv") / 2**20
        print(f"\n{'open data':34}{'p50/p95 ms':>22}")
        print(
            f"{'serve downloads.csv (whole file)':34}{percentile(served, 0.5) * 1000:12.0f} /"
            f"{percentile(served, 0.95) * 1000:6.0f}   ({size_mb:.1f} MiB, {files.rows:,} rows)"
        )
        print(
            f"{'rebuild after a download':34}{percentile(again_times, 0.5) * 1000:12.0f} /"
            f"{percentile(again_times, 0.95) * 1000:6.0f}   "
            f"(today's {files.rows - files.past_rows:,} rows; past days' part kept)"
        )
        print(
            f"{'first build of the day (all rows)':34}{percentile(full_times, 0.5) * 1000:12.0f} /"
            f"{percentile(full_times, 0.95) * 1000:6.0f}   (CSV and JSON, written aside)"
        )
        print(
            f"{'same rows grouped from raw events':34}{raw_times[0] * 1000:12.0f}          "
            f"({raw_rows:,} rows; the query alone, no file written)"
        )
        assert raw_rows == files.rows and body == files.size("csv")
    await db.close_database(context)


if __name__ == "__main__":
    asyncio.run(main())
