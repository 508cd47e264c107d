"""MeilisearchBackend: the SearchBackend on a Meilisearch server, for several app replicas.

The translation (SearchQuery -> search body, SearchDocument -> JSON, index settings) lives in
meili_translate as small pure functions, tested without HTTP. Requests go through the SDK's
AsyncClient (it holds the base URL, the API key header and the timeout) but to the documented
endpoints directly: the SDK's ``create_index`` ignores a failed task and its models reshape
bodies, while here every body is exactly what the tests pin and every task is checked.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchError

from assets_hub.errors import ConfigError
from assets_hub.search.analysis import (
    MAX_PER_PAGE,
    facets_of,
    make_analyzer,
    normalise_synonyms,
    validate_query,
)
from assets_hub.search.base import (
    Hit,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
    Visibility,
)
from assets_hub.search.meili_translate import (
    DOCUMENT_ID,
    MAX_PAYLOAD_BYTES,
    POST_TAG,
    PRE_TAG,
    check_document_id,
    document_json,
    effective_statuses,
    encoded_batches,
    facet_bodies,
    filter_expression,
    missing_permissions,
    parse_search_response,
    quote_filter_value,
    rank_similar,
    render_highlight,
    search_body,
    settings_payload,
    similar_body,
    visibility_filter,
)
from assets_hub.search.rebuild import Journal, iterate_batches

_ANALYZER = make_analyzer(for_index=False)
log = logging.getLogger(__name__)

VARIABLE = "ASSETS_HUB_SEARCH_URL"
DEFAULT_INDEX = "assets"
PRIMARY_KEY = "id"
INDEX_UID = re.compile(r"^[A-Za-z0-9_-]{1,400}$")
REBUILD_BATCH = 1_000
VERSIONS_PAGE = 1_000
# Task types whose latest state on the index setup_status reports.
SETUP_TASK_TYPES = "indexCreation,settingsUpdate"
__all__ = [
    "DOCUMENT_ID",
    "POST_TAG",
    "PRE_TAG",
    "MeilisearchBackend",
    "check_document_id",
    "document_json",
    "filter_expression",
    "parse_meili_url",
    "parse_search_response",
    "quote_filter_value",
    "render_highlight",
    "search_body",
    "settings_payload",
    "visibility_filter",
]


def _task_uid(task: Any) -> int:
    if not isinstance(task, dict) or not isinstance(task.get("taskUid"), int):
        raise SearchUnavailable(f"Meilisearch answered without a task: {task!r}")
    return int(task["taskUid"])


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


class MeiliError(SearchUnavailable):
    """An error answer or a failed task, with Meilisearch's error ``code`` (kept in the text)."""

    def __init__(self, detail: str, code: str | None) -> None:
        super().__init__(detail)
        self.code = code


def _error_code(data: Any) -> str | None:
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


# -- the backend -----------------------------------------------------------------------------


