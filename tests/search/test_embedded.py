"""Embedded backend specifics beyond the shared contract: generations, persistence of
synonyms, did-you-mean when nothing matched, rebuild concurrency, the query-word rules."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assets_hub.errors import BackendUnavailable
from assets_hub.search.analysis import QueryWord, make_analyzer, query_words, within
from assets_hub.search.base import SearchDocument, SearchQuery, SearchUnavailable, Visibility
from assets_hub.search.embedded import CURRENT, EmbeddedSearchBackend
from tests.search.conftest import DOCUMENTS, NOW

STAFF = Visibility(now=NOW)
HEAP = 15_000_000


def q(text: str = "", **kwargs: object) -> SearchQuery:
    kwargs.setdefault("visibility", STAFF)
    return SearchQuery(text=text, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def backend(tmp_path: Path) -> EmbeddedSearchBackend:
    found = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP, rebuild_heap_bytes=HEAP)
    await found.setup()
    await found.upsert(DOCUMENTS)
    return found


def generations(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("index-"))


async def test_rebuild_writes_a_new_generation_and_removes_the_old(
    backend: EmbeddedSearchBackend, tmp_path: Path
) -> None:
    before = generations(tmp_path / "idx")
    assert (tmp_path / "idx" / CURRENT).read_text().strip() == before[0]
    await backend.rebuild(DOCUMENTS[:3])
    after = generations(tmp_path / "idx")
    assert len(after) == 1 and after != before
    assert (tmp_path / "idx" / CURRENT).read_text().strip() == after[0]
    await backend.aclose()
    reopened = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    await reopened.setup()
    assert await reopened.count() == 3
    await reopened.upsert(DOCUMENTS[3:5])  # the writer moved to the new generation too
    assert await reopened.count() == 5
    await reopened.aclose()


async def test_searches_from_other_threads_keep_answering_during_a_rebuild(
    backend: EmbeddedSearchBackend,
) -> None:
    stop = threading.Event()
    totals: list[int] = []
    errors: list[BaseException] = []

    def searching() -> None:
        while not stop.is_set():
            try:
                totals.append(backend.search_sync(q("summer reading")).total)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
                return

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        many = [dataclasses.replace(DOCUMENTS[0], id=f"copy-{i}") for i in range(300)]
        for _ in range(3):
            await backend.rebuild([*DOCUMENTS, *many])
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert totals and set(totals) <= {2, 302}  # the old index or the new, never a failure


async def test_a_second_rebuild_at_once_is_refused(backend: EmbeddedSearchBackend) -> None:
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[SearchDocument]:
        yield DOCUMENTS[0]
        await gate.wait()
        yield DOCUMENTS[1]

    first = asyncio.create_task(backend.rebuild(slow()))
    await asyncio.sleep(0.05)
    with pytest.raises(RuntimeError, match="already running"):
        await backend.rebuild(DOCUMENTS)
    gate.set()
    assert await first == 2


async def test_a_failed_rebuild_keeps_the_live_index(
    backend: EmbeddedSearchBackend, tmp_path: Path
) -> None:
    before = generations(tmp_path / "idx")

    async def broken() -> AsyncIterator[SearchDocument]:
        yield DOCUMENTS[0]
        raise OSError("database went away")

    with pytest.raises(OSError, match="went away"):
        await backend.rebuild(broken())
    assert generations(tmp_path / "idx") == before
    assert await backend.count() == len(DOCUMENTS)
    await backend.upsert([DOCUMENTS[0]])  # the live writer still works


async def test_synonyms_survive_a_restart(backend: EmbeddedSearchBackend, tmp_path: Path) -> None:
    await backend.set_synonyms({"kids": ["children"]})
    await backend.aclose()
    reopened = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    await reopened.setup()
    assert (await reopened.search(q("kids"))).total > 0
    await reopened.aclose()


async def test_an_old_layout_index_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "meta.json").write_text("{}")
    backend = EmbeddedSearchBackend(tmp_path / "old", writer_heap_bytes=HEAP)
    with pytest.raises(SearchUnavailable, match="older layout") as caught:
        await backend.setup()
    assert isinstance(caught.value, BackendUnavailable)


@pytest.mark.parametrize(
    ("text", "kinds", "suggestion"),
    [
        ("logp", (), "logo"),  # 4 letters: no typo when searching, one when suggesting
        ("chalenge", ("logo",), "challenge"),  # nothing matched: nearest visible term
        ("meddal", (), None),  # only a hidden document says "medal"
    ],
)
async def test_did_you_mean_when_nothing_matched(
    backend: EmbeddedSearchBackend, text: str, kinds: tuple[str, ...], suggestion: str | None
) -> None:
    page = await backend.search(q(text, kinds=kinds))
    assert page.total == 0
    assert page.suggestion == suggestion


async def test_hidden_words_do_not_change_the_suggestion(backend: EmbeddedSearchBackend) -> None:
    # Were hidden documents counted as "knowing" a word, the missing suggestion would tell a
    # prober that some draft says it.
    before = await backend.search(q("bookmarks"))
    draft = dataclasses.replace(
        DOCUMENTS[0], id="secret", title="Bookmarks for the secret plan", status="draft"
    )
    await backend.upsert([draft])
    after = await backend.search(q("bookmarks"))
    assert before.suggestion == after.suggestion == "bookmark"
    assert [h.id for h in after.hits] == [h.id for h in before.hits] == ["src-bookmark"]


async def test_multi_word_synonym_keys(backend: EmbeddedSearchBackend) -> None:
    await backend.set_synonyms({"young people": ["teens"]})
    page = await backend.search(q("young people", per_page=100))
    assert {h.id for h in page.hits} == {"code-club", "lw-bus"}


def test_query_words_attach_synonyms() -> None:
    analyzer = make_analyzer(for_index=False)
    synonyms = {("kids",): (("children",),), ("young", "people"): (("teens",),)}
    words = query_words("Kids for young people", analyzer, synonyms)
    assert [w.text for w in words] == ["kids", "for", "young", "people"]
    assert words[0].synonyms == (("children",),)
    assert words[2].phrase == ("young", "people") and words[3].covered


def test_bulk_select_agrees_with_matches() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        tokens = ["".join(rng.choices("abcde", k=rng.randint(1, 11))) for _ in range(15)]
        text = "".join(rng.choices("abcde", k=rng.randint(2, 9)))
        for typos in (0, 1, 2):
            for prefix in (False, True):
                word = QueryWord(text, typos, prefix)
                assert word.select(tokens) == {t for t in tokens if word.matches(t)}


@pytest.mark.parametrize(
    ("word", "token", "budget", "expected"),
    [
        ("reading", "readng", 1, True),
        ("librareis", "libraries", 1, True),  # a transposition costs one
        ("chalenge", "challenge", 1, True),
        ("logp", "logo", 0, False),
        ("abc", "xyz", 2, False),
    ],
)
def test_within(word: str, token: str, budget: int, expected: bool) -> None:
    assert within(word, token, budget) is expected
