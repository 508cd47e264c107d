"""Query-string parsing for the usage figures (the analytics API and the dashboard share it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from assets_hub.errors import BadRequest
from assets_hub.services import analytics
from assets_hub.services.analytics import UsageQuery

KNOWN = {"campaign", "from", "to", "group"}


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-11-28, got {raw[:20]!r}.") from None


async def usage_query_from(
    params: Mapping[str, str],
    *,
    library_id: int | None = None,
    default_group: str = "day",
    extra: frozenset[str] = frozenset(),
) -> UsageQuery:
    """A UsageQuery from ``campaign``, ``from``, ``to`` and ``group``; 400 naming the problem.

    ``library_id`` limits the figures to one library (a library admin's own); ``extra`` names
    further parameters the caller reads itself (the dashboard's table choice).
    """
    unknown = sorted(set(params) - KNOWN - extra)
    if unknown:
        raise BadRequest(f"Unknown parameter(s): {', '.join(unknown)[:200]}.")
    return analytics.usage_query(
        start=_date(params, "from"),
        end=_date(params, "to"),
        group=params.get("group", "").strip() or default_group,
        campaign=await analytics.campaign_by_slug(params.get("campaign", "").strip()),
        library_id=library_id,
    )
