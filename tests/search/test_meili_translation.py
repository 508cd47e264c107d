"""Pure translation tests for the Meilisearch adapter: no HTTP, no server."""

from __future__ import annotations

import json
import re

import pytest

from assets_hub.errors import ConfigError
from assets_hub.search.base import NEVER_EXPIRES, SearchDocument, SearchQuery, Visibility
from assets_hub.search.meili import (
    POST_TAG,
    PRE_TAG,
    document_json,
    filter_expression,
    parse_meili_url,
    parse_search_response,
    quote_filter_value,
    render_highlight,
    search_body,
    settings_payload,
)
from assets_hub.search.meili_translate import (
    MAX_PAYLOAD_BYTES,
    REQUIRED_ACTIONS,
    encoded_batches,
    facet_bodies,
    missing_permissions,
    rank_similar,
    similar_body,
    suggestion_from_hits,
)

NOW = 1_780_000_000
STAFF = Visibility(now=NOW)
SCOPE = f'(status IN ["published"]) AND (embargo_until <= {NOW}) AND (expires_at > {NOW})'


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("children", '"children"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("\\", '"\\\\"'),
        ('\\"', '"\\\\\\""'),  # backslash first, so an escaped quote cannot be un-escaped
        ('" OR status = "draft" OR tags = "', '"\\" OR status = \\"draft\\" OR tags = \\""'),
        ("", '""'),
    ],
)
def test_quote_filter_value(value: str, quoted: str) -> None:
    assert quote_filter_value(value) == quoted


def test_the_visibility_scope_is_always_in_the_filter() -> None:
    assert filter_expression(SearchQuery(visibility=STAFF)) == SCOPE


def test_filters_are_anded_with_quoted_values() -> None:
    query = SearchQuery(
        kinds=("image", "logo"),
        campaigns=("summer-reading",),
        tags=('" OR status = "draft" OR tags = "', "kids"),
        visibility=STAFF,
    )
    assert filter_expression(query) == (
        '(kind IN ["image", "logo"]) AND (campaign IN ["summer-reading"]) AND '
        '(tags IN ["\\" OR status = \\"draft\\" OR tags = \\"", "kids"]) AND ' + SCOPE
    )


def test_statuses_and_time_rules_follow_the_visibility() -> None:
    editors = Visibility(statuses=frozenset({"review", "draft", "published"}), now=5)
    assert filter_expression(SearchQuery(visibility=editors)) == (
        '(status IN ["draft", "published", "review"]) AND (embargo_until <= 5) AND (expires_at > 5)'
    )
    assert filter_expression(SearchQuery(visibility=Visibility.everything())) is None


def test_search_body() -> None:
    query = SearchQuery(
        text="summer readng",
        kinds=("image",),
        visibility=STAFF,
        sort="downloads",
        page=3,
        per_page=25,
        facets=("kind", "tags", "bogus"),
    )
    assert search_body(query) == {
        "q": "summer readng",
        "filter": '(kind IN ["image"]) AND ' + SCOPE,
        # kind has its own filter active: it is counted by a separate body (facet_bodies).
        "facets": ["tags"],
        "sort": ["downloads:desc"],
        "page": 3,
        "hitsPerPage": 25,
        "attributesToRetrieve": ["id", "title", "description"],
        "attributesToHighlight": ["title", "description"],
        "attributesToCrop": ["description"],
        "cropLength": 30,
        "cropMarker": "…",
        "highlightPreTag": PRE_TAG,
        "highlightPostTag": POST_TAG,
        "matchingStrategy": "all",
        "showRankingScore": True,
    }


@pytest.mark.parametrize(
    ("sort", "text", "expected"),
    [
        ("relevance", "poster", None),
        ("relevance", "", ["created_at:desc"]),  # nothing to rank: newest first
        ("relevance", "  *( ", ["created_at:desc"]),
        ("newest", "poster", ["created_at:desc"]),
        ("title", "", ["title_sort:asc"]),
        ("nonsense", "poster", None),
    ],
)
def test_sort(sort: str, text: str, expected: list[str] | None) -> None:
    body = search_body(SearchQuery(text=text, sort=sort, visibility=STAFF))
    assert body.get("sort") == expected


