"""Embedded backend specifics beyond the shared contract: generations, persistence of
synonyms, did-you-mean when nothing matched, rebuild concurrency, the query-word rules."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import threading
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assets_hub.errors import BackendUnavailable
from assets_hub.search.analysis import (
    _LEADING_PUNCTUATION,
    QueryWord,
    make_analyzer,
    query_words,
    title_sort_key,
    within,
)
from assets_hub.search.base import SearchDocument, SearchQuery, SearchUnavailable, Visibility
from assets_hub.search.embedded import CURRENT, EmbeddedSearchBackend
from assets_hub.search.embedded_schema import MATCH_FIELDS, TEXT_FIELDS, TYPO_REST_SOURCES
from assets_hub.search.highlight import MatchCache
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


async def test_facets_count_values_beyond_the_slot_columns_and_repeats_once(
    tmp_path: Path,
) -> None:
    # Facets are summed over single-valued slot columns plus an overflow column: a document
    # with more tags than slots, or a value twice, must count as over one multi-valued field.
    found = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=HEAP)
    await found.setup()
    many = tuple(f"tag{i}" for i in range(9))
    await found.upsert(
        [
            SearchDocument(id="a", title="poster", tags=many, audience=("children",) * 3),
            SearchDocument(id="b", title="poster", tags=("tag0", "tag0", "other")),
            SearchDocument(id="c", title="poster", orientation="square", audience=("adults",)),
        ]
    )
    page = await found.search(q("poster", facets=("tags", "audience", "orientation")))
    assert page.facets == {
        "tags": {"tag0": 2, "other": 1, **{f"tag{i}": 1 for i in range(1, 9)}},
        "audience": {"children": 1, "adults": 1},
        "orientation": {"square": 1},
    }
    # A facet's own filter is left out of its counts, also across slot columns.
    page = await found.search(q("poster", tags=("tag8",), facets=("tags", "audience")))
    assert page.total == 1
    assert page.facets["tags"]["tag0"] == 2 and page.facets["audience"] == {"children": 1}
    await found.aclose()


def test_match_cache_agrees_with_select() -> None:
    cache = MatchCache(words=4, tokens_per_word=50)
    rng = random.Random(9)
    for _ in range(400):
        tokens = {"".join(rng.choices("abcde", k=rng.randint(1, 9))) for _ in range(20)}
        text = "".join(rng.choices("abcde", k=rng.randint(2, 7)))
        word = QueryWord(text, rng.randint(0, 2), rng.random() < 0.5)
        # Asked twice: the second answer comes (partly) from the cache.
        assert cache.matches(word).select(tokens) == word.select(tokens)
        assert cache.matches(word).select(tokens) == word.select(tokens)


def test_title_sort_key_ascii_shortcut_agrees_with_the_unicode_path() -> None:
    def unicode_path(title: str) -> str:
        folded = unicodedata.normalize("NFKD", title)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
        return folded.lstrip(_LEADING_PUNCTUATION).strip()

    rng = random.Random(3)
    alphabet = "abcXYZ '\"-_.(#0189\t"
    for _ in range(2000):
        title = "".join(rng.choices(alphabet, k=rng.randint(0, 12)))
        assert title_sort_key(title) == unicode_path(title)
    assert title_sort_key("\u201cCaf\u00e9\u201d Poster") == unicode_path(
        "\u201cCaf\u00e9\u201d Poster"
    )


def test_match_fields_hold_every_text_field() -> None:
    # EmbeddedQueries.matching counts on MATCH_FIELDS in place of all TEXT_FIELDS.
    covered = {*MATCH_FIELDS, *TYPO_REST_SOURCES} - {"typo_rest"}
    assert covered == {name for name, _boost in TEXT_FIELDS}
    assert "typo_rest" in MATCH_FIELDS


async def test_facet_totals_match_the_hits_for_typos_prefixes_and_synonyms(
    backend: EmbeddedSearchBackend,
) -> None:
    await backend.set_synonyms({"kids": ["children"], "young people": ["teens"]})
    for text in ("librares", "summ", "kids", "young people", "poster summer", "a"):
        page = await backend.search(q(text, per_page=100, facets=("kind",)))
        assert sum(page.facets["kind"].values()) == page.total, text


async def test_facets_past_the_bucket_limit_fall_back_to_the_plain_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # tantivy aborts an aggregation over 65,000 buckets. Asked for every value of every slot
    # column, 70,000 distinct tags cross it: the search must still answer, with the top tags
    # counted on the plain multi-valued field.
    from assets_hub.search import embedded_query

    monkeypatch.setattr(embedded_query, "FACET_COLUMN_SIZE", 100_000)
    found = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=100_000_000)
    await found.setup()
    common = ("everywhere",)
    await found.upsert(
        [SearchDocument(id=f"d{i}", title="poster", tags=(f"t{i}", *common)) for i in range(70_000)]
    )
    page = await found.search(q("poster", facets=("tags",)))
    assert page.total == 70_000
    assert page.facets["tags"]["everywhere"] == 70_000 and len(page.facets["tags"]) == 100
    assert "over the bucket limit" in caplog.text
    await found.aclose()
