"""Canary contexts for the usage pages' templates (tests/web/test_templates.py).

Built from the real dataclasses and chart builders, so a change in their shape breaks the
template test rather than slipping past it; the canary is in every text a person wrote
(campaign, asset, library and region names, labels, summaries, headings).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from assets_hub.services import analytics
from assets_hub.services.analytics import NewSince, TakedownProgress, UsageQuery, UsageRow
from assets_hub.services.open_data import Built
from assets_hub.services.visibility import utcnow
from assets_hub.web.analytics_pages import BREAKDOWNS, Dashboard
from assets_hub.web.charts import Chart, bar_chart, time_chart

# A caller for the chart macro library (test_templates.py's MACROS), with ``c`` the canary:
# the chart is a mapping of Chart's fields, as a caller template can make no dataclass (the
# page contexts below pass real charts through the same macro).
CHART_MACRO_CALLER = (
    '{% from "analytics/_chart.html" import chart_block %}'
    "{{ chart_block({'key': c, 'heading': c, 'svg': c, 'summary': c, 'shown': 1, 'rows': "
    "[{'key': c, 'label': c, 'downloads': 3, 'renders': 1, 'originals': 2}] * 2}, c, "
    "csv_href=c) }}"
)


def canary_chart(canary: str, key: str = "campaign", over_time: bool = False) -> Chart:
    """A real chart whose rows, heading and summary carry the canary."""
    rows = [UsageRow(canary, canary, 5, 2), UsageRow("b", canary, 3, 0)]
    build = time_chart if over_time else bar_chart
    return build(key, canary, rows, analytics.summary(rows, canary))


def analytics_template_contexts(canary: str) -> dict[str, dict[str, Any]]:
    """One context per usage page, the canary in every variable its template uses."""
    campaign = SimpleNamespace(name=canary, slug=canary)
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    query = UsageQuery(start, end, "day", campaign)  # type: ignore[arg-type]
    charts = [canary_chart(canary, "time", over_time=True)] + [
        canary_chart(canary, key) for key, _, _ in BREAKDOWNS
    ]
    library = SimpleNamespace(name=canary, slug=canary, region=canary)
    board = Dashboard(
        query=query,
        charts=charts,
        not_reached=[library],
        libraries=3,
        takedowns=[TakedownProgress(canary, 2, 1, 5.5), TakedownProgress(canary, 0, 1, None)],
    )
    asset = SimpleNamespace(id=canary, title=canary, campaign=campaign)
    built = Built(
        csv=(),
        json=(),
        built_at=utcnow(),
        last_event=None,
        rows=1234,
        past_key=(end, canary),
        past_rows=0,
    )
    return {
        "analytics/dashboard.html": {
            "board": board,
            "filters": {"campaign": canary, "from": canary, "to": canary, "group": canary},
            "csv_query": canary,
            "campaigns": [campaign],
            "total": 8,
            "renders": 2,
        },
        "analytics/library.html": {
            "library": library,
            "chart": canary_chart(canary),
            "query": UsageQuery(start, end, "campaign", None, 7),
            "new": NewSince(utcnow(), [asset], 4),  # type: ignore[list-item]
        },
        "analytics/open_data.html": {
            "fields": ((canary, canary, canary),),
            "licence": {"name": canary, "title": canary, "path": canary},
            "built": built,
            "updates": canary,
            "description": canary,
        },
    }
