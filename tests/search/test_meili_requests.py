"""The exact HTTP requests MeilisearchBackend sends, and how it reads answers (respx mocks).

The SDK's AsyncClient runs on httpx2, which respx does not patch, so the backend's client is
given a small transport that hands each request to a respx router and converts back.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import pytest
import respx

from assets_hub.checks import run_checks
from assets_hub.search.base import SearchDocument, SearchQuery, SearchUnavailable, Visibility
from assets_hub.search.meili import (
    MeilisearchBackend,
    document_json,
    search_body,
    settings_payload,
)
from assets_hub.settings import Settings
from tests.conftest import http_state
from tests.search.test_meili_translation import RECORDED_RESPONSE, SCOPED_KEY

BASE = "http://meili.test:7700"
KEY = "test-master-key"
DOC = SearchDocument(id="0b7f3c2e-5d1a-4c1e-9a57-1f0e2d3c4b5a", title="Summer poster")


class RespxBridge(httpx2.AsyncBaseTransport):
    """An httpx2 transport answering from a respx router (httpx requests/responses)."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        content = await request.aread()
        mirrored = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=content,
        )
        try:
            answer = await self.router.async_handler(mirrored)
        except httpx.ConnectError as exc:
            raise httpx2.ConnectError(str(exc), request=request) from exc
        return httpx2.Response(
            answer.status_code,
            headers=list(answer.headers.multi_items()),
            content=answer.content,
            request=request,
        )


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(base_url=BASE, assert_all_called=False)


@pytest.fixture
async def backend(router: respx.MockRouter) -> AsyncIterator[MeilisearchBackend]:
    backend = MeilisearchBackend.from_url(
        f"meilisearch+http://meili.test:7700?api_key={KEY}&index=assets", timeout_s=2.0
    )
    original = backend.client.http_client
    backend.client.http_client = httpx2.AsyncClient(
        base_url=BASE, headers=original.headers, transport=RespxBridge(router)
    )
    await original.aclose()
    yield backend
    await backend.aclose()


def task(uid: int, status: str = "enqueued", **extra: Any) -> dict[str, Any]:
    return {
        "taskUid": uid,
        "uid": uid,
        "indexUid": "assets",
        "status": status,
        "type": "documentAdditionOrUpdate",
        "enqueuedAt": "2026-11-28T13:00:00Z",
        **extra,
    }


def body_of(route: respx.Route, call: int = -1) -> Any:
    return json.loads(route.calls[call].request.content)


