"""Usage pages: the campaign team's dashboard (/editor/analytics) with a CSV of every table, a
library's own figures (/library/analytics) and the public open data (/open-data and its files).

Filters live in the query string (shared with the API through api.analytics_params); charts
are SVG made on the server (web.charts), each followed by its figures as a table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from assets_hub.api.analytics_params import usage_query_from
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.errors import BadRequest, NotFound
from assets_hub.services import analytics, open_data
from assets_hub.services.analytics import UsageQuery, UsageRow
from assets_hub.web.charts import Chart, bar_chart, time_chart
from assets_hub.web.customise_pages import NO_STORE
from assets_hub.web.library_pages import library_of
from assets_hub.web.templating import templates

# (table key, group, heading): the dashboard's charts in page order.
BREAKDOWNS = (
    ("campaign", "campaign", "Downloads by campaign"),
    ("asset", "asset", "Downloads by asset"),
    ("preset", "preset", "Downloads by size"),
    ("library", "library", "Downloads by library service"),
    ("region", "region", "Downloads by region"),
)
TABLES = ("time", *(key for key, _, _ in BREAKDOWNS), "reach", "takedowns")
WHAT = {"campaign": "campaign", "asset": "asset", "preset": "size", "library": "library service"}
FILTERS = ("campaign", "from", "to", "group")


@dataclass(frozen=True)
class Dashboard:
    query: UsageQuery
    charts: list[Chart]
    not_reached: list[Any]
    libraries: int
    takedowns: list[analytics.TakedownProgress]


def _filters(query: UsageQuery) -> dict[str, str]:
    return {
        "campaign": query.campaign.slug if query.campaign else "",
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "group": query.group,
    }


async def _dashboard(request: Request) -> Dashboard:
    params = request.query_params
    if params.get("group", "") not in ("", "day", "week"):
        raise BadRequest("On the dashboard, group is day or week (every other grouping is shown).")
    query = await usage_query_from(params)
    period = query.group
    memo: dict[Any, analytics.Sums] = {}  # library, region and reach share one scan
    over_time = await analytics.usage(query, memo)
    charts = [
        time_chart(
            "time",
            f"Downloads per {period}",
            over_time,
            analytics.summary(over_time, period),
        )
    ]
    for key, group, heading in BREAKDOWNS:
        rows = await analytics.usage(
            UsageQuery(query.start, query.end, group, query.campaign, query.library_id), memo
        )
        charts.append(bar_chart(key, heading, rows, analytics.summary(rows, WHAT.get(key, key))))
    not_reached, libraries = await analytics.reach(query.campaign, query, memo)
    takedowns = await analytics.takedown_progress(query.campaign)
    return Dashboard(query, charts, not_reached, libraries, takedowns)


@requires(Policy.EDITOR)
async def dashboard(request: Request) -> Response:
    """Downloads and renders over time and by campaign, asset, size, library and region."""
    board = await _dashboard(request)
    filters = _filters(board.query)
    return templates.TemplateResponse(
        request,
        "analytics/dashboard.html",
        {
            "board": board,
            "filters": filters,
            "csv_query": urlencode({k: v for k, v in filters.items() if v}),
            "campaigns": await analytics.campaigns(),
            "total": sum(r.downloads for r in board.charts[0].rows),
            "renders": sum(r.renders for r in board.charts[0].rows),
        },
        headers=NO_STORE,
    )


def _usage_csv(rows: list[UsageRow], first: str) -> list[list[str]]:
    out = [[first, "key", "files as they are", "branded renders", "downloads"]]
    out += [[r.label, r.key, str(r.originals), str(r.renders), str(r.downloads)] for r in rows]
    return out


@requires(Policy.EDITOR)
async def dashboard_csv(request: Request) -> Response:
    """One of the dashboard's tables as CSV, for the same filters."""
    table = request.path_params["table"]
    if table not in TABLES:
        raise NotFound(f"There is no table {table[:30]!r}; the tables are {', '.join(TABLES)}.")
    board = await _dashboard(request)
    if table == "reach":
        lines = [["library service", "slug", "region"]]
        lines += [[lib.name, lib.slug, lib.region] for lib in board.not_reached]
    elif table == "takedowns":
        lines = [["campaign", "notices done", "notices open", "median hours to done"]]
        lines += [
            [
                t.campaign,
                str(t.done),
                str(t.open),
                "" if t.median_hours is None else str(t.median_hours),
            ]
            for t in board.takedowns
        ]
    else:
        chart = next(c for c in board.charts if c.key == table)
        lines = _usage_csv(
            chart.rows, board.query.group if table == "time" else WHAT.get(table, table)
        )
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    name = f"usage-{table}-{board.query.start.isoformat()}-to-{board.query.end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@requires(Policy.SIGNED_IN)
async def library_figures(request: Request) -> Response:
    """A library's own downloads by campaign, and what is new since its staff last looked."""
    library = await library_of(require_principal(request))
    query = await usage_query_from(
        request.query_params, library_id=library.id, default_group="campaign"
    )
    by_campaign = await analytics.usage(
        UsageQuery(query.start, query.end, "campaign", query.campaign, library.id)
    )
    chart = bar_chart(
        "campaign",
        "Your downloads by campaign",
        by_campaign,
        analytics.summary(by_campaign, "campaign"),
    )
    new = await analytics.library_visit(library)
    return templates.TemplateResponse(
        request,
        "analytics/library.html",
        {"library": library, "chart": chart, "query": query, "new": new},
        headers=NO_STORE,
    )


