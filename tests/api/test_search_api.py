"""Search through the API: filters, facets, synonyms, more-like-this, bad input, and the
index kept in step with the database (reconcile, rebuild)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import tantivy

from assets_hub import db
from assets_hub.models import Asset, Role, SearchOutbox
from assets_hub.search.base import SearchDocument
from assets_hub.search.embedded import CURRENT
from assets_hub.services.search_admin import (
    Drift,
    rebuild_index,
    reconcile,
    reconcile_job,
)
from assets_hub.settings import Settings
from tests.conftest import (
    PUBLISHABLE,
    app_client,
    authorise,
    http_state,
    make_jpeg,
    make_user,
    token_for,
)


async def _upload(client: httpx.AsyncClient, colour: str, **fields: str) -> dict[str, object]:
    response = await client.post(
        "/api/v1/assets",
        files={"file": ("p.jpg", make_jpeg(colour=colour), "image/jpeg")},
        data={**PUBLISHABLE, **fields},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def _numbered(client: httpx.AsyncClient, word: str, count: int, *, shade: str) -> None:
    """``count`` published images titled "<word> number <n>", each a distinct colour."""
    for n in range(count):
        await _upload(client, f"#{shade}{n}0{n}0", title=f"{word} number {n}")


async def test_filters_and_facets_through_the_api(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/campaigns", json={"slug": "summer", "name": "Summer"})
    await _upload(
        client,
        "#111111",
        title="Storytime for toddlers",
        tags="stories, toddlers",
        audience="children, families",
        campaign="summer",
    )
    await _upload(
        client, "#222222", title="Coding club for teenagers", tags="coding", audience="young people"
    )
    await _upload(
        client,
        "#333333",
        title="Story walk",
        tags="stories, outdoors",
        audience="everyone",
        language="cy",
    )
    children = await client.get("/api/v1/assets", params={"audience": "children"})
    assert [h["title"] for h in children.json()["hits"]] == ["Storytime for toddlers"]
    stories = await client.get("/api/v1/assets", params={"tag_all": ["stories", "outdoors"]})
    assert [h["title"] for h in stories.json()["hits"]] == ["Story walk"]
    welsh = await client.get("/api/v1/assets", params={"language": "cy"})
    assert welsh.json()["total"] == 1
    facets = (await client.get("/api/v1/assets", params={"q": "story"})).json()["facets"]
    assert facets["audience"]["children"] == 1 and facets["tags"]["stories"] == 2
    landscape = await client.get("/api/v1/assets", params={"orientation": "landscape"})
    assert landscape.json()["total"] == 3  # make_jpeg is 640 x 480
    # Each hit carries its own tags, sorted, as the asset itself does.
    hits = {h["title"]: h for h in landscape.json()["hits"]}
    assert hits["Story walk"]["tags"] == ["outdoors", "stories"]
    assert hits["Coding club for teenagers"]["tags"] == ["coding"]
    alone = await client.get(f"/api/v1/assets/{hits['Storytime for toddlers']['id']}")
    assert hits["Storytime for toddlers"]["tags"] == alone.json()["tags"] == ["stories", "toddlers"]


async def test_bad_search_input_is_a_clear_400(client: httpx.AsyncClient) -> None:
    for params, words in (
        ({"facet": "colour"}, "facet must be one of"),
        ({"orientation": "diagonal"}, "orientation must be one of"),
        ({"created_from": "yesterday"}, "created_from must be a date"),
        ({"colour": "red"}, "Unknown parameter"),
        ({"tag": [f"t{n}" for n in range(21)]}, "At most 20 values"),
    ):
        response = await client.get("/api/v1/assets", params=params)
        assert response.status_code == 400, params
        assert words in response.json()["error"]
    for hostile in ('" OR status = "draft" OR tags = "', '"unbalanced', "(", "*", "title:x"):
        response = await client.get("/api/v1/assets", params={"q": hostile, "tag": hostile})
        assert response.status_code == 200


async def test_editors_manage_synonyms(client: httpx.AsyncClient) -> None:
    await _upload(client, "#444444", title="Reading for children")
    before = await client.get("/api/v1/assets", params={"q": "kids"})
    assert before.json()["total"] == 0
    saved = await client.put(
        "/api/v1/search/synonyms", json={"synonyms": {"Kids": ["children", "young readers"]}}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["synonyms"] == {"kids": ["children", "young readers"]}
    after = await client.get("/api/v1/assets", params={"q": "kids"})
    assert after.json()["total"] == 1
    assert (await client.get("/api/v1/search/synonyms")).json()["synonyms"]["kids"]
    bad = await client.put("/api/v1/search/synonyms", json={"synonyms": {"x": "not a list"}})
    assert bad.status_code == 422
    member = await make_user(client, Role.LIBRARY_MEMBER, library="leeds")
    headers = {"Authorization": f"Bearer {await token_for(client, member)}"}
    forbidden = await client.put("/api/v1/search/synonyms", json={"synonyms": {}}, headers=headers)
    assert forbidden.status_code == 403


async def test_more_like_this_stays_within_visibility(client: httpx.AsyncClient) -> None:
    base = await _upload(client, "#555555", title="Summer reading poster", tags="summer, reading")
    await _upload(client, "#666666", title="Summer reading badge", tags="summer, reading")
    await _upload(client, "#777777", title="Summer secret", tags="summer, reading", status="draft")
    await _upload(client, "#888888", title="Tax help", tags="money")
    member = await make_user(client, Role.LIBRARY_MEMBER, library="leeds")
    headers = {"Authorization": f"Bearer {await token_for(client, member)}"}
    similar = await client.get(f"/api/v1/assets/{base['id']}/similar", headers=headers)
    titles = [hit["title"] for hit in similar.json()["hits"]]
    assert titles[0] == "Summer reading badge"
    assert "Summer secret" not in titles and "Summer reading poster" not in titles


async def test_reconcile_repairs_a_lost_index_and_rebuild_swaps(client: httpx.AsyncClient) -> None:
    await _numbered(client, "Poster", 3, shade="00")
    backends = http_state(client)
    ids = [hit["id"] for hit in (await client.get("/api/v1/assets")).json()["hits"]]
    await backends.search.delete(ids[:2])  # the engine lost documents
    await backends.search.upsert(
        [SearchDocument(id="00000000-0000-0000-0000-00000000dead", title="Ghost poster")]
    )
    with db.activate(backends.database):
        drift = await reconcile(backends)
        assert (drift.missing, drift.extra) == (2, 1)
        while await backends.indexer.process_due():
            pass
        assert (await reconcile(backends)).missing == 0
        assert (await client.get("/api/v1/assets", params={"q": "ghost"})).json()["total"] == 0
        assert (await client.get("/api/v1/assets")).json()["total"] == 3
        assert await rebuild_index(backends) == 3
    assert (await client.get("/api/v1/assets", params={"q": "poster"})).json()["total"] == 3


async def test_reconcile_digest_finds_a_stale_document_without_comparing_ids(
    client: httpx.AsyncClient,
) -> None:
    await _numbered(client, "Flyer", 2, shade="50")
    backends = http_state(client)
    compared: list[int] = []
    by_id = backends.search.document_versions

    async def counting() -> dict[str, int]:
        compared.append(1)
        return await by_id()

    backends.search.document_versions = counting  # type: ignore[method-assign]
    with db.activate(backends.database):
        assert await reconcile(backends) == Drift(0, 0, 0)
        assert compared == []  # index and database agree: no id-by-id comparison
        first = (await client.get("/api/v1/assets")).json()["hits"][0]["id"]
        await backends.search.upsert([SearchDocument(id=first, title="Flyer", version=0)])
        assert await reconcile(backends) == Drift(0, 1, 0)
        assert compared == [1]
        assert await SearchOutbox.filter(asset_id=first).exists()


async def test_a_drift_the_digest_cannot_see_is_found_by_the_periodic_full_run(
    client: httpx.AsyncClient,
) -> None:
    await _numbered(client, "Banner", 2, shade="60")
    backends = http_state(client)
    lost = (await client.get("/api/v1/assets")).json()["hits"][0]["id"]
    with db.activate(backends.database):
        revision = (await Asset.get(id=lost)).revision
        # One document lost and one left over with the same revision: same count and sum.
        await backends.search.delete([lost])
        ghost = SearchDocument(
            id="00000000-0000-0000-0000-00000000beef", title="Ghost", version=revision
        )
        await backends.search.upsert([ghost])
        job = reconcile_job(backends, full_every=3)
        assert [await job(), await job()] == [Drift(0, 0, 0)] * 2
        assert await job() == Drift(1, 0, 1)


async def test_an_index_of_an_older_schema_is_replaced_and_refilled_at_start(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        await _numbered(http, "Leaflet", 2, shade="40")
    directory = Path(settings.search_url.removeprefix("embedded://"))
    live = directory / (directory / CURRENT).read_text().strip()
    shutil.rmtree(live)  # what an older release left: an index whose schema differs
    live.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    tantivy.Index(builder.build(), path=str(live))

    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        total = 0
        for _ in range(200):  # the start-up reconcile queues both; the indexer adds them
            answer = await http.get("/api/v1/assets", params={"q": "leaflet"})
            assert answer.status_code == 200, answer.text
            total = answer.json()["total"]
            if total == 2:
                break
            await asyncio.sleep(0.05)
        assert total == 2
    assert not live.exists()  # the unreadable generation was removed