async def test_setup_creates_the_index_with_a_primary_key_then_patches_settings(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    get_index = router.get("/indexes/assets").mock(
        return_value=httpx.Response(404, json={"code": "index_not_found", "message": "nope"})
    )
    create = router.post("/indexes").mock(return_value=httpx.Response(202, json=task(1)))
    settings = router.patch("/indexes/assets/settings").mock(
        return_value=httpx.Response(202, json=task(2))
    )
    polls = router.get(path__startswith="/tasks")
    await backend.setup()
    assert get_index.call_count == 1
    assert body_of(create) == {"uid": "assets", "primaryKey": "id"}
    assert create.calls[0].request.headers["authorization"] == f"Bearer {KEY}"
    assert settings.calls[0].request.method == "PATCH"
    assert body_of(settings) == settings_payload()
    assert polls.call_count == 0  # enqueued, not waited for (issue 21, mismatch 7)
    assert backend.setup_tasks == [1, 2]


async def test_setup_on_an_existing_index_only_patches_settings(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.get("/indexes/assets").mock(
        return_value=httpx.Response(200, json={"uid": "assets", "primaryKey": "id"})
    )
    create = router.post("/indexes")
    router.patch("/indexes/assets/settings").mock(return_value=httpx.Response(202, json=task(3)))
    router.get("/tasks/3").mock(return_value=httpx.Response(200, json=task(3, "succeeded")))
    await backend.setup()
    assert create.call_count == 0


async def test_setup_refuses_an_index_with_another_primary_key(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.get("/indexes/assets").mock(
        return_value=httpx.Response(200, json={"uid": "assets", "primaryKey": "uuid"})
    )
    with pytest.raises(SearchUnavailable, match="primaryKey"):
        await backend.setup()


async def test_upsert_posts_documents_and_waits_for_the_task(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    add = router.post("/indexes/assets/documents", params={"primaryKey": "id"}).mock(
        return_value=httpx.Response(202, json=task(7))
    )
    poll = router.get("/tasks/7").mock(
        side_effect=[
            httpx.Response(200, json=task(7, "enqueued")),
            httpx.Response(200, json=task(7, "processing")),
            httpx.Response(200, json=task(7, "succeeded")),
        ]
    )
    await backend.upsert([DOC])
    assert body_of(add) == [document_json(DOC)]
    assert poll.call_count == 3


async def test_a_failed_task_raises_search_unavailable(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.post("/indexes/assets/documents").mock(return_value=httpx.Response(202, json=task(8)))
    error = {"code": "invalid_document_id", "message": "bad id", "type": "invalid_request"}
    router.get("/tasks/8").mock(
        return_value=httpx.Response(200, json=task(8, "failed", error=error))
    )
    with pytest.raises(SearchUnavailable, match="task 8 failed: invalid_document_id"):
        await backend.upsert([DOC])


async def test_delete_posts_a_batch_and_waits(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    delete = router.post("/indexes/assets/documents/delete-batch").mock(
        return_value=httpx.Response(202, json=task(9))
    )
    router.get("/tasks/9").mock(return_value=httpx.Response(200, json=task(9, "succeeded")))
    await backend.delete([DOC.id, "not a valid id"])
    assert body_of(delete) == [DOC.id]
    await backend.delete(["not/valid"])  # nothing Meilisearch could hold: no request
    assert delete.call_count == 1


async def test_search_sends_the_translated_body_and_parses_the_answer(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    route = router.post("/indexes/assets/search").mock(
        return_value=httpx.Response(200, json=RECORDED_RESPONSE)
    )
    query = SearchQuery(
        text="readng", tags=('" OR status = "draft',), visibility=Visibility(now=42)
    )
    page = await backend.search(query)
    sent = body_of(route)
    assert sent == search_body(query)
    assert sent["filter"] == (
        '(tags IN ["\\" OR status = \\"draft"]) AND (status IN ["published"]) AND '
        "(embargo_until <= 42) AND (expires_at > 42)"
    )
    assert [h.id for h in page.hits] == ["a1", "b2"]
    assert page.total == 2
    assert page.facets == {"kind": {"image": 1, "document": 1}, "campaign": {}}
    # The recorded marks cover "Readin" only (a prefix match): extended to the word.
    assert page.hits[1].highlights == {"title": "<mark>Reading</mark> Well"}
    assert page.suggestion == "reading"


async def test_an_error_answer_raises_search_unavailable(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.post("/indexes/assets/search").mock(
        return_value=httpx.Response(400, json={"code": "invalid_search_filter", "message": "x"})
    )
    with pytest.raises(SearchUnavailable, match="400: invalid_search_filter: x"):
        await backend.search(SearchQuery(text="x"))


async def test_a_connection_error_raises_search_unavailable(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.get("/health").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(SearchUnavailable) as caught:
        await backend.ping()
    assert isinstance(caught.value.__cause__, httpx2.ConnectError)


async def test_ping_and_count(backend: MeilisearchBackend, router: respx.MockRouter) -> None:
    router.get("/health").mock(return_value=httpx.Response(200, json={"status": "available"}))
    router.get("/indexes/assets/stats").mock(
        return_value=httpx.Response(200, json={"numberOfDocuments": 12, "isIndexing": False})
    )
    await backend.ping()
    assert await backend.count() == 12


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


async def test_connection_refused_for_real_raises_search_unavailable() -> None:
    backend = MeilisearchBackend.from_url(
        f"meilisearch+http://127.0.0.1:{_closed_port()}?index=assets", timeout_s=1.0
    )
    try:
        for call in (backend.ping(), backend.search(SearchQuery(text="x")), backend.count()):
            with pytest.raises(SearchUnavailable) as caught:
                await call
            assert caught.value.__cause__ is not None
        with pytest.raises(SearchUnavailable):
            await backend.upsert([DOC])
    finally:
        await backend.aclose()


# -- issue 5 additions -------------------------------------------------------------------------


def succeeded(uid: int) -> httpx.Response:
    return httpx.Response(200, json=task(uid, "succeeded"))


async def test_bad_queries_raise_value_error_before_any_request(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    route = router.post("/indexes/assets/search")
    for bad in (SearchQuery(text="x" * 513), SearchQuery(facets=("status",)), SearchQuery(page=0)):
        with pytest.raises(ValueError):
            await backend.search(bad)
    assert route.call_count == 0


async def test_a_facet_with_its_own_filter_goes_through_multi_search(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    query = SearchQuery(
        text="poster", kinds=("image",), facets=("kind", "campaign"), visibility=Visibility(now=7)
    )
    answer = {
        "results": [
            {
                "indexUid": "assets",
                "hits": [{"id": "a1", "_rankingScore": 0.9}],
                "totalHits": 1,
                "facetDistribution": {"campaign": {"src": 1}},
            },
            {
                "indexUid": "assets",
                "hits": [],
                "totalHits": 4,
                "facetDistribution": {"kind": {"image": 1, "logo": 3}},
            },
        ]
    }
    route = router.post("/multi-search").mock(return_value=httpx.Response(200, json=answer))
    page = await backend.search(query)
    scope = '(status IN ["published"]) AND (embargo_until <= 7) AND (expires_at > 7)'
    assert body_of(route) == {
        "queries": [
            {"indexUid": "assets", **search_body(query)},
            {
                "indexUid": "assets",
                "q": "poster",
                "limit": 0,
                "facets": ["kind"],
                "matchingStrategy": "all",
                "filter": scope,
            },
        ]
    }
    assert page.facets == {"kind": {"image": 1, "logo": 3}, "campaign": {"src": 1}}
    assert [h.id for h in page.hits] == ["a1"]


async def test_set_synonyms_puts_the_setting_and_waits(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    put = router.put("/indexes/assets/settings/synonyms").mock(
        return_value=httpx.Response(202, json=task(20))
    )
    router.get("/tasks/20").mock(return_value=succeeded(20))
    synonyms = {"kids": ["children"], "teens": ["young people"]}
    await backend.set_synonyms(synonyms)
    assert body_of(put) == synonyms
    with pytest.raises(ValueError):
        await backend.set_synonyms({"kids": "children"})  # type: ignore[dict-item]
    assert put.call_count == 1


async def test_similar_reads_the_source_then_ranks_candidates(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    source = {"id": "p1", "tags": ["kids"], "campaign": "src", "audience": ["children"]}
    candidates = [
        {"id": "c1", "tags": [], "campaign": "src", "audience": [], "created_at": 3},
        {"id": "c2", "tags": ["kids"], "campaign": "x", "audience": ["children"], "created_at": 1},
    ]
    route = router.post("/indexes/assets/search").mock(
        side_effect=[
            httpx.Response(200, json={"hits": [source]}),
            httpx.Response(200, json={"hits": candidates}),
        ]
    )
    hits = await backend.similar("p1", Visibility(now=7), limit=5)
    scope = '(status IN ["published"]) AND (embargo_until <= 7) AND (expires_at > 7)'
    assert body_of(route, 0) == {
        "q": "",
        "filter": f'(id = "p1") AND {scope}',
        "limit": 1,
        "attributesToRetrieve": ["id", "tags", "campaign", "audience"],
    }
    assert body_of(route, 1)["filter"] == (
        '(tags IN ["kids"] OR campaign IN ["src"] OR audience IN ["children"]) AND '
        f'(id != "p1") AND {scope}'
    )
    assert [(h.id, h.score) for h in hits] == [("c2", 4.0), ("c1", 2.0)]
    assert await backend.similar("not/an id", Visibility(now=7)) == []
    assert route.call_count == 2


async def test_document_versions_pages_through_documents_fetch(
    backend: MeilisearchBackend, router: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assets_hub.search.meili.VERSIONS_PAGE", 2)
    route = router.post("/indexes/assets/documents/fetch").mock(
        side_effect=[
            httpx.Response(200, json={"results": [{"id": "a", "version": 1}, {"id": "b"}]}),
            httpx.Response(200, json={"results": [{"id": "c", "version": 3}]}),
        ]
    )
    assert await backend.document_versions() == {"a": 1, "b": 0, "c": 3}
    assert body_of(route, 0) == {"fields": ["id", "version"], "limit": 2, "offset": 0}
    assert body_of(route, 1) == {"fields": ["id", "version"], "limit": 2, "offset": 2}


async def test_no_version_digest_so_reconciliation_compares_ids(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    assert await backend.version_digest() is None
    assert not router.calls  # asked nothing of the engine


async def test_rebuild_fills_a_temporary_index_swaps_and_drops_it(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    calls: list[tuple[str, str, Any]] = []
    temporary: list[str] = []
    counter = iter(range(100, 200))

    def record(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.content else None
        calls.append((request.method, path, body))
        if request.method == "GET" and path.startswith("/tasks/"):
            return succeeded(int(path.rsplit("/", 1)[1]))
        if request.method == "GET" and path == "/indexes/assets":
            return httpx.Response(200, json={"uid": "assets", "primaryKey": "id"})
        if request.method == "GET" and path.startswith("/indexes/assets_rebuild_"):
            temporary.append(path.rsplit("/", 1)[1])
            return httpx.Response(404, json={"code": "index_not_found"})
        if request.method == "GET" and path.endswith("/settings/synonyms"):
            return httpx.Response(200, json={"kids": ["children"]})
        if request.method == "GET" and path.endswith("/stats"):
            return httpx.Response(200, json={"numberOfDocuments": 1})
        return httpx.Response(202, json=task(next(counter)))

    router.route().mock(side_effect=record)
    progress: list[int] = []
    assert await backend.rebuild([DOC], progress=progress.append) == 1
    tmp = temporary[0]
    without_polls = [(m, p, b) for m, p, b in calls if not p.startswith("/tasks/")]
    assert without_polls == [
        ("GET", "/indexes/assets", None),
        ("PATCH", "/indexes/assets/settings", settings_payload()),
        ("GET", f"/indexes/{tmp}", None),
        ("POST", "/indexes", {"uid": tmp, "primaryKey": "id"}),
        ("PATCH", f"/indexes/{tmp}/settings", settings_payload()),
        ("GET", "/indexes/assets/settings/synonyms", None),
        ("PUT", f"/indexes/{tmp}/settings/synonyms", {"kids": ["children"]}),
        ("POST", f"/indexes/{tmp}/documents", [document_json(DOC)]),
        ("POST", "/swap-indexes", [{"indexes": ["assets", tmp]}]),
        ("DELETE", f"/indexes/{tmp}", None),
        ("GET", "/indexes/assets/stats", None),
    ]
    assert progress == [1]


async def test_a_failed_rebuild_drops_the_temporary_index_and_keeps_the_live_one(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.get("/indexes/assets").mock(
        return_value=httpx.Response(200, json={"uid": "assets", "primaryKey": "id"})
    )
    router.get(path__regex=r"^/indexes/assets_rebuild_\w+$").mock(
        return_value=httpx.Response(200, json={"primaryKey": "id"})
    )
    router.patch(path__regex=r"^/indexes/[\w-]+/settings$").mock(
        return_value=httpx.Response(202, json=task(1))
    )
    router.get("/tasks/1").mock(return_value=succeeded(1))
    router.get("/indexes/assets/settings/synonyms").mock(return_value=httpx.Response(200, json={}))
    router.post(path__regex=r"^/indexes/assets_rebuild_\w+/documents$").mock(
        return_value=httpx.Response(202, json=task(2))
    )
    error = {"code": "invalid_document_id", "message": "bad"}
    router.get("/tasks/2").mock(
        return_value=httpx.Response(200, json=task(2, "failed", error=error))
    )
    drop = router.delete(path__regex=r"^/indexes/assets_rebuild_\w+$").mock(
        return_value=httpx.Response(202, json=task(3))
    )
    router.get("/tasks/3").mock(return_value=succeeded(3))
    swap = router.post("/swap-indexes")
    with pytest.raises(SearchUnavailable, match="invalid_document_id"):
        await backend.rebuild([DOC])
    assert drop.call_count == 1
    assert swap.call_count == 0
    assert backend._journal is None


# -- issue 21: as a real Meilisearch answers ---------------------------------------------------


def task_view(uid: int, status: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A task as GET /tasks lists it (meilisearch-types task_view.rs, TaskView)."""
    return {
        "uid": uid,
        "batchUid": uid,
        "indexUid": "assets",
        "status": status,
        "type": kind,
        "canceledBy": None,
        "details": {},
        "error": None,
        "duration": None,
        "enqueuedAt": "2026-11-28T13:00:00Z",
        "startedAt": None,
        "finishedAt": None,
        **extra,
    }


def task_list(*tasks: dict[str, Any]) -> httpx.Response:
    """GET /tasks (meilisearch/src/routes/tasks.rs, AllTasks), newest first."""
    return httpx.Response(
        200, json={"results": list(tasks), "total": len(tasks), "limit": 1, "from": 2, "next": None}
    )


async def test_setup_status_reports_the_pending_settings_task(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 7: behind a reindex the settings task waits in the queue; start-up goes on
    and /readyz and `check` say so; a failed one raises with Meilisearch's error code."""
    error = {
        "message": "Attribute `x` is not sortable.",
        "code": "invalid_settings_sortable_attributes",
        "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#invalid_settings_sortable_attributes",
    }
    listing = router.get("/tasks").mock(
        side_effect=[
            task_list(task_view(2, "enqueued", "settingsUpdate")),
            task_list(task_view(2, "succeeded", "settingsUpdate")),
            task_list(),
            task_list(task_view(5, "failed", "settingsUpdate", error=error)),
        ]
    )
    assert await backend.setup_status() == (
        "settingsUpdate task 2 enqueued (searches use the previous settings until "
        "Meilisearch reaches it)"
    )
    assert dict(listing.calls[0].request.url.params) == {
        "indexUids": "assets",
        "types": "indexCreation,settingsUpdate",
        "limit": "1",
    }
    assert await backend.setup_status() is None
    assert await backend.setup_status() is None
    with pytest.raises(SearchUnavailable, match="invalid_settings_sortable_attributes"):
        await backend.setup_status()


async def test_totals_are_exact_past_ten_thousand(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 8: Meilisearch answers totalHits = min(candidates, maxTotalHits)
    (meilisearch/src/search/mod.rs, ``number_of_hits``): the fake server below applies the
    maxTotalHits the adapter's settings PATCH set to 25,000 matching documents."""
    applied: dict[str, Any] = {}
    router.get("/indexes/assets").mock(
        return_value=httpx.Response(200, json={"uid": "assets", "primaryKey": "id"})
    )

    def patch(request: httpx.Request) -> httpx.Response:
        applied.update(json.loads(request.content))
        return httpx.Response(202, json=task(3))

    def search(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        max_total = applied.get("pagination", {}).get("maxTotalHits", 1_000)
        total = min(25_000, max_total)
        offset = (sent["page"] - 1) * sent["hitsPerPage"]
        count = max(0, min(sent["hitsPerPage"], total - offset, max_total - offset))
        hits = [{"id": f"d{offset + i}"} for i in range(count)]
        return httpx.Response(200, json={"hits": hits, "totalHits": total, "page": sent["page"]})

    router.patch("/indexes/assets/settings").mock(side_effect=patch)
    router.post("/indexes/assets/search").mock(side_effect=search)
    await backend.setup()
    page = await backend.search(SearchQuery(text="poster", per_page=20))
    assert page.total == 25_000
    assert len(page.hits) == 20
    far = await backend.search(SearchQuery(text="poster", page=200, per_page=100))
    assert far.hits == [] and far.total == 25_000


async def test_rebuild_splits_batches_under_the_payload_limit(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 4: a body over http_payload_size_limit gets 413 payload_too_large
    (meilisearch/src/extractors/payload.rs; "100 MB" by default in option.rs). Here a
    server started with a 1 MB limit, and the adapter's limit set to match."""
    limit = 1_000_000
    backend.max_payload_bytes = limit
    sizes: list[int] = []
    added: list[str] = []
    counter = iter(range(100, 300))

    def record(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.startswith("/tasks/"):
            return succeeded(int(path.rsplit("/", 1)[1]))
        if request.method == "GET" and path == "/indexes/assets":
            return httpx.Response(200, json={"uid": "assets", "primaryKey": "id"})
        if request.method == "GET" and path.startswith("/indexes/assets_rebuild_"):
            return httpx.Response(404, json={"code": "index_not_found"})
        if request.method == "GET" and path.endswith("/settings/synonyms"):
            return httpx.Response(200, json={})
        if request.method == "GET" and path.endswith("/stats"):
            return httpx.Response(200, json={"numberOfDocuments": len(added)})
        if request.method == "POST" and path.endswith("/documents"):
            if len(request.content) > limit:
                return httpx.Response(
                    413,
                    json={
                        "message": "The provided payload reached the size limit. The maximum "
                        "accepted payload size is 1 MB.",
                        "code": "payload_too_large",
                        "type": "invalid_request",
                        "link": "https://docs.meilisearch.com/errors#payload_too_large",
                    },
                )
            sizes.append(len(request.content))
            added.extend(d["id"] for d in json.loads(request.content))
        return httpx.Response(202, json=task(next(counter)))

    router.route().mock(side_effect=record)
    docs = [
        SearchDocument(id=f"doc-{i}", title=f"Report {i}", body="x" * 100_000) for i in range(25)
    ]
    assert await backend.rebuild(docs) == 25
    assert added == [d.id for d in docs]
    assert len(sizes) == 3 and max(sizes) <= limit


async def test_dropping_a_missing_index_is_done(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 5: DELETE /indexes/{uid} answers 202 for a missing index and its task fails
    with index_not_found (meilisearch tests/index/delete_index.rs,
    error_delete_unexisting_index)."""
    router.delete("/indexes/assets").mock(return_value=httpx.Response(202, json=task(11)))
    error = {
        "message": "Index `assets` not found.",
        "code": "index_not_found",
        "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#index_not_found",
    }
    router.get("/tasks/11").mock(
        return_value=httpx.Response(200, json=task(11, "failed", type="indexDeletion", error=error))
    )
    await backend.drop_index()


async def test_a_rebuild_failing_early_raises_its_own_error(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 5 in the rebuild's error path: the temporary index was never created, so
    its DELETE task fails with index_not_found; the error that stopped the build surfaces."""
    router.get("/indexes/assets").mock(
        return_value=httpx.Response(200, json={"uid": "assets", "primaryKey": "id"})
    )
    router.patch("/indexes/assets/settings").mock(return_value=httpx.Response(202, json=task(1)))
    router.get("/tasks/1").mock(return_value=succeeded(1))
    router.get(path__regex=r"^/indexes/assets_rebuild_\w+$").mock(
        return_value=httpx.Response(404, json={"code": "index_not_found"})
    )
    refused = {
        "message": "The provided API key is invalid.",
        "code": "invalid_api_key",
        "type": "auth",
        "link": "https://docs.meilisearch.com/errors#invalid_api_key",
    }
    router.post("/indexes").mock(return_value=httpx.Response(403, json=refused))
    router.delete(path__regex=r"^/indexes/assets_rebuild_\w+$").mock(
        return_value=httpx.Response(202, json=task(2))
    )
    not_found = {"code": "index_not_found", "message": "Index not found.", "type": "x"}
    router.get("/tasks/2").mock(
        return_value=httpx.Response(200, json=task(2, "failed", error=not_found))
    )
    with pytest.raises(SearchUnavailable, match="403: invalid_api_key"):
        await backend.rebuild([DOC])
    assert backend._journal is None


async def test_a_scoped_key_that_can_read_itself_names_what_it_lacks(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 6, GET /keys/{key} (meilisearch/src/routes/api_key.rs, get_api_key)."""
    view = {**SCOPED_KEY, "indexes": ["assets"]}
    view["actions"] = [a for a in view["actions"] if a != "indexes.swap"]
    route = router.get(f"/keys/{KEY}").mock(return_value=httpx.Response(200, json=view))
    assert await backend.key_problems() == [
        "not allowed on index assets_rebuild_* (indexes: ['assets'])",
        "lacks indexes.swap",
    ]
    assert route.call_count == 1


async def test_a_key_that_cannot_read_itself_is_probed_for_reads(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """keys.get cannot be given to an index-scoped key (keys.rs: KeysGet is DenyIndexScope),
    so a well-scoped key gets 403 invalid_api_key (extractors/authentication/error.rs)."""
    refused = {
        "message": "The provided API key is invalid.",
        "code": "invalid_api_key",
        "type": "auth",
        "link": "https://docs.meilisearch.com/errors#invalid_api_key",
    }
    router.get(f"/keys/{KEY}").mock(return_value=httpx.Response(403, json=refused))
    router.post("/indexes/assets/search").mock(return_value=httpx.Response(200, json={"hits": []}))
    router.post("/indexes/assets/documents/fetch").mock(
        return_value=httpx.Response(200, json={"results": []})
    )
    router.get("/indexes/assets").mock(return_value=httpx.Response(200, json={"uid": "assets"}))
    router.get("/indexes/assets/settings").mock(return_value=httpx.Response(200, json={}))
    router.get("/indexes/assets/stats").mock(return_value=httpx.Response(403, json=refused))
    router.get("/tasks").mock(return_value=task_list())
    problems = await backend.key_problems()
    assert problems[0].startswith("cannot read its own actions")
    assert problems[1:] == ["lacks stats.get on assets"]


async def test_the_master_key_has_no_problems(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """The master key is not a stored key: GET /keys/{it} is 404 api_key_not_found."""
    router.get(f"/keys/{KEY}").mock(
        return_value=httpx.Response(
            404, json={"message": "API key not found.", "code": "api_key_not_found"}
        )
    )
    assert await backend.key_problems() == []


async def test_user_quotes_and_minus_are_sent_as_spaces(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 3 (milli search/new/query_term/parse_query.rs): the q Meilisearch receives
    holds no phrase quote and no excluding minus; highlights still follow the user's words."""
    route = router.post("/indexes/assets/search").mock(
        return_value=httpx.Response(200, json=RECORDED_RESPONSE)
    )
    page = await backend.search(SearchQuery(text='"readng -poster', facets=()))
    assert body_of(route)["q"] == " readng  poster"
    assert page.hits[1].highlights == {"title": "<mark>Reading</mark> Well"}


async def test_readyz_notes_a_pending_settings_task_and_fails_on_a_failed_one(
    client: httpx.AsyncClient, backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """Mismatch 7: the app started without waiting for its settings task; /readyz says it is
    pending (still ready: searches use the previous settings) and fails once it failed."""
    state = http_state(client)
    embedded, state.search = state.search, backend
    router.get("/health").mock(return_value=httpx.Response(200, json={"status": "available"}))
    error = {"code": "invalid_settings_ranking_rules", "message": "bad rule", "type": "x"}
    router.get("/tasks").mock(
        side_effect=[
            task_list(task_view(2, "processing", "settingsUpdate")),
            task_list(task_view(2, "failed", "settingsUpdate", error=error)),
        ]
    )
    try:
        ready = await client.get("/readyz")
        failed = await client.get("/readyz")
    finally:
        state.search = embedded
    assert ready.status_code == 200
    assert ready.json()["search_setup"].startswith("settingsUpdate task 2 processing")
    assert failed.status_code == 503
    assert "invalid_settings_ranking_rules" in failed.json()["checks"]["search"]


async def test_check_names_the_missing_action_and_the_pending_task(
    settings: Settings,
    backend: MeilisearchBackend,
    router: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mismatch 6 and 7 in `assets-hub check` (a key that may read itself, GET /keys/{key})."""
    monkeypatch.setattr("assets_hub.checks.open_search", lambda url, timeout_s: backend)
    router.get("/health").mock(return_value=httpx.Response(200, json={"status": "available"}))
    view = {**SCOPED_KEY, "actions": [a for a in SCOPED_KEY["actions"] if a != "indexes.swap"]}
    router.get(f"/keys/{KEY}").mock(return_value=httpx.Response(200, json=view))
    router.get("/tasks").mock(return_value=task_list(task_view(2, "enqueued", "settingsUpdate")))
    lines: list[str] = []
    assert await run_checks(settings, lines.append) is False
    assert "search    API key lacks indexes.swap" in lines
    assert (
        "search    setup settingsUpdate task 2 enqueued (searches use the previous settings "
        "until Meilisearch reaches it)"
    ) in lines


async def test_reading_the_key_never_puts_it_in_a_message(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    """GET /keys/{key} carries the key in its path; an error must not repeat it."""
    router.get(f"/keys/{KEY}").mock(
        return_value=httpx.Response(500, json={"code": "internal", "message": "boom"})
    )
    with pytest.raises(SearchUnavailable) as caught:
        await backend.key_problems()
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert "keys/{key} answered 500: internal: boom" in str(caught.value)