def _open_data(request: Request) -> open_data.OpenData:
    state = request.app.state
    found: open_data.OpenData | None = getattr(state, "open_data", None)
    if found is None:
        settings = request.state.settings
        found = open_data.OpenData(
            Path(settings.tmp_dir) / "open-data", settings.open_data_refresh_s
        )
        state.open_data = found
    return found


_PUBLIC = {"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"}


def _file(built: open_data.Built, kind: str, media_type: str) -> Response:
    describedby = '</open-data/datapackage.json>; rel="describedby"; type="application/json"'
    licence = f'<{open_data.LICENCE["path"]}>; rel="license"'
    parts = built.csv if kind == "csv" else built.json
    return StreamingResponse(
        open_data.stream(parts),
        media_type=media_type,
        headers={
            **_PUBLIC,
            "Link": f"{describedby}, {licence}",
            "Content-Length": str(built.size(kind)),
            "Content-Disposition": f'inline; filename="downloads.{kind}"',
            "Last-Modified": formatdate(built.built_at.timestamp(), usegmt=True),
        },
    )


@requires(Policy.PUBLIC)
async def downloads_csv(request: Request) -> Response:
    """The open data as RFC 4180 CSV (licence and fields in datapackage.json beside it)."""
    built = await _open_data(request).files()
    return _file(built, "csv", "text/csv; charset=utf-8; header=present")


@requires(Policy.PUBLIC)
async def downloads_json(request: Request) -> Response:
    """The open data as JSON, its licence and field descriptions at the top."""
    built = await _open_data(request).files()
    return _file(built, "json", "application/json")


@requires(Policy.PUBLIC)
async def datapackage(request: Request) -> Response:
    """The Frictionless Data Package describing the files."""
    package = open_data.datapackage()
    return JSONResponse(package, headers=_PUBLIC)


@requires(Policy.PUBLIC)
async def open_data_page(request: Request) -> Response:
    """What the open data holds, field by field, its licence and how often it updates."""
    built = await _open_data(request).files()
    return templates.TemplateResponse(
        request,
        "analytics/open_data.html",
        {
            "fields": open_data.FIELDS,
            "licence": open_data.LICENCE,
            "built": built,
            "updates": open_data.UPDATES,
            "description": open_data.DESCRIPTION,
        },
    )