def test_paging_and_query_length_are_capped() -> None:
    body = search_body(SearchQuery(text="x" * 2000, page=-1, per_page=10_000))
    assert len(body["q"]) == 512
    assert body["page"] == 1
    assert body["hitsPerPage"] == 100
    assert search_body(SearchQuery(per_page=0))["hitsPerPage"] == 1


def test_settings_payload() -> None:
    assert settings_payload() == {
        "searchableAttributes": [
            "title",
            "tags",
            "campaign_name",
            "description",
            "alt_text",
            "credit",
            "body",
        ],
        "filterableAttributes": [
            "id",
            "kind",
            "campaign",
            "tags",
            "audience",
            "language",
            "orientation",
            "status",
            "embargo_until",
            "expires_at",
            "created_at",
            "published_at",
        ],
        "sortableAttributes": ["created_at", "downloads", "title_sort"],
        "rankingRules": [
            "sort",
            "words",
            "typo",
            "proximity",
            "attributeRank",
            "wordPosition",
            "exactness",
        ],
        "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": 100_000_000},
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
    }


def test_document_json() -> None:
    doc = SearchDocument(
        id="0b7f3c2e-5d1a-4c1e-9a57-1f0e2d3c4b5a",
        title=f"\u00c9t\u00e9 poster {PRE_TAG}forged{POST_TAG}",
        description="d",
        tags=("kids", "summer"),
        campaign="summer-reading",
        campaign_name="Summer Reading",
        created_at=10,
        downloads=3,
    )
    assert document_json(doc) == {
        "id": "0b7f3c2e-5d1a-4c1e-9a57-1f0e2d3c4b5a",
        "title": "\u00c9t\u00e9 poster forged",
        "title_sort": "ete poster forged",
        "description": "d",
        "tags": ["kids", "summer"],
        "campaign": "summer-reading",
        "campaign_name": "Summer Reading",
        "kind": "image",
        "status": "published",
        "created_at": 10,
        "published_at": 0,
        "embargo_until": 0,
        "expires_at": NEVER_EXPIRES,
        "downloads": 3,
        "version": 1,
        "body": "",
        "audience": [],
        "language": "en",
        "orientation": None,
        "alt_text": "",
        "credit": "",
    }


@pytest.mark.parametrize("bad_id", ["", "a/b", "a b", "é", "x" * 512, "../etc"])
def test_document_ids_are_checked(bad_id: str) -> None:
    with pytest.raises(ValueError, match="must match"):
        document_json(SearchDocument(id=bad_id, title="t"))


@pytest.mark.parametrize(
    ("tagged", "html"),
    [
        (
            f"Summer {PRE_TAG}Reading{POST_TAG} <script>",
            "Summer <mark>Reading</mark> &lt;script&gt;",
        ),
        (f"{PRE_TAG}a&b{POST_TAG}", "<mark>a&amp;b</mark>"),
        (f"{PRE_TAG}open", "<mark>open</mark>"),  # unbalanced: closed for it
        (f"stray{POST_TAG} {PRE_TAG}{PRE_TAG}x{POST_TAG}", "stray <mark>x</mark>"),
        ('"quoted" <mark>', "&quot;quoted&quot; &lt;mark&gt;"),
    ],
)
def test_render_highlight(tagged: str, html: str) -> None:
    assert render_highlight(tagged) == html


# Recorded as Meilisearch answers q="readng": "readng" is the last query word, so a prefix
# term, and milli's search/new/matches/matching_words.rs (match_unique_words) marks only its
# 6 typed characters of the matched word "reading": "Readin", then a bare "g" (PR #3726).
RECORDED_RESPONSE = {
    "hits": [
        {
            "id": "a1",
            "title": "Summer Reading <b>Challenge</b>",
            "description": "Long text",
            "_formatted": {
                "id": "a1",
                "title": f"Summer {PRE_TAG}Readin{POST_TAG}g &lt;b&gt;Challenge&lt;/b&gt;",
                "description": f"…the {PRE_TAG}readin{POST_TAG}g <i>challenge</i>…",
            },
            "_rankingScore": 0.93,
        },
        {
            "id": "b2",
            "title": "Reading Well",
            "description": "No match here",
            "_formatted": {
                "id": "b2",
                "title": f"{PRE_TAG}Readin{POST_TAG}g Well",
                "description": "No match here",
            },
            "_rankingScore": 0.5,
        },
    ],
    "query": "readng",
    "processingTimeMs": 1,
    "hitsPerPage": 20,
    "page": 1,
    "totalPages": 1,
    "totalHits": 2,
    "facetDistribution": {"kind": {"image": 1, "document": 1}, "tags": {"kids": 2}},
    "facetStats": {},
}


