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

from assets_hub.search.base import SearchDocument, SearchQuery, SearchUnavailable, Visibility
from assets_hub.search.meili import (
    MeilisearchBackend,
    document_json,
    search_body,
    settings_payload,
)
from tests.search.test_meili_translation import RECORDED_RESPONSE

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
    router.get("/tasks/1").mock(return_value=httpx.Response(200, json=task(1, "succeeded")))
    tasks_2 = router.get("/tasks/2").mock(
        side_effect=[
            httpx.Response(200, json=task(2, "processing")),
            httpx.Response(200, json=task(2, "succeeded")),
        ]
    )
    await backend.setup()
    assert get_index.call_count == 1
    assert body_of(create) == {"uid": "assets", "primaryKey": "id"}
    assert create.calls[0].request.headers["authorization"] == f"Bearer {KEY}"
    assert settings.calls[0].request.method == "PATCH"
    assert body_of(settings) == settings_payload()
    assert tasks_2.call_count == 2


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
    assert page.hits[1].highlights == {"title": "<mark>Reading</mark> Well"}


async def test_an_error_answer_raises_search_unavailable(
    backend: MeilisearchBackend, router: respx.MockRouter
) -> None:
    router.post("/indexes/assets/search").mock(
        return_value=httpx.Response(400, json={"code": "invalid_search_filter", "message": "x"})
    )
    with pytest.raises(SearchUnavailable, match="400"):
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
