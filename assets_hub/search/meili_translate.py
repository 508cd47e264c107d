"""Pure translation for the Meilisearch adapter: settings, documents, filters, bodies, answers.

No HTTP here, so every function is tested on its own (tests/search/test_meili_translation.py).

Injection (SECURITY.md INJ-04): filter values are always quoted and escaped, never pasted
raw; field names are constants; numbers go through ``int()``; the visibility filter is always
added here, server-side, whatever the query says.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from assets_hub.search.analysis import (
    FACET_SIZE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    MAX_WINDOW,
    facets_of,
    make_analyzer,
    query_words,
    title_sort_key,
    within,
)
from assets_hub.search.base import Hit, SearchDocument, SearchPage, SearchQuery, Visibility

# SECURITY.md SR-03; Meilisearch itself accepts the same alphabet up to 511 bytes.
DOCUMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")

# Highlight tags are private-use code points rather than "<mark>": Meilisearch inserts them
# into raw (unescaped) text, so we escape the text ourselves and only then turn these two
# characters into tags. They are stripped from documents on the way in, so they cannot be
# forged by a title.
PRE_TAG = "\ue000"
POST_TAG = "\ue001"
_TAG_SPLIT = re.compile(f"({PRE_TAG}|{POST_TAG})")
_MARKED = re.compile(f"{PRE_TAG}(.*?){POST_TAG}", re.DOTALL)
# For the last (prefix) query word Meilisearch marks only as many characters as were typed,
# taken from the matched word ("readng" marks "Readin" of "Reading": milli's
# search/new/matches/matching_words.rs, match_unique_words). The rest of that word follows the
# closing tag; it is moved inside so marks and suggestions cover whole words, as embedded.
_PARTIAL_MARK = re.compile(f"{POST_TAG}(\\w+)")
_WORD = re.compile(r"\w")
# Query syntax Meilisearch reads in q (milli's search/new/query_term/parse_query.rs): a double
# quote opens or closes a phrase (an unclosed one swallows the rest of the query) and a "-"
# starting a word excludes it (v1.8+). The interface promises plain words: both become spaces.
_QUERY_SYNTAX = re.compile(r'"|(?<!\w)-')
_ANALYZER = make_analyzer(for_index=False)

# Ranking order (issue 5): title strongest ... body weakest.
SEARCHABLE = ["title", "tags", "campaign_name", "description", "alt_text", "credit", "body"]
FILTERABLE = [
    "id",  # "more like this" excludes the document itself
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
]
SORTABLE = ["created_at", "downloads", "title_sort"]
# Meilisearch's default order (milli's criterion.rs, default_criteria) with "sort" moved first:
# by default it only breaks relevance ties, while the embedded engine (and the interface) sort
# every match. Without a sort in the request the rule does nothing, so relevance is unchanged.
RANKING_RULES = [
    "sort",
    "words",
    "typo",
    "proximity",
    "attributeRank",
    "wordPosition",
    "exactness",
]
# Totals are exact up to maxTotalHits (Meilisearch's search/mod.rs: totalHits is
# min(candidates.len(), maxTotalHits)); the interface promises exact totals, so it is set far
# above any catalogue. Counting is the cardinality of a bitmap Meilisearch builds anyway; what
# maxTotalHits bounds otherwise is how deep a page may reach, and search_body never asks past
# MAX_WINDOW (issue 21, mismatch 8; docs/backends/search.md).
MAX_TOTAL_HITS = 100_000_000
SORTS = {
    "newest": ["created_at:desc"],
    "downloads": ["downloads:desc"],
    "title": ["title_sort:asc"],
}
CROP_WORDS = 30
# SearchQuery attribute -> field, for the any-of filters; FACET_FILTERS: the facet's own.
ANY_OF = (
    ("kinds", "kind"),
    ("campaigns", "campaign"),
    ("tags", "tags"),
    ("audiences", "audience"),
    ("languages", "language"),
    ("orientations", "orientation"),
)
FACET_FILTERS = {
    "kind": "kinds",
    "campaign": "campaigns",
    "tags": "tags",
    "audience": "audiences",
    "orientation": "orientations",
}
# Meilisearch refuses bodies over http_payload_size_limit, "100 MB" by default
# (meilisearch/src/option.rs) with 413 payload_too_large; a rebuild batch of 1,000 documents
# of up to 100,000 characters of body each can pass it, so document bodies are cut here.
MAX_PAYLOAD_BYTES = 16_000_000
# What the rebuild (a temporary index {uid}_rebuild_<hex>, swapped in) and search need.
REQUIRED_ACTIONS = (
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
)
# Read actions, which "*.get" also grants (meilisearch-types keys.rs, Action::is_read).
_READ_ACTIONS = frozenset(
    {"search", "documents.get", "indexes.get", "settings.get", "tasks.get", "stats.get"}
)
SIMILAR_WEIGHTS = {"tags": 3.0, "campaign": 2.0, "audience": 1.0}
SIMILAR_CANDIDATES = 100


def settings_payload() -> dict[str, Any]:
    """Index settings, applied with PATCH at every start-up (idempotent: same body, no-op).

    Synonyms are not here: they belong to the editors (``set_synonyms``), and a PATCH without
    the key leaves them as they are.
    """
    return {
        "searchableAttributes": list(SEARCHABLE),
        "filterableAttributes": list(FILTERABLE),
        "sortableAttributes": list(SORTABLE),
        "rankingRules": list(RANKING_RULES),
        "faceting": {"maxValuesPerFacet": FACET_SIZE, "sortFacetValuesBy": {"*": "count"}},
        # Meilisearch's default is 1,000 (meilisearch-types settings.rs).
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
    }


def _clean(text: str) -> str:
    return text.replace(PRE_TAG, "").replace(POST_TAG, "")


def check_document_id(doc_id: str) -> str:
    """The id unchanged, or ValueError if Meilisearch (and SR-03) would refuse it."""
    if not DOCUMENT_ID.fullmatch(doc_id):
        raise ValueError(f"search document id {doc_id!r} must match {DOCUMENT_ID.pattern}")
    return doc_id


def document_json(doc: SearchDocument) -> dict[str, Any]:
    """One SearchDocument as the JSON object Meilisearch stores."""
    return {
        "id": check_document_id(doc.id),
        "title": _clean(doc.title),
        "title_sort": title_sort_key(_clean(doc.title)),
        "description": _clean(doc.description),
        "tags": [_clean(t) for t in doc.tags],
        "campaign": doc.campaign,
        "campaign_name": _clean(doc.campaign_name),
        "kind": doc.kind,
        "status": doc.status,
        "created_at": doc.created_at,
        "published_at": doc.published_at,
        "embargo_until": doc.embargo_until,
        "expires_at": doc.expires_at,
        "downloads": doc.downloads,
        "version": doc.version,
        "body": _clean(doc.body),
        "audience": list(doc.audience),
        "language": doc.language,
        # null rather than "": documents have no orientation and no "" facet bucket.
        "orientation": doc.orientation or None,
        "alt_text": _clean(doc.alt_text),
        "credit": _clean(doc.credit),
    }


def encoded_batches(
    documents: Sequence[dict[str, Any]], limit: int = MAX_PAYLOAD_BYTES
) -> Iterator[bytes]:
    """The documents as JSON array bodies, in order, each at most ``limit`` bytes.

    A single document over the limit still goes alone (Meilisearch will refuse it with its
    own message; build_document caps body text, so it does not happen).
    """
    parts: list[bytes] = []
    size = 2  # the brackets
    for doc in documents:
        encoded = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        if parts and size + len(encoded) + 1 > limit:
            yield b"[" + b",".join(parts) + b"]"
            parts, size = [], 2
        parts.append(encoded)
        size += len(encoded) + 1
    if parts:
        yield b"[" + b",".join(parts) + b"]"


def _index_allowed(patterns: Sequence[str], uid: str) -> bool:
    # Meilisearch's IndexUidPattern: "*" is any index, "name*" a prefix, else the exact uid.
    return any(uid.startswith(p[:-1]) if p.endswith("*") else p == uid for p in patterns)


def missing_permissions(key: dict[str, Any], index_uid: str) -> list[str]:
    """What a key (a GET /keys/{key} answer) lacks for search and rebuild, as sentences."""
    actions = {str(a) for a in key.get("actions") or []}
    patterns = [str(i) for i in key.get("indexes") or []]
    problems: list[str] = []
    probe = f"{index_uid[:380]}_rebuild_000000000000"  # the shape of rebuild's temporary uid
    for uid, label in ((index_uid, index_uid), (probe, f"{index_uid}_rebuild_*")):
        if not _index_allowed(patterns, uid):
            problems.append(f"not allowed on index {label} (indexes: {patterns})")
    for action in REQUIRED_ACTIONS:
        family = action.split(".")[0] + ".*"
        if not actions & {"*", action, family} and not (
            action in _READ_ACTIONS and "*.get" in actions
        ):
            problems.append(f"lacks {action}")
    return problems


def quote_filter_value(value: str) -> str:
    """A filter string literal: in double quotes, backslash and double quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _any_of(field: str, values: Sequence[str]) -> str:
    # ``field`` is always one of our constants, never user input.
    return f"{field} IN [{', '.join(quote_filter_value(v) for v in values)}]"


