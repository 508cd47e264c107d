"""One writer, many readers on one index directory: what several processes sharing ``var/``
rely on. Two backend instances stand for two processes here (tantivy's writer lock is per
directory, whoever asks); tests/test_processes.py runs the real processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assets_hub.search.base import IndexBusy, SearchDocument, SearchQuery, Visibility
from assets_hub.search.embedded import CURRENT, SWAP, EmbeddedSearchBackend

HEAP = 15_000_000
STAFF = Visibility(now=2_000_000_000)


def doc(id: str, title: str, version: int = 1) -> SearchDocument:
    return SearchDocument(id=id, title=title, version=version, status="published")


async def titles(backend: EmbeddedSearchBackend, text: str) -> set[str]:
    page = await backend.search(SearchQuery(text=text, visibility=STAFF))
    return {hit.id for hit in page.hits}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedSearchBackend, ...]]:
    writer = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    reader = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    await writer.setup()
    await reader.setup()  # opening never takes the writer: a CLI beside the service works
    yield writer, reader
    await reader.aclose()
    await writer.aclose()


async def test_a_reader_sees_the_writers_commits_at_its_next_search(
    pair: tuple[EmbeddedSearchBackend, ...],
) -> None:
    writer, reader = pair
    assert await reader.count() == 0
    await writer.upsert([doc("a", "Summer reading poster")])
    assert await titles(reader, "poster") == {"a"}
    await writer.delete(["a"])
    assert await titles(reader, "poster") == set()
    await writer.set_synonyms({"kids": ["children"]})
    await writer.upsert([doc("b", "Children's corner")])
    assert await titles(reader, "kids") == {"b"}  # synonyms saved by another process too


async def test_one_writer_at_a_time_and_the_role_passes_on_release(
    pair: tuple[EmbeddedSearchBackend, ...],
) -> None:
    writer, reader = pair
    await writer.upsert([doc("a", "Poster")])
    with pytest.raises(IndexBusy, match="changes wait in the search outbox"):
        await reader.upsert([doc("b", "Flyer")])
    await writer.release_writer()  # e.g. its lease was lost
    await reader.upsert([doc("b", "Flyer")])
    assert await titles(writer, "flyer") == {"b"}
    with pytest.raises(IndexBusy):
        await writer.upsert([doc("c", "Banner")])


async def test_a_rebuild_beside_the_writer_hands_over_the_swap_and_loses_no_write(
    pair: tuple[EmbeddedSearchBackend, ...],
) -> None:
    writer, rebuilder = pair
    await writer.upsert([doc("a", "Old poster"), doc("gone", "Deleted flyer")])
    read_a = asyncio.Event()

    async def source() -> AsyncIterator[SearchDocument]:
        yield doc("a", "Old poster")
        read_a.set()
        await asyncio.sleep(0.2)  # the service writes meanwhile (below)
        yield doc("b", "Banner")

    rebuild = asyncio.create_task(rebuilder.rebuild(source()))
    await read_a.wait()
    # Changes the build may have missed, applied by the service to the live index.
    await writer.upsert([doc("a", "New poster", version=2)])
    await writer.delete(["gone"])
    requeued: list[str] = []

    async def requeue(ids: list[str]) -> None:
        requeued.extend(ids)

    while not rebuild.done():  # the service's indexer loop
        await writer.housekeeping(requeue)
        await asyncio.sleep(0.02)
    assert await rebuild == 2
    await writer.housekeeping(requeue)
    # Both writes come back to the indexer, which re-reads them from the database.
    assert sorted(requeued) == ["a", "gone"]
    assert await titles(rebuilder, "banner") == {"b"}
    assert await titles(writer, "banner") == {"b"}  # the writer writes to the new one now
    await writer.upsert([doc("a", "New poster", version=2)])
    assert await titles(rebuilder, "new") == {"a"}


async def test_a_rebuild_with_no_writer_running_swaps_by_itself(tmp_path: Path) -> None:
    gone = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    await gone.upsert([doc("a", "Poster")])
    await gone.aclose()  # the service stopped
    alone = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    assert await alone.rebuild([doc("b", "Banner")]) == 1
    assert await titles(alone, "banner") == {"b"}
    await alone.aclose()


async def test_an_abandoned_hand_over_is_discarded_not_swapped(
    pair: tuple[EmbeddedSearchBackend, ...], tmp_path: Path
) -> None:
    writer, _ = pair
    await writer.upsert([doc("a", "Poster")])
    live = (tmp_path / "idx" / CURRENT).read_text().strip()
    # A reindex killed after asking for the swap: its lock is gone, so the writer would lose
    # the writes it stopped journalling; the request is dropped instead.
    writer._open_index(tmp_path / "idx" / "index-dead")  # a whole, committed generation
    (tmp_path / "idx" / SWAP).write_text("index-dead\n")
    await writer.housekeeping(lambda ids: asyncio.sleep(0))
    assert (tmp_path / "idx" / CURRENT).read_text().strip() == live
    assert not (tmp_path / "idx" / SWAP).exists()
    assert await titles(writer, "poster") == {"a"}
