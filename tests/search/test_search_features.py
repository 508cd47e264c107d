"""The SearchBackend contract, part 2 (issue 5): new filters, facets that ignore their own
filter, synonyms, "more like this", did-you-mean, rebuild with a swap, document versions.

Run against every backend (see conftest.search_backend).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from assets_hub.search.base import (
    SearchBackend,
    SearchDocument,
    SearchPage,
    SearchQuery,
    Visibility,
)
from tests.search.conftest import DAY, DOCUMENTS, HIDDEN_IDS, NOW, VISIBLE

STAFF = Visibility(now=NOW)
EVERYTHING = Visibility.everything()
EDITORS = Visibility(statuses=frozenset({"published", "draft"}), now=NOW)


def q(text: str = "", **kwargs: object) -> SearchQuery:
    kwargs.setdefault("visibility", STAFF)
    kwargs.setdefault("per_page", 100)
    return SearchQuery(text=text, **kwargs)  # type: ignore[arg-type]


def ids(page: SearchPage) -> list[str]:
    return [hit.id for hit in page.hits]


def visible_where(**expected: object) -> set[str]:
    return {d.id for d in VISIBLE if all(getattr(d, k) == v for k, v in expected.items())}


# -- new filters -------------------------------------------------------------------------------


async def test_audience_language_orientation_filters_are_any_of(
    loaded_backend: SearchBackend,
) -> None:
    page = await loaded_backend.search(q(audiences=("families",)))
    assert set(ids(page)) == {d.id for d in VISIBLE if "families" in d.audience}
    page = await loaded_backend.search(q(audiences=("young people", "families")))
    want = {d.id for d in VISIBLE if {"young people", "families"} & set(d.audience)}
    assert set(ids(page)) == want and page.total == len(want)
    page = await loaded_backend.search(q(languages=("cy",)))
    assert ids(page) == ["rw-leaflet"]
    page = await loaded_backend.search(q(orientations=("landscape", "square")))
    assert set(ids(page)) == {d.id for d in VISIBLE if d.orientation in ("landscape", "square")}


async def test_tags_all_of_alongside_any_of(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(tags_all=("children", "reading")))
    assert set(ids(page)) == {"src-poster", "src-bookmark"}
    page = await loaded_backend.search(q(tags_all=("children", "reading", "poster")))
    assert ids(page) == ["src-poster"]
    # any-of (children or coding) AND all-of (health)
    page = await loaded_backend.search(q(tags=("children", "coding"), tags_all=("health",)))
    assert ids(page) == ["rw-leaflet"]


async def test_status_filter_narrows_but_never_widens_visibility(
    loaded_backend: SearchBackend,
) -> None:
    page = await loaded_backend.search(q(statuses=("draft",), visibility=EDITORS))
    assert ids(page) == ["src-draft"]
    page = await loaded_backend.search(q(statuses=("draft", "withdrawn"), visibility=STAFF))
    assert page.total == 0 and ids(page) == []
    page = await loaded_backend.search(q(statuses=("withdrawn",), visibility=EVERYTHING))
    assert ids(page) == ["lw-withdrawn"]


async def test_created_and_published_date_ranges(loaded_backend: SearchBackend) -> None:
    since = NOW - 10 * DAY
    page = await loaded_backend.search(q(created_from=since))
    assert set(ids(page)) == {d.id for d in VISIBLE if d.created_at >= since}
    page = await loaded_backend.search(q(created_from=NOW - 30 * DAY, created_to=NOW - 25 * DAY))
    assert set(ids(page)) == {"lw-bus", "lw-press"}  # both bounds inclusive
    page = await loaded_backend.search(q(published_to=NOW - 40 * DAY, sort="newest"))
    assert ids(page) == ["rw-leaflet", "lw-logo"]
    page = await loaded_backend.search(q(created_from=NOW, created_to=NOW - DAY))
    assert page.total == 0


async def test_alt_text_and_credit_are_searchable_and_rank_in_order(
    loaded_backend: SearchBackend,
) -> None:
    # "lantern": src-poster's alt text, author-talk's credit, rw-leaflet's body text.
    page = await loaded_backend.search(q("lantern"))
    assert ids(page) == ["src-poster", "author-talk", "rw-leaflet"]
    assert ids(await loaded_backend.search(q("marlow"))) == ["lw-bus"]


async def test_filter_values_with_syntax_are_data(loaded_backend: SearchBackend) -> None:
    for field in ("audiences", "languages", "orientations", "statuses", "tags_all"):
        hostile = ('x" OR status = "draft', "landscape' OR 1=1 --", "*", "]")
        query = dataclasses.replace(q(), **{field: hostile})  # type: ignore[arg-type]
        page = await loaded_backend.search(query)
        assert page.total == 0, field


# -- facets ------------------------------------------------------------------------------------

ALL_FACETS = ("kind", "campaign", "tags", "audience", "orientation")


async def test_audience_and_orientation_facets(loaded_backend: SearchBackend) -> None:
    page = await loaded_backend.search(q(facets=ALL_FACETS))
    assert page.facets["audience"] == dict(Counter(a for d in VISIBLE for a in d.audience))
    assert page.facets["orientation"] == dict(
        Counter(d.orientation for d in VISIBLE if d.orientation)
    )


async def test_a_facet_ignores_its_own_filter_but_follows_the_others(
    loaded_backend: SearchBackend,
) -> None:
    page = await loaded_backend.search(
        q(kinds=("image",), orientations=("landscape",), facets=ALL_FACETS)
    )
    both = [d for d in VISIBLE if d.kind == "image" and d.orientation == "landscape"]
    assert set(ids(page)) == {d.id for d in both} and page.total == len(both)
    # kind: counted with the orientation filter only; orientation: with the kind filter only.
    landscape = [d for d in VISIBLE if d.orientation == "landscape"]
    images = [d for d in VISIBLE if d.kind == "image"]
    assert page.facets["kind"] == dict(Counter(d.kind for d in landscape))
    assert page.facets["orientation"] == dict(Counter(d.orientation for d in images))
    # Facets without a filter of their own follow both filters.
    assert page.facets["campaign"] == dict(Counter(d.campaign for d in both))
    assert page.facets["audience"] == dict(Counter(a for d in both for a in d.audience))


async def test_facets_ignoring_a_filter_stay_within_visibility_and_text(
    loaded_backend: SearchBackend,
) -> None:
    page = await loaded_backend.search(q("summer", campaigns=("nope",), facets=("campaign",)))
    assert page.total == 0
    assert page.facets["campaign"] == {"summer-reading": 2}  # not the 3 hidden ones
    page = await loaded_backend.search(q(tags=("children",), facets=("tags", "kind")))
    children = [d for d in VISIBLE if "children" in d.tags]
    assert page.facets["tags"] == dict(Counter(t for d in VISIBLE for t in d.tags))
    assert page.facets["kind"] == dict(Counter(d.kind for d in children))
    assert not set(ids(page)) & HIDDEN_IDS


# -- synonyms ----------------------------------------------------------------------------------


def _with_word(word: str) -> set[str]:
    fields = ("title", "description", "campaign_name", "alt_text", "credit", "body")
    return {
        d.id
        for d in VISIBLE
        if word in " ".join(getattr(d, f) for f in fields).lower() or word in d.tags
    }


async def test_synonyms_expand_words_one_way(loaded_backend: SearchBackend) -> None:
    assert ids(await loaded_backend.search(q("kids"))) == []
    await loaded_backend.set_synonyms({"kids": ["children"], "teens": ["young people"]})
    page = await loaded_backend.search(q("kids"))
    assert set(ids(page)) == _with_word("children")
    # A multi-word target: "young people" (lw-bus) joins "teens" itself (code-club).
    assert set(ids(await loaded_backend.search(q("teens")))) == {"code-club", "lw-bus"}
    # One way: "children" does not find "kids" documents (there are none to find anyway),
    # and "young" finds only what says "young".
    assert set(ids(await loaded_backend.search(q("young")))) == {"lw-bus"}
    # Replacing the set drops the old entries.
    await loaded_backend.set_synonyms({})
    assert ids(await loaded_backend.search(q("kids"))) == []


async def test_synonyms_with_other_words_and_filters(loaded_backend: SearchBackend) -> None:
    await loaded_backend.set_synonyms({"kids": ["children"]})
    page = await loaded_backend.search(q("kids poster"))
    assert ids(page) == ["src-poster"]
    page = await loaded_backend.search(q("kids", kinds=("document",)))
    assert set(ids(page)) == {"src-bookmark", "rw-leaflet"}


async def test_malformed_synonyms_are_value_errors(search_backend: SearchBackend) -> None:
    for bad in ({"": ["x"]}, {"kids": "children"}, {"kids": ["x"] * 21}):
        with pytest.raises(ValueError):
            await search_backend.set_synonyms(bad)  # type: ignore[arg-type]


# -- more like this ----------------------------------------------------------------------------


async def test_similar_ranks_shared_tags_campaign_and_audience(
    loaded_backend: SearchBackend,
) -> None:
    hits = await loaded_backend.similar("src-poster", STAFF)
    # bookmark: tags children+reading (6) + campaign (2) + audience children (1) = 9;
    # leaflet: tag children (3) + audiences children, families (2); banner: 3 + 1; bus: 1.
    assert [h.id for h in hits] == ["src-bookmark", "rw-leaflet", "xss-banner", "lw-bus"]
    assert [round(h.score) for h in hits] == [9, 5, 4, 1]
    assert [h.id for h in await loaded_backend.similar("src-poster", STAFF, limit=2)] == [
        "src-bookmark",
        "rw-leaflet",
    ]


async def test_similar_stays_within_visibility(loaded_backend: SearchBackend) -> None:
    hits = await loaded_backend.similar("src-poster", EVERYTHING, limit=20)
    assert {"src-draft", "src-embargoed", "src-expired"} <= {h.id for h in hits}
    assert "src-poster" not in {h.id for h in hits}
    assert await loaded_backend.similar("src-draft", STAFF) == []  # not visible: nothing
    assert await loaded_backend.similar("no-such-id", STAFF) == []
    assert await loaded_backend.similar('x" OR id != "y', STAFF) == []
    with pytest.raises(ValueError, match="limit"):
        await loaded_backend.similar("src-poster", STAFF, limit=0)


# -- did you mean ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("chalenge", "challenge"),
        ("summer readng chalenge", "summer reading challenge"),
        ("librareis week", "libraries week"),
        ("poster", None),
        ("summ", None),  # a prefix being typed is not a typo
        ("zzqxv", None),
    ],
)
async def test_did_you_mean(
    loaded_backend: SearchBackend, text: str, suggestion: str | None
) -> None:
    page = await loaded_backend.search(q(text))
    assert page.suggestion == suggestion


async def test_did_you_mean_never_reveals_hidden_words(loaded_backend: SearchBackend) -> None:
    # "medal" is only in the embargoed asset's title.
    page = await loaded_backend.search(q("meddal"))
    assert page.total == 0
    assert page.suggestion is None


# -- rebuild and versions ----------------------------------------------------------------------


async def test_rebuild_swaps_in_a_new_index_while_searches_answer(
    loaded_backend: SearchBackend,
) -> None:
    renamed = dataclasses.replace(
        next(d for d in DOCUMENTS if d.id == "src-bookmark"), title="Autumn bookmark", version=2
    )
    new_set = [renamed, *(d for d in DOCUMENTS if d.id not in {"src-bookmark", "lw-bus"})]
    late = dataclasses.replace(
        next(d for d in DOCUMENTS if d.id == "lw-logo"), id="late-logo", title="Late logo"
    )
    seen_during: list[list[str]] = []

    async def source() -> AsyncIterator[SearchDocument]:
        for i, doc in enumerate(new_set):
            if i == 3:
                # Mid-rebuild: the old index still answers, and writes still land.
                seen_during.append(ids(await loaded_backend.search(q("bus"))))
                await loaded_backend.upsert([late])
                await loaded_backend.delete(["lw-press"])
            yield doc

    progress: list[int] = []
    count = await loaded_backend.rebuild(source(), progress=progress.append)
    assert seen_during == [["lw-bus"]]
    assert count == len(new_set)  # + late-logo - lw-press
    assert progress and progress[-1] == len(new_set) and progress == sorted(progress)
    assert await loaded_backend.count() == len(new_set)
    assert ids(await loaded_backend.search(q("bus"))) == []
    assert ids(await loaded_backend.search(q("autumn"))) == ["src-bookmark"]
    assert ids(await loaded_backend.search(q("late logo"))) == ["late-logo"]
    assert ids(await loaded_backend.search(q("press release"))) == []
    versions = await loaded_backend.document_versions()
    assert versions["src-bookmark"] == 2
    assert set(versions) == ({d.id for d in new_set} | {"late-logo"}) - {"lw-press"}


async def test_rebuild_from_a_plain_iterable(search_backend: SearchBackend) -> None:
    assert await search_backend.rebuild(DOCUMENTS) == len(DOCUMENTS)
    assert await search_backend.rebuild([]) == 0
    assert await search_backend.count() == 0


async def test_document_versions(loaded_backend: SearchBackend) -> None:
    assert await loaded_backend.document_versions() == {d.id: d.version for d in DOCUMENTS}
    await loaded_backend.upsert([dataclasses.replace(DOCUMENTS[0], version=7)])
    await loaded_backend.delete([DOCUMENTS[1].id])
    versions = await loaded_backend.document_versions()
    assert versions[DOCUMENTS[0].id] == 7 and DOCUMENTS[1].id not in versions


async def test_version_digest_follows_every_change(loaded_backend: SearchBackend) -> None:
    digest = await loaded_backend.version_digest()
    if digest is None:
        assert loaded_backend.name == "meilisearch"  # no sum aggregation: ids compared always
        return
    assert digest == (len(DOCUMENTS), sum(d.version for d in DOCUMENTS))
    await loaded_backend.upsert(
        [dataclasses.replace(DOCUMENTS[0], version=DOCUMENTS[0].version + 4)]
    )
    await loaded_backend.delete([DOCUMENTS[1].id])
    expected = sum(d.version for d in DOCUMENTS) + 4 - DOCUMENTS[1].version
    assert await loaded_backend.version_digest() == (len(DOCUMENTS) - 1, expected)
    assert await loaded_backend.rebuild([]) == 0
    assert await loaded_backend.version_digest() == (0, 0)