def effective_statuses(query: SearchQuery) -> frozenset[str] | None:
    """Visibility statuses narrowed by the query's own status filter (never widened)."""
    allowed = query.visibility.statuses
    if not query.statuses:
        return allowed
    wanted = frozenset(query.statuses)
    return wanted if allowed is None else allowed & wanted


def visibility_filter(
    visibility: Visibility, statuses: frozenset[str] | None = None, *, narrowed: bool = False
) -> list[str]:
    """The scope clauses every search carries (SR-06): status, embargo and expiry."""
    clauses: list[str] = []
    allowed = statuses if narrowed else visibility.statuses
    if allowed is not None:
        clauses.append(_any_of("status", sorted(allowed)))
    if visibility.enforce_time:
        now = int(visibility.now)  # int(): a number, never text, goes into the expression
        clauses.append(f"embargo_until <= {now}")
        clauses.append(f"expires_at > {now}")
    return clauses


def filter_expression(query: SearchQuery, *, without: str | None = None) -> str | None:
    """Every filter of the query ANDed, each value quoted and escaped; None when unfiltered.

    ``without`` names a SearchQuery attribute (a facet's own filter) to leave out.
    """
    clauses = [
        _any_of(field, getattr(query, attribute))
        for attribute, field in ANY_OF
        if getattr(query, attribute) and attribute != without
    ]
    clauses.extend(f"tags = {quote_filter_value(tag)}" for tag in query.tags_all)
    for field, low, high in (
        ("created_at", query.created_from, query.created_to),
        ("published_at", query.published_from, query.published_to),
    ):
        if low is not None:
            clauses.append(f"{field} >= {int(low)}")
        if high is not None:
            clauses.append(f"{field} <= {int(high)}")
    clauses.extend(visibility_filter(query.visibility, effective_statuses(query), narrowed=True))
    if not clauses:
        return None
    return " AND ".join(f"({c})" for c in clauses)


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The POST /indexes/{uid}/search body for a SearchQuery (facets: see facet_bodies)."""
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = max(query.page, 1)
    text = query.text[:MAX_QUERY_CHARS]
    if (page - 1) * per_page >= MAX_WINDOW:
        # Past the window: no hits, only the exact total (hitsPerPage 0 is allowed and ranks
        # nothing), so a far page never makes Meilisearch rank the whole catalogue.
        page, per_page = 1, 0
    body: dict[str, Any] = {
        "q": plain_text(text),
        # page/hitsPerPage (not offset/limit) makes totalHits exact rather than estimated.
        "page": page,
        "hitsPerPage": per_page,
        "attributesToRetrieve": ["id", "title", "description"],
        "attributesToHighlight": ["title", "description"],
        "attributesToCrop": ["description"],
        "cropLength": CROP_WORDS,
        "cropMarker": "…",
        "highlightPreTag": PRE_TAG,
        "highlightPostTag": POST_TAG,
        # Every word must match, as in the embedded engine (the default "last" drops words).
        "matchingStrategy": "all",
        "showRankingScore": True,
    }
    expression = filter_expression(query)
    if expression is not None:
        body["filter"] = expression
    # Unknown names are dropped here too (search() raises ValueError for them first).
    shared = [
        f for f in facets_of(query) if f in FACET_FILTERS and not getattr(query, FACET_FILTERS[f])
    ]
    if shared:
        body["facets"] = shared
    sort = query.sort if query.sort in SORTS else "relevance"
    if sort == "relevance" and not _WORD.search(text):
        sort = "newest"  # nothing to rank by: the latest first is the useful order
    if sort != "relevance":
        body["sort"] = list(SORTS[sort])
    return body


def facet_bodies(query: SearchQuery) -> list[tuple[str, dict[str, Any]]]:
    """One extra count-only search per facet whose own filter is active, without that filter.

    Sent with the main search in one POST /multi-search, so a ticked "image" still shows how
    many documents of every kind there are.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    for facet in facets_of(query):
        own = FACET_FILTERS.get(facet)
        if own is None or not getattr(query, own):
            continue
        body: dict[str, Any] = {
            "q": plain_text(query.text[:MAX_QUERY_CHARS]),
            "limit": 0,
            "facets": [facet],
            "matchingStrategy": "all",
        }
        expression = filter_expression(query, without=own)
        if expression is not None:
            body["filter"] = expression
        out.append((facet, body))
    return out


