"""Pure translation tests for the Meilisearch adapter: no HTTP, no server."""

from __future__ import annotations

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
    facet_bodies,
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
        "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": 10_000},
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


RECORDED_RESPONSE = {
    "hits": [
        {
            "id": "a1",
            "title": "Summer Reading <b>Challenge</b>",
            "description": "Long text",
            "_formatted": {
                "id": "a1",
                "title": f"Summer {PRE_TAG}Reading{POST_TAG} &lt;b&gt;Challenge&lt;/b&gt;",
                "description": f"…the {PRE_TAG}reading{POST_TAG} <i>challenge</i>…",
            },
            "_rankingScore": 0.93,
        },
        {
            "id": "b2",
            "title": "Reading Well",
            "description": "No match here",
            "_formatted": {
                "id": "b2",
                "title": f"{PRE_TAG}Reading{POST_TAG} Well",
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
