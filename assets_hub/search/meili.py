"""MeilisearchBackend: the SearchBackend on a Meilisearch server, for several app replicas.

The translation (SearchQuery -> search body, SearchDocument -> JSON, index settings) is a set
of small pure functions, tested without HTTP. Requests go through the SDK's AsyncClient (it
holds the base URL, the API key header and the timeout) but to the documented endpoints
directly: the SDK's ``create_index`` ignores a failed task and its models reshape bodies,
while here every body is exactly what the tests pin and every task is checked.

Injection (SECURITY.md INJ-04): filter values are always quoted and escaped, never pasted
raw; the visibility filter is always added here, server-side, whatever the query says.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchError

from assets_hub.errors import ConfigError
from assets_hub.search.base import (
    Hit,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
    Visibility,
)
from assets_hub.search.embedded import (
    FACET_SIZE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    MAX_WINDOW,
    requested_facets,
    title_sort_key,
)

VARIABLE = "ASSETS_HUB_SEARCH_URL"
DEFAULT_INDEX = "assets"
PRIMARY_KEY = "id"
# SECURITY.md SR-03; Meilisearch itself accepts the same alphabet up to 511 bytes.
DOCUMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")
INDEX_UID = re.compile(r"^[A-Za-z0-9_-]{1,400}$")

# Highlight tags are private-use code points rather than "<mark>": Meilisearch inserts them
# into raw (unescaped) text, so we escape the text ourselves and only then turn these two
# characters into tags. They are stripped from documents on the way in, so they cannot be
# forged by a title.
PRE_TAG = "\ue000"
POST_TAG = "\ue001"
_TAG_SPLIT = re.compile(f"({PRE_TAG}|{POST_TAG})")
_WORD = re.compile(r"\w")

SEARCHABLE = ["title", "tags", "campaign_name", "description", "body"]  # ranking order
FILTERABLE = [
    "kind",
    "campaign",
    "tags",
    "status",
    "embargo_until",
    "expires_at",
    "created_at",
    "published_at",
]
SORTABLE = ["created_at", "downloads", "title_sort"]
SORTS = {
    "newest": ["created_at:desc"],
    "downloads": ["downloads:desc"],
    "title": ["title_sort:asc"],
}
CROP_WORDS = 30


# -- pure translation ------------------------------------------------------------------------


def settings_payload() -> dict[str, Any]:
    """Index settings, applied with PATCH at every start-up (idempotent: same body, no-op)."""
    return {
        "searchableAttributes": list(SEARCHABLE),
        "filterableAttributes": list(FILTERABLE),
        "sortableAttributes": list(SORTABLE),
        "faceting": {"maxValuesPerFacet": FACET_SIZE, "sortFacetValuesBy": {"*": "count"}},
        # Totals are exact up to this many hits (Meilisearch's default is 1,000).
        "pagination": {"maxTotalHits": MAX_WINDOW},
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
    }


def _clean(text: str) -> str:
    return text.replace(PRE_TAG, "").replace(POST_TAG, "")


def check_document_id(doc_id: str) -> str:
    """The id unchanged, or ValueError if Meilisearch (and SR-03) would refuse it."""
    if not DOCUMENT_ID.fullmatch(doc_id):
        raise ValueError(f"search document id {doc_id!r} must match {DOCUMENT_ID.pattern}")
    return doc_id


def document_json(doc: SearchDocument) -> dict[str, Any]:
    """One SearchDocument as the JSON object Meilisearch stores."""
    return {
        "id": check_document_id(doc.id),
        "title": _clean(doc.title),
        "title_sort": title_sort_key(_clean(doc.title)),
        "description": _clean(doc.description),
        "tags": [_clean(t) for t in doc.tags],
        "campaign": doc.campaign,
        "campaign_name": _clean(doc.campaign_name),
        "kind": doc.kind,
        "status": doc.status,
        "created_at": doc.created_at,
        "published_at": doc.published_at,
        "embargo_until": doc.embargo_until,
        "expires_at": doc.expires_at,
        "downloads": doc.downloads,
        "version": doc.version,
        "body": _clean(doc.body),
    }


def quote_filter_value(value: str) -> str:
    """A filter string literal: in double quotes, backslash and double quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _any_of(field: str, values: Sequence[str]) -> str:
    # ``field`` is always one of our constants, never user input.
    return f"{field} IN [{', '.join(quote_filter_value(v) for v in values)}]"