def plain_text(text: str) -> str:
    """The user's text with Meilisearch's phrase quotes and exclusion minus made spaces."""
    return _QUERY_SYNTAX.sub(" ", text)


def whole_word_marks(text: str) -> str:
    """Meilisearch's tagged text with each mark extended to the end of its word."""
    return _PARTIAL_MARK.sub(lambda m: m.group(1) + POST_TAG, text)


def render_highlight(text: str) -> str:
    """Meilisearch's tagged text as HTML: escaped, our private tags turned into balanced marks.

    A mark that stops inside a word (a prefix match) is extended to the word's end first.
    """
    text = whole_word_marks(text)
    out: list[str] = []
    inside = False
    for piece in _TAG_SPLIT.split(text):
        if piece == PRE_TAG:
            if not inside:
                out.append("<mark>")
                inside = True
        elif piece == POST_TAG:
            if inside:
                out.append("</mark>")
                inside = False
        else:
            out.append(html.escape(piece))
    if inside:
        out.append("</mark>")
    return "".join(out)


def suggestion_from_hits(text: str, formatted: Sequence[str]) -> str | None:
    """Best-effort did-you-mean: the words Meilisearch marked where the query word was typo'd.

    Meilisearch does not report corrections, but it marks what matched: a query word whose
    marked tokens never equal it (nor, for the last word, extend it) matched only through a
    typo, and the most often marked close token replaces it. No hits: None.
    """
    words = query_words(text, _ANALYZER)
    if not words or not formatted:
        return None
    marked: Counter[str] = Counter()
    for snippet in formatted:
        for span in _MARKED.findall(whole_word_marks(snippet)):
            marked.update(_ANALYZER.analyze(span))
    replacements: dict[str, str] = {}
    for word in words:
        if any(t == word.text or (word.prefix and t.startswith(word.text)) for t in marked):
            continue
        close = [(n, t) for t, n in marked.items() if word.typos and word.matches(t)]
        full = [(n, t) for n, t in close if within(word.text, t, word.typos)]
        if full or close:
            replacements[word.text] = max(full or close)[1]
    if not replacements:
        return None
    return " ".join(replacements.get(w.text, w.text) for w in words)