def test_parse_search_response() -> None:
    query = SearchQuery(text="readng", facets=("kind", "campaign"))
    page = parse_search_response(RECORDED_RESPONSE, query)
    assert page.total == 2
    assert [h.id for h in page.hits] == ["a1", "b2"]
    assert page.hits[0].score == pytest.approx(0.93)
    assert page.hits[0].highlights == {
        # Meilisearch returns stored text raw; "&lt;" in a title stays text, escaped again.
        "title": "Summer <mark>Reading</mark> &amp;lt;b&amp;gt;Challenge&amp;lt;/b&amp;gt;",
        "description": "…the <mark>reading</mark> &lt;i&gt;challenge&lt;/i&gt;…",
    }
    assert page.hits[1].highlights == {"title": "<mark>Reading</mark> Well"}
    assert page.facets == {"kind": {"image": 1, "document": 1}, "campaign": {}}
    # "readng" matched only as "reading": the marked words give the did-you-mean.
    assert page.suggestion == "reading"


def test_parse_search_response_without_words_or_facets() -> None:
    page = parse_search_response({"hits": [{"id": "x"}], "totalHits": 1}, SearchQuery(facets=()))
    assert page.hits[0].highlights == {}
    assert page.total == 1
    assert page.facets == {}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("meilisearch+http://127.0.0.1:7700", ("http://127.0.0.1:7700", None, "assets")),
        (
            "meilisearch+https://search.example.org:443?api_key=s3cr%2Bt&index=assets_v2",
            ("https://search.example.org:443", "s3cr+t", "assets_v2"),
        ),
        ("meilisearch+http://meili:7700/?api_key=", ("http://meili:7700", None, "assets")),
    ],
)
def test_parse_meili_url(url: str, expected: tuple[str, str | None, str]) -> None:
    assert parse_meili_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "meilisearch://host:7700",
        "meilisearch+http://",
        "meilisearch+http://key@host:7700",
        "meilisearch+http://host:notaport",
        "meilisearch+http://host:7700?apikey=x",
        "meilisearch+http://host:7700?index=a/b",
        "meilisearch+http://host:7700?index=a&index=b",
    ],
)
def test_malformed_meili_urls(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_meili_url(url)
    assert "ASSETS_HUB_SEARCH_URL" in caught.value.problems


# -- issue 5 additions -------------------------------------------------------------------------


def test_new_filters_are_anded_quoted_and_numeric() -> None:
    query = SearchQuery(
        audiences=("young people", 'x" OR "1'),
        languages=("cy",),
        orientations=("landscape",),
        tags=("kids",),
        tags_all=("reading", 'a"b'),
        created_from=10,
        created_to=20,
        published_to=30,
        visibility=STAFF,
    )
    assert filter_expression(query) == (
        '(tags IN ["kids"]) AND (audience IN ["young people", "x\\" OR \\"1"]) AND '
        '(language IN ["cy"]) AND (orientation IN ["landscape"]) AND (tags = "reading") AND '
        '(tags = "a\\"b") AND (created_at >= 10) AND (created_at <= 20) AND '
        "(published_at <= 30) AND " + SCOPE
    )


def test_status_filter_narrows_the_visibility_statuses() -> None:
    editors = Visibility(statuses=frozenset({"draft", "published"}), now=NOW)
    query = SearchQuery(statuses=("draft", "withdrawn"), visibility=editors)
    assert filter_expression(query) == (
        f'(status IN ["draft"]) AND (embargo_until <= {NOW}) AND (expires_at > {NOW})'
    )
    anything = SearchQuery(statuses=("withdrawn",), visibility=Visibility.everything())
    assert filter_expression(anything) == '(status IN ["withdrawn"])'


def test_facets_with_their_own_filter_get_a_count_only_body() -> None:
    query = SearchQuery(
        text="poster",
        kinds=("image",),
        tags=("kids",),
        visibility=STAFF,
        facets=("kind", "campaign", "tags"),
    )
    assert search_body(query)["facets"] == ["campaign"]
    assert facet_bodies(query) == [
        (
            "kind",
            {
                "q": "poster",
                "limit": 0,
                "facets": ["kind"],
                "matchingStrategy": "all",
                "filter": '(tags IN ["kids"]) AND ' + SCOPE,
            },
        ),
        (
            "tags",
            {
                "q": "poster",
                "limit": 0,
                "facets": ["tags"],
                "matchingStrategy": "all",
                "filter": '(kind IN ["image"]) AND ' + SCOPE,
            },
        ),
    ]
    assert facet_bodies(SearchQuery(facets=("kind",), visibility=STAFF)) == []


def test_extra_facet_answers_replace_the_main_distribution() -> None:
    query = SearchQuery(kinds=("image",), facets=("kind", "campaign"))
    main = {"hits": [], "totalHits": 0, "facetDistribution": {"campaign": {"a": 1}}}
    extra = {"kind": {"hits": [], "facetDistribution": {"kind": {"image": 3, "logo": 1}}}}
    page = parse_search_response(main, query, extra)
    assert page.facets == {"kind": {"image": 3, "logo": 1}, "campaign": {"a": 1}}


@pytest.mark.parametrize(
    ("text", "marked", "expected"),
    [
        ("chalenge", [f"Summer {PRE_TAG}Challenge{POST_TAG}"], "challenge"),
        ("reading", [f"{PRE_TAG}Reading{POST_TAG} Well"], None),
        ("summ", [f"{PRE_TAG}Summ{POST_TAG}er"], None),  # a prefix, not a typo
        (
            "librareis week",
            [f"{PRE_TAG}Libraries{POST_TAG} {PRE_TAG}Week{POST_TAG}"],
            "libraries week",
        ),
        # "wek" is 3 letters: no typo allowed, so it is left as typed.
        (
            "librareis wek",
            [f"{PRE_TAG}Libraries{POST_TAG} {PRE_TAG}Week{POST_TAG}"],
            "libraries wek",
        ),
        (
            "librareis weeks",
            [f"{PRE_TAG}Libraries{POST_TAG} {PRE_TAG}Week{POST_TAG}"],
            "libraries week",
        ),
        ("x", [], None),
    ],
)
def test_suggestion_from_hits(text: str, marked: list[str], expected: str | None) -> None:
    assert suggestion_from_hits(text, marked) == expected


def test_similar_body_and_ranking() -> None:
    values = {"tags": ["kids", "reading"], "campaign": ["src"], "audience": ["children"]}
    body = similar_body("doc-1", values, STAFF)
    assert body == {
        "q": "",
        "filter": (
            '(tags IN ["kids", "reading"] OR campaign IN ["src"] OR audience IN ["children"])'
            ' AND (id != "doc-1") AND (status IN ["published"]) AND '
            f"(embargo_until <= {NOW}) AND (expires_at > {NOW})"
        ),
        "limit": 100,
        "sort": ["created_at:desc"],
        "attributesToRetrieve": ["id", "tags", "campaign", "audience", "created_at"],
    }
    assert similar_body("doc-1", {"tags": [], "campaign": [""]}, STAFF) is None
    candidates = [
        {"id": "a", "tags": ["kids"], "campaign": "other", "audience": [], "created_at": 5},
        {"id": "b", "tags": ["kids", "reading"], "campaign": "src", "created_at": 1},
        {"id": "c", "tags": [], "campaign": "src", "audience": ["children"], "created_at": 9},
        {"id": "d", "tags": ["kids"], "campaign": "x", "audience": [], "created_at": 7},
        {"id": "e", "tags": ["none"], "campaign": "x", "created_at": 9},
    ]
    hits = rank_similar(values, candidates, 10)
    # Equal scores: newest first.
    assert [(h.id, h.score) for h in hits] == [("b", 8.0), ("c", 3.0), ("d", 3.0), ("a", 3.0)]
    assert [h.id for h in rank_similar(values, candidates, 1)] == ["b"]


# -- issue 21: as a real Meilisearch answers ---------------------------------------------------


def test_prefix_marks_are_extended_to_the_whole_word() -> None:
    """q="readng chalenge": "readng" is not the last word, so it is marked whole ("Reading",
    an exact derivation); "chalenge" is the prefix term and only its 8 typed characters of
    "challenge" are marked, leaving a bare "e" (milli search/new/matches/matching_words.rs,
    match_unique_words: ``word.char_indices().take(original_char_count)``)."""
    recorded = {
        "hits": [
            {
                "id": "src-poster",
                "_formatted": {
                    "id": "src-poster",
                    "title": f"Summer {PRE_TAG}Reading{POST_TAG} {PRE_TAG}Challeng{POST_TAG}e"
                    " poster",
                    "description": f"A3 poster announcing the {PRE_TAG}challeng{POST_TAG}e at",
                },
                "_rankingScore": 0.9,
            }
        ],
        "totalHits": 1,
    }
    page = parse_search_response(recorded, SearchQuery(text="readng chalenge", facets=()))
    assert page.hits[0].highlights == {
        "title": "Summer <mark>Reading</mark> <mark>Challenge</mark> poster",
        "description": "A3 poster announcing the <mark>challenge</mark> at",
    }
    assert page.suggestion == "reading challenge"
    # Accented words extend too; a mark already ending at a word boundary is unchanged.
    assert render_highlight(f"{PRE_TAG}Caf{POST_TAG}\u00e9 {PRE_TAG}au{POST_TAG} lait") == (
        "<mark>Caf\u00e9</mark> <mark>au</mark> lait"
    )


def test_ranking_rules_put_sort_first() -> None:
    """Meilisearch's default rankingRules (milli criterion.rs, default_criteria) are words,
    typo, proximity, attributeRank, sort, wordPosition, exactness: a sort then only breaks
    relevance ties. The embedded engine sorts every match, so "sort" goes first."""
    rules = settings_payload()["rankingRules"]
    assert rules[0] == "sort"
    default = ["words", "typo", "proximity", "attributeRank", "sort", "wordPosition", "exactness"]
    assert sorted(rules) == sorted(default)
    assert [r for r in rules if r != "sort"] == [r for r in default if r != "sort"]


@pytest.mark.parametrize(
    "text",
    [
        '"summer reading"',
        'unbalanced "quote swallows the rest',
        "poster -draft",
        "-draft poster",
        "--draft",
        'summer -"secret plan"',
        "poster\t-draft",
    ],
)
def test_quotes_and_leading_minus_are_not_query_syntax(text: str) -> None:
    """milli search/new/query_term/parse_query.rs: a double quote opens/closes a phrase (an
    unclosed one makes the rest of the query a phrase) and a "-" token after whitespace (or at
    the start) negates the next word or phrase. Both are sent as spaces."""
    query = SearchQuery(text=text, tags=("kids",), facets=("tags",), visibility=STAFF)
    sent = [search_body(query)["q"]] + [body["q"] for _f, body in facet_bodies(query)]
    for q in sent:
        assert '"' not in q
        assert not re.search(r"(^|\s)-", q), q
        assert q.split() == text.replace('"', " ").replace("-", " ").split()


def test_hyphens_inside_words_are_kept() -> None:
    assert search_body(SearchQuery(text="e-book co-op"))["q"] == "e-book co-op"


def test_suggestions_and_has_words_use_the_original_text() -> None:
    recorded = {
        "hits": [{"id": "a", "_formatted": {"title": f"{PRE_TAG}Reading{POST_TAG} Well"}}],
        "totalHits": 1,
    }
    page = parse_search_response(recorded, SearchQuery(text='"readng" well', facets=()))
    assert page.hits[0].highlights == {"title": "<mark>Reading</mark> Well"}
    assert page.suggestion == "reading well"


def test_rebuild_bodies_stay_under_the_payload_limit() -> None:
    """Meilisearch refuses a body over http_payload_size_limit ("100 MB" by default,
    meilisearch/src/option.rs DEFAULT_HTTP_PAYLOAD_SIZE_LIMIT) with 413 payload_too_large
    (tests/documents/add_documents.rs, error_add_documents_payload_size)."""
    assert 10_000_000 <= MAX_PAYLOAD_BYTES <= 20_000_000
    docs = [{"id": f"d{i}", "body": "é" * 40_000} for i in range(60)]  # 80 kB of UTF-8 each
    bodies = list(encoded_batches(docs, limit=1_000_000))
    assert all(len(b) <= 1_000_000 for b in bodies)
    assert len(bodies) == 5  # 12 documents of 80 kB per MB
    assert [d["id"] for b in bodies for d in json.loads(b)] == [d["id"] for d in docs]
    assert list(encoded_batches([])) == []


def test_far_pages_ask_for_no_hits_and_a_straddling_page_is_cut() -> None:
    """With maxTotalHits raised, Meilisearch would rank offset + limit documents for a far
    page (search/mod.rs prepare_search: offset = min(offset, maxTotalHits)); past the
    10,000-deep window hitsPerPage 0 asks for the exact total only ("Set to 0 to obtain the
    exhaustive totalHits count without returning any documents", search/mod.rs SearchQuery;
    tests/search/pagination.rs). maxTotalHits is a NonZeroUsize (meilisearch-types
    settings.rs PaginationSettings)."""
    assert settings_payload()["pagination"]["maxTotalHits"] >= 10_000_000
    far = search_body(SearchQuery(page=101, per_page=100))
    assert (far["page"], far["hitsPerPage"]) == (1, 0)
    assert search_body(SearchQuery(page=100, per_page=100))["hitsPerPage"] == 100
    # Page 334 of 30 starts at 9,990: only 10 of its hits are inside the window.
    straddling = SearchQuery(page=334, per_page=30, facets=())
    recorded = {"hits": [{"id": f"h{i}"} for i in range(30)], "totalHits": 25_000}
    page = parse_search_response(recorded, straddling)
    assert [h.id for h in page.hits] == [f"h{i}" for i in range(10)]
    assert page.total == 25_000


SCOPED_KEY = {
    # GET /keys/{key} (meilisearch/src/routes/api_key.rs, KeyView); action names from
    # meilisearch-types keys.rs.
    "uid": "01b4bc42-eb33-4041-b481-254d00cce834",
    "key": "d0552b41536279a0ad88bd595327b96f01176a60c2243e906c52ac02375f9bc4",
    "name": "assets hub",
    "description": None,
    "actions": [
        "search",
        "documents.add",
        "documents.get",
        "documents.delete",
        "indexes.create",
        "indexes.get",
        "indexes.delete",
        "indexes.swap",
        "settings.get",
        "settings.update",
        "tasks.get",
        "stats.get",
    ],
    "indexes": ["assets", "assets_rebuild_*"],
    "expiresAt": None,
    "createdAt": "2026-11-12T10:00:00Z",
    "updatedAt": "2026-11-12T10:00:00Z",
}


READS = {"search", "documents.get", "indexes.get", "settings.get", "tasks.get", "stats.get"}


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        ({"actions": ["*"], "indexes": ["*"]}, []),
        (
            {
                "actions": ["documents.*", "indexes.*", "settings.*", "*.get"],
                "indexes": ["assets*"],
            },
            [],
        ),
        ({"indexes": ["assets"]}, ["not allowed on index assets_rebuild_* (indexes: ['assets'])"]),
        (
            {"actions": [a for a in SCOPED_KEY["actions"] if a not in ("indexes.swap", "search")]},
            ["lacks search", "lacks indexes.swap"],
        ),
        ({"actions": ["*.get"]}, [f"lacks {a}" for a in REQUIRED_ACTIONS if a not in READS]),
    ],
)
def test_missing_permissions(changes: dict[str, object], problems: list[str]) -> None:
    assert missing_permissions({**SCOPED_KEY, **changes}, "assets") == problems
