"""Query-string parsing for list and search endpoints (shared by the API and the pages)."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from assets_hub.errors import BadRequest
from assets_hub.search.base import SORTS, SearchQuery
from assets_hub.services.visibility import Viewer

MAX_QUERY_CHARS = 512
MAX_PER_PAGE = 100
MAX_OFFSET = 10_000


def _int(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw[:20]!r}") from None


def search_query_from(params: QueryParams, viewer: Viewer, *, per_page: int = 20) -> SearchQuery:
    """A SearchQuery from ?q=&kind=&campaign=&tag=&sort=&page=&per_page=; 400 on bad values."""
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
    return SearchQuery(
        text=text.replace("\x00", " "),
        kinds=tuple(v for v in params.getlist("kind") if v),
        campaigns=tuple(v for v in params.getlist("campaign") if v),
        tags=tuple(v for v in params.getlist("tag") if v),
        visibility=viewer.search_visibility(),
        sort=sort,
        page=page,
        per_page=size,
        facets=("kind", "campaign", "tags"),
    )