def parse_search_response(
    data: dict[str, Any],
    query: SearchQuery,
    extra_facets: dict[str, dict[str, Any]] | None = None,
) -> SearchPage:
    """A Meilisearch search response as a SearchPage (facets limited to those requested).

    ``extra_facets`` holds the facetDistribution of each facet counted without its filter.
    """
    text = query.text[:MAX_QUERY_CHARS]
    has_words = bool(_WORD.search(text))
    ranked = query.sort == "relevance" and has_words
    hits: list[Hit] = []
    formatted_texts: list[str] = []
    offset = (max(query.page, 1) - 1) * query.per_page
    # A page straddling the 10,000-deep window keeps only the hits inside it, as embedded.
    for raw in data.get("hits", [])[: max(MAX_WINDOW - offset, 0)]:
        highlights: dict[str, str] = {}
        formatted = raw.get("_formatted") or {}
        if has_words:
            if isinstance(formatted.get("title"), str):
                highlights["title"] = render_highlight(formatted["title"])
                formatted_texts.append(formatted["title"])
            snippet = formatted.get("description")
            if isinstance(snippet, str) and PRE_TAG in snippet:
                highlights["description"] = render_highlight(snippet)
                formatted_texts.append(snippet)
        score = float(raw.get("_rankingScore", 0.0)) if ranked else 0.0
        hits.append(Hit(id=str(raw["id"]), score=score, highlights=highlights))
    total = data.get("totalHits", data.get("estimatedTotalHits", len(hits)))
    distribution = dict(data.get("facetDistribution") or {})
    for name, extra in (extra_facets or {}).items():
        distribution[name] = (extra.get("facetDistribution") or {}).get(name) or {}
    facets = {
        name: {str(k): int(v) for k, v in (distribution.get(name) or {}).items()}
        for name in facets_of(query)
    }
    suggestion = suggestion_from_hits(text, formatted_texts) if has_words else None
    return SearchPage(hits=hits, total=int(total), facets=facets, suggestion=suggestion)