class MeilisearchBackend:
    """Meilisearch over HTTP; writes wait for their task and fail loudly if it failed."""

    name = "meilisearch"
    capabilities = frozenset(
        {
            "facets",
            "highlights",
            "typo_tolerance",
            "prefix",
            "sort",
            "synonyms",
            "similar",
            "suggestions",
            "rebuild",
        }
    )

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
        self._journal: Journal | None = None
        self.setup_tasks: list[int] = []
        self.max_payload_bytes = MAX_PAYLOAD_BYTES

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 2.0) -> MeilisearchBackend:
        """Build from ``meilisearch+http(s)://HOST:PORT?api_key=KEY&index=NAME``."""
        base_url, api_key, index = parse_meili_url(url)
        return cls(base_url, api_key=api_key, index_uid=index, timeout_s=timeout_s)

    # -- HTTP --------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        allow: tuple[int, ...] = (),
        encoded: bytes | None = None,
    ) -> tuple[int, Any]:
        """One request; an error answer raises MeiliError with Meilisearch's code and message.

        ``encoded`` is a body already serialised to JSON (sent as is: its size was checked).
        """
        try:
            if encoded is not None:
                headers = {"Content-Type": "application/json"}
                response = await self.client.http_client.request(
                    method, path, content=encoded, headers=headers
                )
            else:
                response = await self.client.http_client.request(method, path, json=body)
            status = response.status_code
            data = response.json() if response.content else None
        except (httpx2.HTTPError, MeilisearchError, ValueError) as exc:
            raise SearchUnavailable(f"Meilisearch {method} {path}: {exc}") from exc
        if status >= 400 and status not in allow:
            message = data.get("message") if isinstance(data, dict) else None
            code = _error_code(data)
            raise MeiliError(
                f"Meilisearch {method} {path} answered {status}: {code}: {message}", code
            )
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
                raise MeiliError(
                    f"Meilisearch task {uid} {status}: {error.get('code')}: {error.get('message')}",
                    _error_code(error),
                )
            if time.monotonic() >= deadline:
                raise SearchUnavailable(f"Meilisearch task {uid} still {status} after waiting")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)

    # -- SearchBackend -----------------------------------------------------------------------

    async def _ensure_index(self, uid: str, *, wait: bool = True) -> list[int]:
        """Create ``uid`` with primaryKey "id" if missing, then PATCH the settings.

        With ``wait`` each task is waited for; without, the enqueued task uids are returned
        (Meilisearch runs an index's tasks in order, so later writes still see the settings).
        """
        status, info = await self._request("GET", f"indexes/{uid}", allow=(404,))
        enqueued: list[int] = []
        if status == 404:
            _, task = await self._request(
                "POST", "indexes", {"uid": uid, "primaryKey": PRIMARY_KEY}
            )
            if not wait:
                enqueued.append(_task_uid(task))
            else:
                try:
                    await self._wait(task)
                except MeiliError as exc:
                    # Another replica may have created it between our GET and POST.
                    if exc.code != "index_already_exists":
                        raise
        elif isinstance(info, dict) and info.get("primaryKey") not in (None, PRIMARY_KEY):
            raise SearchUnavailable(
                f"index {uid} has primaryKey {info.get('primaryKey')!r}, not 'id'"
            )
        _, task = await self._request("PATCH", f"indexes/{uid}/settings", settings_payload())
        if wait:
            await self._wait(task)
        else:
            enqueued.append(_task_uid(task))
        return enqueued

    async def _add(self, uid: str, documents: Sequence[SearchDocument]) -> None:
        """POST the documents in bodies of at most MAX_PAYLOAD_BYTES, waiting for each task."""
        path = f"indexes/{uid}/documents?primaryKey={PRIMARY_KEY}"
        for encoded in encoded_batches(
            [document_json(doc) for doc in documents], self.max_payload_bytes
        ):
            _, task = await self._request("POST", path, encoded=encoded)
            await self._wait(task)

    async def _remove(self, uid: str, ids: Sequence[str]) -> None:
        valid = [i for i in ids if DOCUMENT_ID.fullmatch(i)]
        if valid:
            _, task = await self._request("POST", f"indexes/{uid}/documents/delete-batch", valid)
            await self._wait(task)

    # -- SearchBackend -----------------------------------------------------------------------

    async def setup(self, *, wait: bool = False) -> None:
        """Enqueue the index creation (if missing) and the settings PATCH, and return.

        Not waited for (unless ``wait``, for tests and tools): behind a long reindex the
        tasks can sit in Meilisearch's queue for minutes, and a replica failing its start-up
        over that would crash-loop (queueing one more settings task per restart).
        ``setup_status`` reports them until they ran.
        """
        if wait:
            await self._ensure_index(self.index_uid)
            return
        self.setup_tasks = await self._ensure_index(self.index_uid, wait=False)
        log.info(
            "Meilisearch index %s: setup tasks %s enqueued, not waited for",
            self.index_uid,
            ", ".join(map(str, self.setup_tasks)),
        )

    async def setup_status(self) -> str | None:
        """None once the index's latest creation/settings task succeeded; text while pending.

        Stateless (asks ``GET /tasks`` for the newest such task of the index), so ``assets-hub
        check`` can report it too. A failed or canceled one raises MeiliError with its code.
        """
        path = f"tasks?indexUids={self.index_uid}&types={SETUP_TASK_TYPES}&limit=1"
        _, data = await self._request("GET", path)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise SearchUnavailable("Meilisearch GET /tasks answered without results")
        if not results:
            return None
        task = results[0]
        status = task.get("status")
        if status in ("enqueued", "processing"):
            return (
                f"{task.get('type')} task {task.get('uid')} {status} (searches use the previous "
                "settings until Meilisearch reaches it)"
            )
        if status in ("failed", "canceled"):
            error = task.get("error") or {}
            raise MeiliError(
                f"Meilisearch {task.get('type')} task {task.get('uid')} {status}: "
                f"{error.get('code')}: {error.get('message')}",
                _error_code(error),
            )
        return None

    async def key_problems(self) -> list[str]:
        """What the configured API key may not do that search and rebuild need ([] = fine).

        Reads the key's actions and indexes with ``GET /keys/{key}``. Meilisearch gives that
        route only to keys holding ``keys.get`` on every index, which a well-scoped key does
        not: then the read-only actions are probed instead and the rest is said unchecked.
        """
        if self.client.http_client.headers.get("Authorization") is None:
            return []  # no key: fine only on a server without a master key (ping tells)
        key = self.client.http_client.headers["Authorization"].removeprefix("Bearer ")
        try:
            status, view = await self._request("GET", f"keys/{key}", allow=(401, 403, 404))
        except SearchUnavailable as exc:  # the path holds the key: never let it into a message
            raise SearchUnavailable(exc.detail.replace(key, "{key}")) from None
        if status == 200 and isinstance(view, dict):
            return missing_permissions(view, self.index_uid)
        if status == 404 or _error_code(view) == "missing_master_key":
            return []  # the master key (not a stored key), or no master key: allowed anything
        problems = [
            "cannot read its own actions (GET /keys/{key} needs keys.get on all indexes); "
            "probed reads only: documents.add/delete, indexes.create/delete/swap and "
            "settings.update are unchecked"
        ]
        uid = self.index_uid
        probes = (
            ("search", "POST", f"indexes/{uid}/search", {"q": "", "limit": 0}),
            ("documents.get", "POST", f"indexes/{uid}/documents/fetch", {"limit": 0}),
            ("indexes.get", "GET", f"indexes/{uid}", None),
            ("settings.get", "GET", f"indexes/{uid}/settings", None),
            ("stats.get", "GET", f"indexes/{uid}/stats", None),
            ("tasks.get", "GET", f"tasks?indexUids={uid}&limit=1", None),
        )
        for action, method, path, body in probes:
            answer, _ = await self._request(method, path, body, allow=(403, 404))
            if answer == 403:
                problems.append(f"lacks {action} on {uid}")
        return problems

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """POST the documents (replace by id) and wait until the task succeeded."""
        if not documents:
            return
        await self._add(self.index_uid, documents)
        if self._journal is not None:  # a rebuild is running: it replays this before the swap
            self._journal.upserted(documents)

    async def delete(self, ids: Sequence[str]) -> None:
        """POST delete-batch and wait; ids Meilisearch could never hold are skipped."""
        await self._remove(self.index_uid, ids)
        if self._journal is not None:
            self._journal.deleted(ids)

    async def search(self, query: SearchQuery) -> SearchPage:
        """POST /search with the query, its filters and the visibility scope.

        When a facet's own filter is active, the main search and one count-only search per
        such facet (without its filter) go together in one POST /multi-search.
        """
        validate_query(query)
        statuses = effective_statuses(query)
        if statuses is not None and not statuses:
            return SearchPage(hits=[], total=0, facets={f: {} for f in facets_of(query)})
        main = search_body(query)
        extra = facet_bodies(query)
        if not extra:
            _, data = await self._request("POST", f"indexes/{self.index_uid}/search", main)
            extra_data: dict[str, dict[str, Any]] = {}
        else:
            queries = [{"indexUid": self.index_uid, **main}]
            queries += [{"indexUid": self.index_uid, **body} for _facet, body in extra]
            _, answer = await self._request("POST", "multi-search", {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(queries):
                raise SearchUnavailable("Meilisearch multi-search answered without results")
            data = results[0]
            extra_data = {facet: results[i + 1] for i, (facet, _b) in enumerate(extra)}
        if not isinstance(data, dict):
            raise SearchUnavailable("Meilisearch search answered without a JSON object")
        try:
            return parse_search_response(data, query, extra_data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SearchUnavailable(f"unexpected Meilisearch search response: {exc}") from exc

    async def similar(self, document_id: str, visibility: Visibility, limit: int = 6) -> list[Hit]:
        """Visible documents sharing tags, campaign or audience with ``document_id``.

        Best-effort equivalent of the embedded ranking: up to 100 newest candidates sharing
        any value are fetched with one filter search, then scored here the same way (3 per
        shared tag, 2 for the campaign, 1 per shared audience; ties newest first).
        """
        if not 1 <= limit <= MAX_PER_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PER_PAGE}, got {limit}")
        if not DOCUMENT_ID.fullmatch(document_id):
            return []
        if visibility.statuses is not None and not visibility.statuses:
            return []
        scope = [f"id = {quote_filter_value(document_id)}", *visibility_filter(visibility)]
        source_query = {
            "q": "",
            "filter": " AND ".join(f"({c})" for c in scope),
            "limit": 1,
            "attributesToRetrieve": ["id", "tags", "campaign", "audience"],
        }
        _, found = await self._request("POST", f"indexes/{self.index_uid}/search", source_query)
        hits = found.get("hits") if isinstance(found, dict) else None
        if not hits:
            return []
        source = hits[0]
        values = {
            "tags": [str(t) for t in source.get("tags") or []],
            "campaign": [str(source.get("campaign") or "")],
            "audience": [str(a) for a in source.get("audience") or []],
        }
        body = similar_body(document_id, values, visibility)
        if body is None:
            return []
        _, data = await self._request("POST", f"indexes/{self.index_uid}/search", body)
        candidates = data.get("hits") if isinstance(data, dict) else None
        if not isinstance(candidates, list):
            raise SearchUnavailable("Meilisearch search answered without hits")
        return rank_similar(values, candidates, limit)

    async def set_synonyms(self, synonyms: dict[str, list[str]]) -> None:
        """PUT the synonyms setting (one-way, as given) and wait for the task."""
        normalise_synonyms(synonyms, _ANALYZER)  # the same ValueError as embedded, first
        body = {key: list(targets) for key, targets in synonyms.items()}
        _, task = await self._request("PUT", f"indexes/{self.index_uid}/settings/synonyms", body)
        await self._wait(task)

    async def rebuild(
        self,
        documents: AsyncIterator[SearchDocument] | Iterable[SearchDocument],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Fill a temporary index, swap it with the live one (POST /swap-indexes), drop it.

        Searches keep using the live index until the swap, which Meilisearch applies
        atomically. Writes made through this backend meanwhile are replayed on the new index
        first; writes from other replicas in that window are repaired by reconciliation
        (``document_versions``, SR-04).
        """
        if self._journal is not None:
            raise RuntimeError("a rebuild of this search index is already running")
        await self._ensure_index(self.index_uid)
        temporary = f"{self.index_uid[:380]}_rebuild_{uuid.uuid4().hex[:12]}"
        self._journal = journal = Journal()
        try:
            await self._ensure_index(temporary)
            _, synonyms = await self._request("GET", f"indexes/{self.index_uid}/settings/synonyms")
            if isinstance(synonyms, dict) and synonyms:
                _, task = await self._request(
                    "PUT", f"indexes/{temporary}/settings/synonyms", synonyms
                )
                await self._wait(task)
            built: dict[str, int] = {}
            async for batch in iterate_batches(documents, REBUILD_BATCH):
                await self._add(temporary, batch)
                built.update((d.id, d.version) for d in batch)
                if progress is not None:
                    progress(len(built))
            for kind, items in journal.operations(built):
                if kind == "upsert":
                    await self._add(temporary, [d for d in items if isinstance(d, SearchDocument)])
                else:
                    await self._remove(temporary, [i for i in items if isinstance(i, str)])
            _, task = await self._request(
                "POST", "swap-indexes", [{"indexes": [self.index_uid, temporary]}]
            )
            await self._wait(task)
            self._journal = None
        except BaseException:
            self._journal = None
            try:
                await self._drop(temporary)
            except SearchUnavailable as cleanup:  # never hide the error that stopped the build
                log.warning("Meilisearch index %s left behind: %s", temporary, cleanup.detail)
            raise
        await self._drop(temporary)  # now holds the old documents
        return await self.count()

    async def document_versions(self) -> dict[str, int]:
        """Every id with its version, paged through POST /documents/fetch (SR-04)."""
        versions: dict[str, int] = {}
        offset = 0
        while True:
            body = {"fields": ["id", "version"], "limit": VERSIONS_PAGE, "offset": offset}
            _, data = await self._request("POST", f"indexes/{self.index_uid}/documents/fetch", body)
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise SearchUnavailable("Meilisearch documents/fetch answered without results")
            for raw in results:
                versions[str(raw["id"])] = int(raw.get("version") or 0)
            if len(results) < VERSIONS_PAGE:
                return versions
            offset += VERSIONS_PAGE

    async def version_digest(self) -> None:
        """None: Meilisearch has no sum aggregation, so reconciliation always compares ids."""
        return None

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

    async def housekeeping(self, requeue: Callable[[list[str]], Awaitable[None]]) -> None:
        """Nothing to do: Meilisearch has no local writer to hand an index to."""

    async def release_writer(self) -> None:
        """Nothing to release: Meilisearch has no local writer."""

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self.client.aclose()

    async def _drop(self, uid: str) -> None:
        # Meilisearch answers 202 even for a missing index; the task then fails with
        # index_not_found (routes/indexes/mod.rs, tests/index/delete_index.rs): that is done.
        status, task = await self._request("DELETE", f"indexes/{uid}", allow=(404,))
        if status == 404:
            return
        try:
            await self._wait(task)
        except MeiliError as exc:
            if exc.code != "index_not_found":
                raise

    async def drop_index(self) -> None:
        """Delete the whole index (tests and clean-up); missing is fine."""
        await self._drop(self.index_uid)