def visibility_filter(visibility: Visibility) -> list[str]:
    """The scope clauses every search carries (SR-06): status, embargo and expiry."""
    clauses: list[str] = []
    if visibility.statuses is not None:
        clauses.append(_any_of("status", sorted(visibility.statuses)))
    if visibility.enforce_time:
        now = int(visibility.now)  # int(): a number, never text, goes into the expression
        clauses.append(f"embargo_until <= {now}")
        clauses.append(f"expires_at > {now}")
    return clauses


def filter_expression(query: SearchQuery) -> str | None:
    """Every filter of the query ANDed, each value quoted and escaped; None when unfiltered."""
    clauses = [
        _any_of(field, values)
        for field, values in (
            ("kind", query.kinds),
            ("campaign", query.campaigns),
            ("tags", query.tags),
        )
        if values
    ]
    clauses.extend(visibility_filter(query.visibility))
    if not clauses:
        return None
    return " AND ".join(f"({c})" for c in clauses)


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The POST /indexes/{uid}/search body for a SearchQuery."""
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    text = query.text[:MAX_QUERY_CHARS]
    body: dict[str, Any] = {
        "q": text,
        # page/hitsPerPage (not offset/limit) makes totalHits exact rather than estimated.
        "page": max(query.page, 1),
        "hitsPerPage": per_page,
        "attributesToRetrieve": ["id", "title", "description"],
        "attributesToHighlight": ["title", "description"],
        "attributesToCrop": ["description"],
        "cropLength": CROP_WORDS,
        "cropMarker": "…",
        "highlightPreTag": PRE_TAG,
        "highlightPostTag": POST_TAG,
        # Every word must match, as in the embedded engine (the default "last" drops words).
        "matchingStrategy": "all",
        "showRankingScore": True,
    }
    expression = filter_expression(query)
    if expression is not None:
        body["filter"] = expression
    facets = requested_facets(query)
    if facets:
        body["facets"] = list(facets)
    sort = query.sort if query.sort in SORTS else "relevance"
    if sort == "relevance" and not _WORD.search(text):
        sort = "newest"  # nothing to rank by: the latest first is the useful order
    if sort != "relevance":
        body["sort"] = list(SORTS[sort])
    return body


def render_highlight(text: str) -> str:
    """Meilisearch's tagged text as HTML: escaped, our private tags turned into balanced marks."""
    out: list[str] = []
    inside = False
    for piece in _TAG_SPLIT.split(text):
        if piece == PRE_TAG:
            if not inside:
                out.append("<mark>")
                inside = True
        elif piece == POST_TAG:
            if inside:
                out.append("</mark>")
                inside = False
        else:
            out.append(html.escape(piece))
    if inside:
        out.append("</mark>")
    return "".join(out)


def parse_search_response(data: dict[str, Any], query: SearchQuery) -> SearchPage:
    """A Meilisearch search response as a SearchPage (facets limited to those requested)."""
    has_words = bool(_WORD.search(query.text[:MAX_QUERY_CHARS]))
    ranked = query.sort == "relevance" and has_words
    hits: list[Hit] = []
    for raw in data.get("hits", []):
        highlights: dict[str, str] = {}
        formatted = raw.get("_formatted") or {}
        if has_words:
            if isinstance(formatted.get("title"), str):
                highlights["title"] = render_highlight(formatted["title"])
            snippet = formatted.get("description")
            if isinstance(snippet, str) and PRE_TAG in snippet:
                highlights["description"] = render_highlight(snippet)
        score = float(raw.get("_rankingScore", 0.0)) if ranked else 0.0
        hits.append(Hit(id=str(raw["id"]), score=score, highlights=highlights))
    total = data.get("totalHits", data.get("estimatedTotalHits", len(hits)))
    distribution = data.get("facetDistribution") or {}
    facets = {
        name: {str(k): int(v) for k, v in (distribution.get(name) or {}).items()}
        for name in requested_facets(query)
    }
    return SearchPage(hits=hits, total=int(total), facets=facets)


