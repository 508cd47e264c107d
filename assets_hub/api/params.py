"""Query-string parsing for list and search endpoints (shared by the API and the pages)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from starlette.datastructures import QueryParams

from assets_hub.api.operations import Param
from assets_hub.errors import BadRequest
from assets_hub.search.base import FACET_FIELDS, SORTS, SearchQuery
from assets_hub.services.visibility import Viewer

MAX_QUERY_CHARS = 512
MAX_PER_PAGE = 100
MAX_OFFSET = 10_000
MAX_VALUES = 20  # values per filter
MAX_VALUE_CHARS = 100
ORIENTATIONS = ("landscape", "portrait", "square")
_VALUE = {"type": "string", "maxLength": MAX_VALUE_CHARS}
_DAY = {"type": "string", "format": "date", "description": "2026-11-28"}
# The search parameters, declared once: the API's listing operation documents exactly these,
# and search_query_from (API and pages) refuses anything else.
SEARCH_PARAMS = (
    Param("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}, "Words to find (typos tolerated)"),
    Param("kind", _VALUE, "Filter by kind, any of", many=True),
    Param("campaign", _VALUE, "Filter by campaign slug, any of", many=True),
    Param("tag", _VALUE, "Filter by tag, any of", many=True),
    Param("tag_all", _VALUE, "Filter by tag, all of", many=True),
    Param("audience", _VALUE, "Filter by audience, any of", many=True),
    Param("language", _VALUE, "Filter by language tag, any of", many=True),
    Param(
        "orientation", {"type": "string", "enum": list(ORIENTATIONS)}, "Images' shape", many=True
    ),
    Param("status", _VALUE, "Editors: filter by workflow status", many=True),
    Param("created_from", _DAY, "Created on or after this day"),
    Param("created_to", _DAY, "Created on or before this day"),
    Param("published_from", _DAY, "Published on or after this day"),
    Param("published_to", _DAY, "Published on or before this day"),
    Param("facet", {"type": "string", "enum": list(FACET_FIELDS)}, "Facets to count", many=True),
    Param("sort", {"type": "string", "enum": list(SORTS)}, "The order of the hits"),
    Param("page", {"type": "integer", "minimum": 1}, "Page number from 1"),
    Param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Hits a page"),
)
KNOWN = frozenset(p.name for p in SEARCH_PARAMS)


def _int(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw[:20]!r}") from None


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in params.getlist(name) if v.strip()))
    if len(values) > MAX_VALUES:
        raise BadRequest(f"At most {MAX_VALUES} values for {name}.")
    if any(len(v) > MAX_VALUE_CHARS or "\x00" in v for v in values):
        raise BadRequest(f"A {name} value is too long.")
    return values


def _day(params: QueryParams, name: str, *, end: bool) -> int | None:
    raw = params.get(name, "")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-11-28, got {raw[:20]!r}") from None
    moment = datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
    return int(moment.timestamp())


def search_query_from(params: QueryParams, viewer: Viewer, *, per_page: int = 20) -> SearchQuery:
    """A SearchQuery from the query string; 400 naming the first bad parameter."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise BadRequest(f"Unknown parameter(s): {', '.join(unknown)[:200]}.")
    text = params.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"The search text is too long: at most {MAX_QUERY_CHARS} characters.")
    page = _int(params, "page", 1)
    size = _int(params, "per_page", per_page)
    if page < 1:
        raise BadRequest("page must be 1 or more")
    if not 1 <= size <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}")
    if page * size > MAX_OFFSET:
        raise BadRequest(
            f"Only the first {MAX_OFFSET:,} results can be paged through; refine the search."
        )
    sort = params.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    facets = _values(params, "facet") or FACET_FIELDS
    if set(facets) - set(FACET_FIELDS):
        raise BadRequest(f"facet must be one of {', '.join(FACET_FIELDS)}")
    orientations = _values(params, "orientation")
    if set(orientations) - set(ORIENTATIONS):
        raise BadRequest(f"orientation must be one of {', '.join(ORIENTATIONS)}")
    statuses = _values(params, "status")
    if statuses and not viewer.sees_unpublished:
        statuses = ()  # library staff see published items only; the filter changes nothing
    return SearchQuery(
        text=text.replace("\x00", " "),
        kinds=_values(params, "kind"),
        campaigns=_values(params, "campaign"),
        tags=_values(params, "tag"),
        tags_all=_values(params, "tag_all"),
        audiences=_values(params, "audience"),
        languages=_values(params, "language"),
        orientations=orientations,
        statuses=statuses,
        created_from=_day(params, "created_from", end=False),
        created_to=_day(params, "created_to", end=True),
        published_from=_day(params, "published_from", end=False),
        published_to=_day(params, "published_to", end=True),
        visibility=viewer.search_visibility(),
        sort=sort,
        page=page,
        per_page=size,
        facets=facets,
    )