def similar_body(
    document_id: str, values: dict[str, list[str]], visibility: Visibility
) -> dict[str, Any] | None:
    """The candidate search for "more like this": any shared value, not itself, visible."""
    shared = [
        _any_of(field, sorted(set(values.get(field, []))))
        for field in SIMILAR_WEIGHTS
        if [v for v in values.get(field, []) if v]
    ]
    if not shared:
        return None
    clauses = [
        " OR ".join(shared),
        f"id != {quote_filter_value(document_id)}",
        *visibility_filter(visibility),
    ]
    return {
        "q": "",
        "filter": " AND ".join(f"({c})" for c in clauses),
        "limit": SIMILAR_CANDIDATES,
        "sort": ["created_at:desc"],
        "attributesToRetrieve": ["id", "tags", "campaign", "audience", "created_at"],
    }


def rank_similar(
    values: dict[str, list[str]], candidates: Sequence[dict[str, Any]], limit: int
) -> list[Hit]:
    """Candidates scored as the embedded engine does (3 per tag, 2 campaign, 1 per audience)."""
    wanted = {field: set(values.get(field, [])) - {""} for field in SIMILAR_WEIGHTS}
    scored: list[tuple[float, int, str]] = []
    for raw in candidates:
        score = 0.0
        for field, weight in SIMILAR_WEIGHTS.items():
            got = raw.get(field)
            got_values = set(got) if isinstance(got, list) else {got}
            score += weight * len(wanted[field] & {str(v) for v in got_values if v})
        if score > 0:
            scored.append((score, int(raw.get("created_at") or 0), str(raw["id"])))
    scored.sort(key=lambda row: (-row[0], -row[1]))
    return [Hit(id=doc_id, score=score) for score, _created, doc_id in scored[:limit]]