def parse_meili_url(url: str) -> tuple[str, str | None, str]:
    """(base URL, API key, index uid) from ``meilisearch+http(s)://HOST:PORT?api_key=&index=``."""
    parts = urlsplit(url)
    if parts.scheme not in ("meilisearch+http", "meilisearch+https"):
        raise ConfigError(VARIABLE, f"expected meilisearch+http(s)://HOST:PORT, got {url!r}")
    if not parts.hostname or "@" in parts.netloc:
        raise ConfigError(VARIABLE, "put the host in the URL and the key in ?api_key=, not user@")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(VARIABLE, f"bad port in {parts.netloc!r}") from exc
    params = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(params) - {"api_key", "index"})
    if unknown:
        raise ConfigError(VARIABLE, f"unknown option(s) {', '.join(unknown)}; use api_key, index")
    if any(len(v) > 1 for v in params.values()):
        raise ConfigError(VARIABLE, "each option may be given once")
    api_key = params["api_key"][0] if "api_key" in params else None
    index = params["index"][0] if "index" in params else DEFAULT_INDEX
    if not INDEX_UID.fullmatch(index):
        raise ConfigError(VARIABLE, f"index name {index!r} must match {INDEX_UID.pattern}")
    scheme = parts.scheme.removeprefix("meilisearch+")
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}", api_key or None, index


# -- the backend -----------------------------------------------------------------------------


