"""The SearchBackend contract, run against every backend (see conftest.search_backend)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import pytest

from assets_hub.errors import ConfigError
from assets_hub.search import open_search
from assets_hub.search.analysis import title_sort_key
from assets_hub.search.base import (
    SearchBackend,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
    Visibility,
)
from assets_hub.search.embedded import EmbeddedSearchBackend
from tests.search.conftest import (
    DOCUMENTS,
    EMBARGO_UNTIL,
    EXPIRED_AT,
    HIDDEN_IDS,
    INJECTION,
    NOW,
    VISIBLE,
)

STAFF = Visibility(now=NOW)  # published, embargo and expiry enforced at NOW
EVERYTHING = Visibility.everything()


def q(text: str = "", **kwargs: object) -> SearchQuery:
    """A query as library staff at NOW would send it, unless overridden."""
    kwargs.setdefault("visibility", STAFF)
    return SearchQuery(text=text, **kwargs)  # type: ignore[arg-type]


def ids(page: SearchPage) -> list[str]:
    return [hit.id for hit in page.hits]


def by_id(doc_id: str) -> SearchDocument:
    return next(d for d in DOCUMENTS if d.id == doc_id)


# -- finding -----------------------------------------------------------------------------------


async def test_a_title_word_finds_the_document_right_after_upsert(
    search_backend: SearchBackend,
) -> None:
    await search_backend.upsert([by_id("src-bookmark")])
    page = await search_backend.search(q("bookmark"))
    assert ids(page) == ["src-bookmark"]
    assert page.total == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("readng", "src-poster"),  # 6 letters: one typo allowed
        ("chalenge", "src-poster"),
        ("librareis", "lw-logo"),  # 9 letters: two typos (a transposition counts as one)
        ("summer reading chalenge postr", "src-poster"),
    ],
)
async def test_typos_are_forgiven(loaded_backend: SearchBackend, text: str, expected: str) -> None:
    page = await loaded_backend.search(q(text, per_page=100))
    assert expected in ids(page)


async def test_short_words_allow_no_typo(loaded_backend: SearchBackend) -> None:
    # "logp" is 4 letters: Meilisearch's default allows no typo, so "logo" must not match.
    page = await loaded_backend.search(q("week logp"))
    assert page.total == 0


async def test_the_last_word_matches_as_a_prefix_while_typing(
    loaded_backend: SearchBackend,
) -> None:
    page = await loaded_backend.search(q("summ"))
    assert set(ids(page)) == {"src-poster", "src-bookmark"}
    page = await loaded_backend.search(q("libraries we"))
    assert set(ids(page)) == {"lw-bus", "lw-logo", "lw-press"}


async def test_title_outranks_description(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q("poster"))
    assert ids(page)[0] in {"src-poster", "author-talk"}
    assert set(ids(page)) == {"src-poster", "author-talk"}


# -- filters and facets ------------------------------------------------------------------------


class Filters(TypedDict, total=False):
    kinds: tuple[str, ...]
    campaigns: tuple[str, ...]
    tags: tuple[str, ...]


def expected_ids(
    *, kinds: tuple[str, ...] = (), campaigns: tuple[str, ...] = (), tags: tuple[str, ...] = ()
) -> set[str]:
    return {
        d.id
        for d in VISIBLE
        if (not kinds or d.kind in kinds)
        and (not campaigns or d.campaign in campaigns)
        and (not tags or set(d.tags) & set(tags))
    }


@pytest.mark.parametrize(
    "filters",
    [
        {"kinds": ("logo",)},
        {"kinds": ("image", "logo")},
        {"campaigns": ("libraries-week",)},
        {"campaigns": ("summer-reading",)},
        {"tags": ("children",)},
        {"tags": ("children", "coding")},  # any of
        {"kinds": ("image",), "tags": ("children",)},
        {"kinds": ("document",), "campaigns": ("summer-reading", "reading-well")},
    ],
)
async def test_filters(loaded_backend: SearchBackend, filters: Filters) -> None:
    page = await loaded_backend.search(dataclasses.replace(q(per_page=100), **filters))
    want = expected_ids(**filters)
    assert set(ids(page)) == want
    assert page.total == len(want)


async def test_facet_counts_cover_only_visible_documents(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(facets=("kind", "campaign", "tags")))
    assert page.facets["kind"] == dict(Counter(d.kind for d in VISIBLE))
    assert page.facets["campaign"] == dict(Counter(d.campaign for d in VISIBLE))
    assert page.facets["tags"] == dict(Counter(t for d in VISIBLE for t in d.tags))
    assert page.total == len(VISIBLE)


async def test_facet_counts_follow_filters_and_text(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(
        q(campaigns=("summer-reading",), facets=("kind", "campaign", "tags"))
    )
    # The draft, embargoed and expired Summer Reading assets are not counted.
    assert page.facets["kind"] == {"image": 1, "document": 1}
    assert page.facets["tags"] == {"children": 2, "reading": 2, "poster": 1}
    # The campaign facet leaves out its own filter: every visible campaign is still counted.
    assert page.facets["campaign"] == dict(Counter(d.campaign for d in VISIBLE))

    page = await loaded_backend.search(q("libraries", facets=("kind",)))
    assert page.facets == {"kind": {"image": 1, "logo": 1, "document": 1}}


async def test_unknown_facet_names_are_a_value_error(loaded_backend: SearchBackend) -> None:
    for facets in (("kind", "status"), ("nope",), ('kind" OR 1=1',)):
        with pytest.raises(ValueError, match="unknown facet"):
            await loaded_backend.search(q(facets=facets))


# -- visibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "summer reading challenge", "draft", "medal", "certificate", "withdrawn"]
)
async def test_invisible_documents_are_never_in_hits_totals_or_facets(
    loaded_backend: SearchBackend, text: str
) -> None:
    page = await loaded_backend.search(q(text, per_page=100, facets=("kind", "campaign", "tags")))
    assert not set(ids(page)) & HIDDEN_IDS
    assert page.total == len(ids(page))
    # Every asset has one campaign, so campaign counts add up to the visible total.
    assert sum(page.facets["campaign"].values()) == page.total
    visible_tags = Counter(t for d in VISIBLE for t in d.tags)
    assert all(n <= visible_tags[tag] for tag, n in page.facets["tags"].items())


@pytest.mark.parametrize(
    ("text", "doc_id"),
    [
        ("draft banner", "src-draft"),
        ("medal", "src-embargoed"),
        ("certificate", "src-expired"),
        ("withdrawn", "lw-withdrawn"),
    ],
)
async def test_everything_visibility_shows_hidden_documents(
    loaded_backend: SearchBackend, text: str, doc_id: str
) -> None:
    assert (await loaded_backend.search(q(text))).total == 0
    page = await loaded_backend.search(q(text, visibility=EVERYTHING))
    assert ids(page) == [doc_id]


async def test_everything_counts_every_document(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(visibility=EVERYTHING, per_page=100))
    assert page.total == len(DOCUMENTS)


async def test_embargo_lifts_exactly_at_the_second(loaded_backend: SearchBackend) -> None:
    before = await loaded_backend.search(q("medal", visibility=Visibility(now=EMBARGO_UNTIL - 1)))
    at = await loaded_backend.search(q("medal", visibility=Visibility(now=EMBARGO_UNTIL)))
    assert ids(before) == []
    assert ids(at) == ["src-embargoed"]


async def test_expiry_applies_exactly_at_the_second(loaded_backend: SearchBackend) -> None:
    before = await loaded_backend.search(
        q("certificate", visibility=Visibility(now=EXPIRED_AT - 1))
    )
    at = await loaded_backend.search(q("certificate", visibility=Visibility(now=EXPIRED_AT)))
    assert ids(before) == ["src-expired"]
    assert ids(at) == []


async def test_status_sets(loaded_backend: SearchBackend) -> None:
    editors = Visibility(statuses=frozenset({"published", "draft"}), now=NOW)
    page = await loaded_backend.search(q("summer", visibility=editors, per_page=100))
    assert set(ids(page)) == {"src-poster", "src-bookmark", "src-draft"}
    nobody = Visibility(statuses=frozenset(), now=NOW)
    page = await loaded_backend.search(q("", visibility=nobody, facets=("kind",)))
    assert page == SearchPage(hits=[], total=0, facets={"kind": {}})


# -- sorting and paging ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("newest", lambda d: -d.created_at),
        ("downloads", lambda d: -d.downloads),
        ("title", lambda d: title_sort_key(d.title)),
    ],
)
async def test_sorts(
    loaded_backend: SearchBackend, sort: str, key: Callable[[SearchDocument], Any]
) -> None:
    page = await loaded_backend.search(q(sort=sort, per_page=100))
    assert ids(page) == [d.id for d in sorted(VISIBLE, key=key)]


async def test_empty_query_lists_the_newest_first(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(per_page=100))
    assert ids(page) == [d.id for d in sorted(VISIBLE, key=lambda d: -d.created_at)]


async def test_sort_applies_to_text_results(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q("libraries", sort="downloads"))
    assert ids(page) == ["lw-logo", "lw-bus", "lw-press"]


# "lantern" in the title, the description, the body: relevance puts them in that order, and
# each sort below wants another, so a sort that only broke relevance ties (Meilisearch's
# default rankingRules: sort after words, typo, proximity, attributeRank) fails here.
RANKED_APART = (
    SearchDocument(
        id="rel-title", title="Lantern parade", created_at=NOW - 30 * 86_400, downloads=1
    ),
    SearchDocument(
        id="rel-description",
        title="Autumn fair",
        description="Paper lantern making for all ages.",
        created_at=NOW - 20 * 86_400,
        downloads=50,
    ),
    SearchDocument(
        id="rel-body",
        title="Board games afternoon",
        body="Bring a lantern for the walk home.",
        created_at=NOW - 86_400,
        downloads=10,
    ),
)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["rel-body", "rel-description", "rel-title"]),
        ("downloads", ["rel-description", "rel-body", "rel-title"]),
        ("title", ["rel-description", "rel-body", "rel-title"]),
    ],
)
async def test_a_sort_orders_every_text_match_not_only_ties(
    search_backend: SearchBackend, sort: str, expected: list[str]
) -> None:
    await search_backend.upsert(RANKED_APART)
    by_relevance = ids(await search_backend.search(q("lantern")))
    assert by_relevance == ["rel-title", "rel-description", "rel-body"]
    assert ids(await search_backend.search(q("lantern", sort=sort))) == expected


@pytest.mark.parametrize("sort", ["relevance", "newest", "title"])
async def test_paging_has_a_stable_total_and_no_repeats(
    loaded_backend: SearchBackend, sort: str
) -> None:
    seen: list[str] = []
    for page_number in (1, 2, 3, 4):
        page = await loaded_backend.search(q(sort=sort, page=page_number, per_page=4))
        assert page.total == len(VISIBLE)
        seen.extend(ids(page))
    assert sorted(seen) == sorted(d.id for d in VISIBLE)


async def test_far_pages_are_empty_with_the_exact_total(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(page=10_000_000, per_page=100))
    assert page.hits == []
    assert page.total == len(VISIBLE)
    page = await loaded_backend.search(q(page=101, per_page=100))  # just past the window
    assert page.hits == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"page": 0}, "page must be 1 or more"),
        ({"page": -5}, "page must be 1 or more"),
        ({"per_page": 0}, "per_page must be between 1 and 100"),
        ({"per_page": 10_000}, "per_page must be between 1 and 100"),
        ({"sort": "price"}, "sort must be one of"),
        ({"text": "a" * 513}, "too long: at most 512"),
        ({"text": "summer " * 100}, "too long"),
        ({"tags": tuple(f"t{i}" for i in range(101))}, "at most 100 tags"),
        ({"created_from": "yesterday"}, "created_from must be unix seconds"),
    ],
)
async def test_bad_queries_are_value_errors_before_the_engine(
    loaded_backend: SearchBackend, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await loaded_backend.search(dataclasses.replace(q(), **changes))  # type: ignore[arg-type]


# -- writes ------------------------------------------------------------------------------------


async def test_upserting_twice_is_harmless(loaded_backend: SearchBackend) -> None:
    before = await loaded_backend.count()
    await loaded_backend.upsert([by_id("lw-logo")])
    await loaded_backend.upsert([by_id("lw-logo"), by_id("lw-logo")])
    assert await loaded_backend.count() == before
    assert ids(await loaded_backend.search(q("logo"))) == ["lw-logo"]


async def test_an_update_changes_what_is_found(loaded_backend: SearchBackend) -> None:
    renamed = dataclasses.replace(
        by_id("src-bookmark"), title="Autumn reading leaflet", description="", version=2
    )
    await loaded_backend.upsert([renamed])
    assert ids(await loaded_backend.search(q("bookmark"))) == []
    assert ids(await loaded_backend.search(q("autumn"))) == ["src-bookmark"]
    unpublished = dataclasses.replace(renamed, status="draft", version=3)
    await loaded_backend.upsert([unpublished])
    assert ids(await loaded_backend.search(q("autumn"))) == []


async def test_delete_is_idempotent(loaded_backend: SearchBackend) -> None:
    before = await loaded_backend.count()
    assert before == len(DOCUMENTS)
    await loaded_backend.delete(["lw-bus"])
    await loaded_backend.delete(["lw-bus", "no-such-id"])
    await loaded_backend.delete([])
    assert await loaded_backend.count() == before - 1
    assert ids(await loaded_backend.search(q("bus"))) == []


async def test_ping(search_backend: SearchBackend) -> None:
    await search_backend.ping()


# -- hostile input -----------------------------------------------------------------------------

HOSTILE = [
    INJECTION,
    'summer" OR status = "draft',
    "title:foo",
    "status:draft",
    'unbalanced "quote',
    "'",
    "*",
    "(",
    ")",
    "summer AND NOT poster",
    "summer OR draft",
    "[1 TO 9]",
    "^2",
    "~",
    "\\",
    "a" * 512,
    "summer " * 73,  # 511 characters, 73 words: only the first 10 count
    "Robert'); DROP TABLE asset;--",
    "%_",
    "\u0000",
    "日本語",
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_queries_never_raise_nor_leak(
    loaded_backend: SearchBackend, text: str
) -> None:
    page = await loaded_backend.search(q(text, per_page=100, facets=("kind", "campaign", "tags")))
    assert not set(ids(page)) & HIDDEN_IDS
    assert page.total <= len(VISIBLE)
    assert sum(page.facets["kind"].values()) == page.total


async def test_filter_values_are_data_not_syntax(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(tags=(INJECTION,), per_page=100))
    assert ids(page) == ["author-talk"]
    for tag in ('say "hi"', "back\\slash"):
        assert ids(await loaded_backend.search(q(tags=(tag,)))) == ["author-talk"]
    page = await loaded_backend.search(q(kinds=('image" OR kind = "logo',), per_page=100))
    assert page.total == 0
    page = await loaded_backend.search(q(campaigns=(INJECTION,), tags=(INJECTION,)))
    assert page.total == 0


async def test_empty_query_returns_everything_visible(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q("", per_page=100))
    assert set(ids(page)) == {d.id for d in VISIBLE}
    assert page.total == len(VISIBLE)


# -- highlights --------------------------------------------------------------------------------


async def test_highlights_mark_matched_words(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q("readng chalenge"))
    assert ids(page)[0] in {"src-poster", "src-bookmark"}
    title = page.hits[0].highlights["title"]
    assert "<mark>Reading</mark>" in title
    assert "<mark>Challenge</mark>" in title


async def test_highlights_escape_markup_in_titles(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q("storytime"))
    assert ids(page) == ["xss-banner"]
    highlights = page.hits[0].highlights
    assert "<script>" not in highlights["title"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in highlights["title"]
    assert "<mark>Storytime</mark>" in highlights["title"]
    page = await loaded_backend.search(q("script"))
    title = page.hits[0].highlights["title"]
    assert title.startswith("&lt;<mark>script</mark>&gt;")
    assert "<b>" not in "".join(h for hit in page.hits for h in hit.highlights.values())


async def test_description_snippet_is_highlighted_and_escaped(
    loaded_backend: SearchBackend,
) -> None:
    page = await loaded_backend.search(q("rhyme"))
    assert ids(page) == ["xss-banner"]
    snippet = page.hits[0].highlights["description"]
    assert "<mark>rhyme</mark>" in snippet
    assert "&lt;b&gt;" in snippet


async def test_no_highlights_without_words(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(""))
    assert all(hit.highlights == {} for hit in page.hits)


# -- embedded backend specifics (not part of the shared contract) -----------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("embedded://./var/search", Path("var/search").resolve()),
        ("embedded://var/search", Path("var/search").resolve()),
        ("embedded:///srv/assets/search", Path("/srv/assets/search")),
    ],
)
def test_embedded_url_forms(url: str, expected: Path) -> None:
    assert EmbeddedSearchBackend.from_url(url, timeout_s=1.0).directory == expected


@pytest.mark.parametrize(
    "url",
    ["embedded://", "embedded:///", "embedded:var", "embedded://./x?heap=1", "embedded://u@h/x"],
)
def test_malformed_embedded_urls(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EmbeddedSearchBackend.from_url(url, timeout_s=1.0)
    assert "ASSETS_HUB_SEARCH_URL" in caught.value.problems


async def test_embedded_ping_fails_on_an_unusable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    backend = EmbeddedSearchBackend(blocker / "search", writer_heap_bytes=15_000_000)
    with pytest.raises(SearchUnavailable):
        await backend.ping()
    with pytest.raises(SearchUnavailable):
        await backend.setup()


async def test_embedded_index_survives_a_restart(tmp_path: Path) -> None:
    first = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=15_000_000)
    await first.setup()
    await first.upsert(DOCUMENTS)
    await first.aclose()
    second = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=15_000_000)
    await second.setup()
    assert await second.count() == len(DOCUMENTS)
    assert ids(await second.search(q("bookmark"))) == ["src-bookmark"]
    await second.aclose()


async def test_embedded_engine_panics_become_search_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = EmbeddedSearchBackend(tmp_path / "idx", writer_heap_bytes=15_000_000)
    await backend.setup()

    def panicking(query: SearchQuery, *, highlights: bool = True) -> object:
        from tantivy import Query

        # tantivy asserts limit > 0: a real panic from the bindings.
        return backend._open().index.searcher().search(Query.all_query(), 0)

    monkeypatch.setattr(backend, "search_sync", panicking)
    with pytest.raises(SearchUnavailable, match="engine failure"):
        await backend.search(SearchQuery())
    await backend.aclose()


def test_open_search_builds_each_backend(tmp_path: Path) -> None:
    embedded = open_search(f"embedded://{tmp_path}/idx")
    assert embedded.name == "embedded"
    meili = open_search("meilisearch+http://127.0.0.1:7700?api_key=k&index=assets")
    assert meili.name == "meilisearch"
    assert "facets" in embedded.capabilities and "facets" in meili.capabilities
