"""Usage figures as JSON: GET /api/v1/analytics/downloads (the campaign team; a library admin
sees only their own library's downloads)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.analytics_params import usage_query_from
from assets_hub.api.operations import Param, args_of, operation
from assets_hub.api.schemas import json_reply, obj
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.errors import Forbidden
from assets_hub.services import analytics

_DATE = {"type": "string", "format": "date", "maxLength": 10}
_COUNTS = obj(("downloads", "renders"), downloads={"type": "integer"}, renders={"type": "integer"})
_ROW = obj(
    ("key", "label", "downloads", "renders"),
    key={"type": ["string", "integer", "null"]},
    label={"type": "string"},
    downloads={"type": "integer"},
    renders={"type": "integer"},
)
_FIGURES = obj(
    ("from", "to", "group", "campaign", "library_only", "rows", "total"),
    **{
        "from": _DATE,
        "to": _DATE,
        "group": {"type": "string", "enum": list(analytics.GROUPS)},
        "campaign": {"type": ["string", "null"]},
        "library_only": {"type": "boolean"},
        "rows": {"type": "array", "items": _ROW},
        "total": _COUNTS,
    },
)


@requires(Policy.AUDIT)
@operation(
    "Downloads and branded renders, grouped",
    json_reply(200, "Figures from the daily roll-ups", _FIGURES),
    params=[
        Param("campaign", {"type": "string", "maxLength": 100}, "Only this campaign (slug)"),
        Param(
            "from",
            _DATE,
            f"First day, YYYY-MM-DD (default: {analytics.DEFAULT_DAYS} days before to)",
        ),
        Param("to", _DATE, "Last day, YYYY-MM-DD (default: today)"),
        Param(
            "group",
            {"type": "string", "enum": list(analytics.GROUPS)},
            "How to group the figures (default: day)",
        ),
    ],
)
async def downloads(request: Request) -> Response:
    """Downloads and branded renders in a date range, grouped by library, asset, preset,
    day, week, region or campaign. ``?campaign=slug&from=YYYY-MM-DD&to=YYYY-MM-DD&group=``."""
    principal = require_principal(request)
    own = None if principal.is_staff else principal.library_id
    if own is None and not principal.is_staff:
        raise Forbidden("Your account belongs to no library.")
    query = await usage_query_from(args_of(request), library_id=own)
    rows = await analytics.usage(query)
    return JSONResponse(
        {
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "group": query.group,
            "campaign": query.campaign.slug if query.campaign else None,
            "library_only": own is not None,
            "rows": [
                {"key": r.key, "label": r.label, "downloads": r.downloads, "renders": r.renders}
                for r in rows
            ],
            "total": {
                "downloads": sum(r.downloads for r in rows),
                "renders": sum(r.renders for r in rows),
            },
        }
    )