class MeilisearchBackend:
    """Meilisearch over HTTP; writes wait for their task and fail loudly if it failed."""

    name = "meilisearch"
    capabilities = frozenset({"facets", "highlights", "typo_tolerance", "prefix", "sort"})

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        index_uid: str = DEFAULT_INDEX,
        timeout_s: float = 2.0,
        task_timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url
        self.index_uid = index_uid
        self.task_timeout_s = task_timeout_s
        # The SDK types timeout as int seconds; httpx2 takes floats and SR-05 needs 2.0 s.
        self.client = AsyncClient(base_url, api_key, timeout=timeout_s)  # type: ignore[arg-type]

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 2.0) -> MeilisearchBackend:
        """Build from ``meilisearch+http(s)://HOST:PORT?api_key=KEY&index=NAME``."""
        base_url, api_key, index = parse_meili_url(url)
        return cls(base_url, api_key=api_key, index_uid=index, timeout_s=timeout_s)

    # -- HTTP --------------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, body: Any = None, *, allow: tuple[int, ...] = ()
    ) -> tuple[int, Any]:
        try:
            response = await self.client.http_client.request(method, path, json=body)
            status = response.status_code
            data = response.json() if response.content else None
        except (httpx2.HTTPError, MeilisearchError, ValueError) as exc:
            raise SearchUnavailable(f"Meilisearch {method} {path}: {exc}") from exc
        if status >= 400 and status not in allow:
            message = data.get("message") if isinstance(data, dict) else None
            raise SearchUnavailable(f"Meilisearch {method} {path} answered {status}: {message}")
        return status, data

    async def _wait(self, task: Any) -> dict[str, Any]:
        """Poll GET /tasks/{uid} until it succeeded; failed or canceled -> SearchUnavailable."""
        if not isinstance(task, dict) or not isinstance(task.get("taskUid"), int):
            raise SearchUnavailable(f"Meilisearch answered without a task: {task!r}")
        uid = task["taskUid"]
        deadline = time.monotonic() + self.task_timeout_s
        delay = 0.01
        while True:
            _, result = await self._request("GET", f"tasks/{uid}")
            status = result.get("status") if isinstance(result, dict) else None
            if status == "succeeded":
                return dict(result)
            if status in ("failed", "canceled"):
                error = result.get("error") or {}
                raise SearchUnavailable(
                    f"Meilisearch task {uid} {status}: {error.get('code')}: {error.get('message')}"
                )
            if time.monotonic() >= deadline:
                raise SearchUnavailable(f"Meilisearch task {uid} still {status} after waiting")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)

    # -- SearchBackend -----------------------------------------------------------------------

    async def setup(self) -> None:
        """Create the index with primaryKey "id" if missing, then PATCH the settings."""
        status, info = await self._request("GET", f"indexes/{self.index_uid}", allow=(404,))
        if status == 404:
            _, task = await self._request(
                "POST", "indexes", {"uid": self.index_uid, "primaryKey": PRIMARY_KEY}
            )
            try:
                await self._wait(task)
            except SearchUnavailable as exc:
                # Another replica may have created it between our GET and POST.
                if "index_already_exists" not in exc.detail:
                    raise
        elif isinstance(info, dict) and info.get("primaryKey") not in (None, PRIMARY_KEY):
            raise SearchUnavailable(
                f"index {self.index_uid} has primaryKey {info.get('primaryKey')!r}, not 'id'"
            )
        _, task = await self._request(
            "PATCH", f"indexes/{self.index_uid}/settings", settings_payload()
        )
        await self._wait(task)

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """POST the documents (replace by id) and wait until the task succeeded."""
        if not documents:
            return
        body = [document_json(doc) for doc in documents]
        _, task = await self._request(
            "POST", f"indexes/{self.index_uid}/documents?primaryKey={PRIMARY_KEY}", body
        )
        await self._wait(task)

    async def delete(self, ids: Sequence[str]) -> None:
        """POST delete-batch and wait; ids Meilisearch could never hold are skipped."""
        valid = [i for i in ids if DOCUMENT_ID.fullmatch(i)]
        if not valid:
            return
        _, task = await self._request(
            "POST", f"indexes/{self.index_uid}/documents/delete-batch", valid
        )
        await self._wait(task)

    async def search(self, query: SearchQuery) -> SearchPage:
        """One POST /search carrying the query, its filters and the visibility scope."""
        facets = requested_facets(query)
        if query.visibility.statuses is not None and not query.visibility.statuses:
            return SearchPage(hits=[], total=0, facets={f: {} for f in facets})
        _, data = await self._request(
            "POST", f"indexes/{self.index_uid}/search", search_body(query)
        )
        if not isinstance(data, dict):
            raise SearchUnavailable("Meilisearch search answered without a JSON object")
        try:
            return parse_search_response(data, query)
        except (KeyError, TypeError, ValueError) as exc:
            raise SearchUnavailable(f"unexpected Meilisearch search response: {exc}") from exc

    async def count(self) -> int:
        """numberOfDocuments from the index stats."""
        _, stats = await self._request("GET", f"indexes/{self.index_uid}/stats")
        if not isinstance(stats, dict) or not isinstance(stats.get("numberOfDocuments"), int):
            raise SearchUnavailable("Meilisearch stats answered without numberOfDocuments")
        return int(stats["numberOfDocuments"])

    async def ping(self) -> None:
        """GET /health; anything but status "available" is SearchUnavailable."""
        _, health = await self._request("GET", "health")
        if not isinstance(health, dict) or health.get("status") != "available":
            raise SearchUnavailable(f"Meilisearch health: {health!r}")

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self.client.aclose()

    async def drop_index(self) -> None:
        """Delete the whole index (tests and reindex-swap clean-up); missing is fine."""
        status, task = await self._request("DELETE", f"indexes/{self.index_uid}", allow=(404,))
        if status != 404:
            await self._wait(task)
