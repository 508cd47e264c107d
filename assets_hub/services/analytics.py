"""Usage figures from the daily roll-ups: counted as each download is recorded, read by the
dashboard, the analytics API, a library's own page and the open data (never from raw events).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Sum

from assets_hub.errors import BadRequest
from assets_hub.models import (
    Asset,
    Campaign,
    DownloadDaily,
    DownloadEvent,
    DownloadTotal,
    Library,
    Preset,
    TakedownNotice,
)
from assets_hub.models.analytics import CAMPAIGN_TEAM, NO_CAMPAIGN
from assets_hub.services.visibility import Viewer, utcnow
from assets_hub.settings import Settings

GROUPS = ("library", "asset", "preset", "day", "week", "region", "campaign")
EARLIEST = date(2020, 1, 1)
MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30
NO_REGION = "Region not known"
TEAM_LABEL = "Campaign team"

_UPSERT = (
    "INSERT INTO download_daily (day, campaign_id, asset_id, library_id, preset, branded, count) "
    "VALUES ({marks}, 1) ON CONFLICT (day, campaign_id, asset_id, library_id, preset, branded) "
    "DO UPDATE SET count = download_daily.count + 1"
)
_UPSERT_TOTALS = (
    "INSERT INTO download_total (dimension, day, campaign_id, item, branded, count) "
    "VALUES {rows} ON CONFLICT (dimension, day, campaign_id, item, branded) "
    "DO UPDATE SET count = download_total.count + 1"
)
DIMENSIONS = ("campaign", "asset", "preset", "library")
WEEKLY = "/w"


async def count_download(connection: BaseDBAsyncClient, event: DownloadEvent) -> None:
    """Add one to the event's roll-up and to its four totals, on the event's own transaction
    (all or nothing); two statements whatever the database."""
    asset: Asset = event.asset
    postgres = connection.capabilities.dialect == "postgres"
    day = event.at.astimezone(UTC).date()
    campaign = asset.campaign_id or NO_CAMPAIGN  # type: ignore[attr-defined]
    library = event.library_id or CAMPAIGN_TEAM  # type: ignore[attr-defined]
    values: list[Any] = [
        day if postgres else day.isoformat(),
        campaign,
        asset.id if postgres else str(asset.id),
        library,
        event.preset,
        event.branded,
    ]
    marks = ", ".join(f"${i}" for i in range(1, 7)) if postgres else ", ".join("?" * 6)
    await connection.execute_query(_UPSERT.format(marks=marks), values)
    totals: list[Any] = []
    rows = []
    for dimension, total_day, item in total_keys(day, asset.id, library, event.preset):
        first = len(totals) + 1
        totals += [
            dimension,
            total_day if postgres else total_day.isoformat(),
            campaign,
            item,
            event.branded,
        ]
        marks = ", ".join(f"${i}" for i in range(first, first + 5)) if postgres else "?, ?, ?, ?, ?"
        rows.append(f"({marks}, 1)")
    await connection.execute_query(_UPSERT_TOTALS.format(rows=", ".join(rows)), totals)


def total_keys(
    day: date, asset_id: uuid.UUID | str, library_id: int, preset: str
) -> list[tuple[str, date, str]]:
    """(dimension, day, item) of every total one download adds to: each dimension per day,
    and per week (``dimension/w``, on the week's Monday) so long ranges read a seventh of it."""
    items = {"campaign": "", "asset": str(asset_id), "preset": preset, "library": str(library_id)}
    monday = _week(day)
    return [(d, day, items[d]) for d in DIMENSIONS] + [
        (f"{d}{WEEKLY}", monday, items[d]) for d in DIMENSIONS
    ]


RETENTION_SWEEP_S = 3600.0  # raw events go within an hour of passing the retention period
SWEEP_BATCH = 5000


async def sweep_download_events(retention_days: int) -> int:
    """Delete raw download events older than the retention period, a batch at a time (the
    roll-ups keep the counts). Returns how many went."""
    cutoff = utcnow() - timedelta(days=retention_days)
    removed = 0
    while True:
        ids = (
            await DownloadEvent.filter(at__lt=cutoff)
            .limit(SWEEP_BATCH)
            .values_list("id", flat=True)
        )
        if not ids:
            return removed
        removed += await DownloadEvent.filter(id__in=list(ids)).delete()


def retention_job(settings: Settings) -> tuple[float, Callable[[], Awaitable[int]], str]:
    """run_every's arguments for the retention sweep: interval, job and name."""
    days = settings.download_retention_days
    return RETENTION_SWEEP_S, lambda: sweep_download_events(days), "download-retention"


async def sizes_downloaded_by_library(asset_id: uuid.UUID) -> dict[int, list[str]]:
    """{library id: sizes} of every download of an asset, also those whose raw events the
    retention sweep has deleted (takedown notices must still reach those libraries)."""
    rows = await (
        DownloadDaily.filter(asset_id=asset_id, library_id__gt=CAMPAIGN_TEAM)
        # The model's default ordering is not in the select list: PostgreSQL refuses that
        # with DISTINCT (the expiry sweep failed there on every run).
        .order_by("library_id", "preset")
        .distinct()
        .values_list("library_id", "preset")
    )
    found: dict[int, list[str]] = {}
    for library_id, preset in rows:
        found.setdefault(int(library_id), []).append(str(preset))
    return found


@dataclass(frozen=True)
class UsageQuery:
    """Which downloads to count and how to group them. ``library_id`` limits to one library."""

    start: date
    end: date
    group: str = "day"
    campaign: Campaign | None = None
    library_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def usage_query(
    *,
    start: date | None,
    end: date | None,
    group: str,
    campaign: Campaign | None,
    library_id: int | None = None,
    today: date | None = None,
) -> UsageQuery:
    """A checked query: BadRequest with a message for an unknown group or a bad date range."""
    if group not in GROUPS:
        raise BadRequest(f"group must be one of {', '.join(GROUPS)}; got {group[:30]!r}.")
    today = today or utcnow().date()
    latest = today + timedelta(days=366)
    for name, value in (("from", start), ("to", end)):
        if value is not None and not EARLIEST <= value <= latest:
            raise BadRequest(
                f"{name} must be between {EARLIEST.isoformat()} and {latest.isoformat()}."
            )
    end = end or max(today, start or today)
    start = start or max(EARLIEST, end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise BadRequest(f"from ({start.isoformat()}) is after to ({end.isoformat()}).")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest(f"Ask for at most {MAX_DAYS} days at a time.")
    return UsageQuery(start, end, group, campaign, library_id)


async def campaign_by_slug(slug: str) -> Campaign | None:
    """The campaign named by a filter (None for no filter); BadRequest for one that is unknown."""
    if not slug:
        return None
    campaign = await Campaign.get_or_none(slug=slug[:100])
    if campaign is None:
        raise BadRequest(f"There is no campaign {slug[:100]!r}.")
    return campaign


@dataclass(frozen=True)
class UsageRow:
    """One group's figures: every file handed out, and how many of them were branded renders."""

    key: str
    label: str
    downloads: int
    renders: int

    @property
    def originals(self) -> int:
        return self.downloads - self.renders


# group -> (DownloadTotal dimension, its column) for the whole service's figures, and the
# DownloadDaily column for one library's (a library's rows are few; totals hold no library cut).
_TOTAL_COLUMN = {
    "day": ("campaign", "day"),
    "week": ("campaign", "day"),
    "campaign": ("campaign", "campaign_id"),
    "asset": ("asset", "item"),
    "preset": ("preset", "item"),
    "library": ("library", "item"),
    "region": ("library", "item"),
}
_DAILY_COLUMN = {
    "day": "day",
    "week": "day",
    "campaign": "campaign_id",
    "asset": "asset_id",
    "preset": "preset",
    "library": "library_id",
    "region": "library_id",
}


def _filtered(query: UsageQuery, dimension: str) -> Any:
    rows: Any
    if query.library_id is None:
        rows = DownloadTotal.filter(dimension=dimension)
    else:
        rows = DownloadDaily.filter(library_id=query.library_id)
    rows = rows.filter(day__gte=query.start, day__lte=query.end)
    if query.campaign is not None:
        rows = rows.filter(campaign_id=query.campaign.id)
    return rows


Sums = dict[Any, list[int]]


async def _sums(query: UsageQuery, group: str, memo: dict[Any, Sums] | None = None) -> Sums:
    """{group value: [downloads, renders]} summed over the query's roll-ups. ``memo`` shares
    one scan between groups read from the same column (library and region)."""
    dimension, column = _TOTAL_COLUMN[group]
    memo_key = (query.start, query.end, query.campaign, query.library_id, dimension, column)
    if memo is not None and memo_key in memo:
        return memo[memo_key]
    if query.library_id is not None:
        column = _DAILY_COLUMN[group]
    found: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    spans = [("", query.start, query.end)]
    if query.library_id is None and column != "day":
        spans = _spans(query.start, query.end)
    for suffix, start, end in spans:
        rows += (
            await _filtered(replace(query, start=start, end=end), dimension + suffix)
            .annotate(n=Sum("count"))
            .group_by(column, "branded")
            .values_list(column, "branded", "n")
        )
    as_int = group in ("library", "region") and query.library_id is None
    for value, branded, n in rows:
        value = int(value) if as_int else value
        found[value][0] += int(n or 0)
        if branded:
            found[value][1] += int(n or 0)
    if memo is not None:
        memo[memo_key] = found
    return found


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _spans(start: date, end: date) -> list[tuple[str, date, date]]:
    """The range as (dimension suffix, from, to): whole Monday-to-Sunday weeks from the weekly
    totals (``to`` is then the last week's Monday), the days either side from the daily ones."""
    first = _week(start + timedelta(days=6))  # the first Monday on or after start
    last = _week(end - timedelta(days=6))  # the last Monday whose week ends by end
    if first > last:
        return [("", start, end)]
    spans = [(WEEKLY, first, last)]
    if start < first:
        spans.append(("", start, first - timedelta(days=1)))
    if last + timedelta(days=6) < end:
        spans.append(("", last + timedelta(days=7), end))
    return spans


async def usage(query: UsageQuery, memo: dict[Any, Sums] | None = None) -> list[UsageRow]:
    """The figures grouped as asked: by time oldest first (every period, zeros too), by
    anything else biggest first. Pass one ``memo`` to calls for the same figures."""
    group = query.group
    if group in ("day", "week"):
        sums = await _sums(query, group, memo)
        periods: dict[date, list[int]] = {}
        day = query.start
        while day <= query.end:
            periods.setdefault(_week(day) if group == "week" else day, [0, 0])
            day += timedelta(days=1)
        for value, (n, r) in sums.items():
            value = value if isinstance(value, date) else date.fromisoformat(str(value))
            period = periods[_week(value) if group == "week" else value]
            period[0] += n
            period[1] += r
        return [
            UsageRow(p.isoformat(), _period_label(p, group), n, r)
            for p, (n, r) in sorted(periods.items())
        ]
    sums = await _sums(query, group, memo)
    labels = await _labels(group, sums.keys())
    merged: dict[str, list[Any]] = {}
    for value, (n, r) in sums.items():
        key, label = labels.get(value, (str(value), str(value)))
        entry = merged.setdefault(key, [label, 0, 0])
        entry[1] += n
        entry[2] += r
    rows = [UsageRow(k, label, n, r) for k, (label, n, r) in merged.items()]
    return sorted(rows, key=lambda row: (-row.downloads, row.label))


def _period_label(day: date, group: str) -> str:
    text = f"{day.day} {day:%b %Y}"
    return f"Week of {text}" if group == "week" else text


async def _labels(group: str, values: Iterable[Any]) -> dict[Any, tuple[str, str]]:
    """{roll-up value: (key, label)} for the groups that name something by id."""
    values = list(values)
    if group in ("library", "region"):
        libraries = {lib.id: lib for lib in await Library.filter(id__in=values)}
        out: dict[Any, tuple[str, str]] = {}
        for value in values:
            lib = libraries.get(value)
            if group == "region":
                region = (lib.region if lib else "") or (TEAM_LABEL if not value else NO_REGION)
                out[value] = (region, region)
            elif lib is None:
                out[value] = ("", TEAM_LABEL) if not value else (str(value), "(removed library)")
            else:
                out[value] = (lib.slug, lib.name)
        return out
    if group == "campaign":
        campaigns = {c.id: c for c in await Campaign.filter(id__in=values)}
        return {
            v: (campaigns[v].slug, campaigns[v].name) if v in campaigns else ("", "No campaign")
            for v in values
        }
    if group == "asset":
        titles = dict(await Asset.filter(id__in=values).values_list("id", "title"))
        return {v: (str(v), titles.get(_uuid(v), "(deleted asset)")) for v in values}
    if group == "preset":
        names = {"original": "Original file", "pdf": "PDF", "docx": "Word document"}
        names |= dict(await Preset.all().values_list("key", "name"))
        return {v: (v, names.get(v, v)) for v in values}
    return {}


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" if n == 1 else f"{n:,} {what}s"


def summary(rows: list[UsageRow], what: str) -> str:
    """One sentence saying what a chart shows (its text alternative's headline)."""
    total = sum(r.downloads for r in rows)
    renders = sum(r.renders for r in rows)
    if not total:
        return f"No downloads in this period, so nothing to show by {what}."
    figures = f"{_count(total, 'download')} ({_count(renders, 'branded render')})"
    if what in ("day", "week"):
        peak = max(rows, key=lambda r: r.downloads)
        when = peak.label.replace("Week of", "the week of")
        return (
            f"{figures} over {_count(len(rows), what)}; the busiest {what} was {when} "
            f"with {peak.downloads:,}."
        )
    top = rows[0]
    share = round(100 * top.downloads / total)
    lead = f"{top.label} led with {top.downloads:,} ({share}%)"
    return f"{figures} from {_count(len(rows), what)}; {lead}."


async def reach(
    campaign: Campaign | None, query: UsageQuery, memo: dict[Any, Sums] | None = None
) -> tuple[list[Library], int]:
    """Library services that downloaded nothing of the campaign in the period, and how many
    libraries there are."""
    whole = UsageQuery(query.start, query.end, "library", campaign, query.library_id)
    used = {value for value, (n, _) in (await _sums(whole, "library", memo)).items() if n}
    libraries = await Library.all().order_by("name")
    return [lib for lib in libraries if lib.id not in used], len(libraries)


@dataclass(frozen=True)
class TakedownProgress:
    """Takedown notices of one campaign's assets: how many are done, and how fast."""

    campaign: str
    done: int
    open: int
    median_hours: float | None


async def takedown_progress(campaign: Campaign | None = None) -> list[TakedownProgress]:
    """Per campaign: notices done vs still open, and the median time from notice to done."""
    notices = TakedownNotice.all()
    if campaign is not None:
        notices = notices.filter(asset__campaign_id=campaign.id)
    rows = await notices.values_list("asset__campaign__name", "created_at", "done_at")
    per: dict[str, list[Any]] = defaultdict(lambda: [0, 0, []])
    for name, created, done in rows:
        entry = per[name or "No campaign"]
        if done is None:
            entry[1] += 1
        else:
            entry[0] += 1
            entry[2].append((done - created).total_seconds() / 3600)
    return [
        TakedownProgress(name, done, open_, round(statistics.median(hours), 1) if hours else None)
        for name, (done, open_, hours) in sorted(per.items())
    ]


async def campaigns() -> list[Campaign]:
    return list(await Campaign.all().order_by("name"))


@dataclass(frozen=True)
class NewSince:
    """What appeared since a library's staff last looked at its figures."""

    since: datetime | None
    assets: list[Asset]
    downloads: int


async def library_visit(library: Library) -> NewSince:
    """Published assets and the library's downloads since the last visit; marks this visit."""
    since = library.analytics_seen_at
    assets: list[Asset] = []
    downloads = 0
    if since is not None:
        assets = list(
            await Asset.filter(Viewer().asset_filter(), published_at__gt=since)
            .order_by("-published_at")
            .limit(50)
            .prefetch_related("campaign")
        )
        # Raw events for the exact moment (roll-ups count whole days); kept for the retention
        # period, which is far longer than any gap between visits that matters here.
        downloads = await DownloadEvent.filter(library=library, at__gt=since).count()
    library.analytics_seen_at = utcnow()
    await library.save(update_fields=["analytics_seen_at"])
    return NewSince(since, assets, downloads)
