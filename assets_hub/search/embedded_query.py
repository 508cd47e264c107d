"""Query trees for the embedded engine: words, synonyms, filters, visibility, facets, similar.

User text never reaches tantivy's query parser: words come from the index's analyzer and the
tree is built here, so quotes, colons, ``OR``, parentheses and ``*`` are plain characters that
simply never match. Filters and visibility are ``Must``/``MustNot`` clauses of the same tree,
which is why totals and facet counts can never include what the caller may not see.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import tantivy
from tantivy import FieldType, Occur, Query

from assets_hub.search.analysis import FACET_SIZE, MAX_TOKEN_CHARS, QueryWord
from assets_hub.search.base import SearchQuery, Visibility
from assets_hub.search.embedded_schema import (
    FUZZY_WEIGHT,
    TEXT_FIELDS,
    TIMED,
    TYPO_FIELDS,
    UNPUBLISHED,
)

# Facet field -> the SearchQuery attribute holding that facet's own (any-of) filter, which is
# left out when counting the facet: ticking "image" still shows how many documents there are.
FACET_FILTERS = {
    "kind": "kinds",
    "campaign": "campaigns",
    "tags": "tags",
    "audience": "audiences",
    "orientation": "orientations",
}
ANY_OF_FILTERS = (
    ("kind", "kinds"),
    ("campaign", "campaigns"),
    ("tags", "tags"),
    ("audience", "audiences"),
    ("language", "languages"),
    ("orientation", "orientations"),
)
# "More like this": what one shared value is worth. Constant scores, so the ranking is the
# plain sum (a shared tag outweighs the campaign, which outweighs an audience).
SIMILAR_WEIGHTS = {"tags": 3.0, "campaign": 2.0, "audience": 1.0}
_VISIBILITY_CACHE_SIZE = 64
PUBLISHED_ONLY = frozenset({"published"})


class EmbeddedQueries:
    """Builds tantivy queries for one schema; caches the visibility sub-queries."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        # Visibility trees keyed by (statuses, now, enforce_time): a page of requests in the
        # same second shares one; bounded, oldest dropped first.
        self._visibility: OrderedDict[tuple[Any, ...], list[tuple[Occur, Query]]] = OrderedDict()

    # -- text ----------------------------------------------------------------------------------

    def text(self, words: Sequence[QueryWord]) -> Query | None:
        """Every word must match somewhere (matchingStrategy "all"); None without words."""
        clauses = [(Occur.Must, self._word(w)) for w in words if not w.covered]
        if not clauses:
            return None
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    def _word(self, word: QueryWord) -> Query:
        if word.phrase:
            # A multi-word synonym key: its own words (each as usual) or any synonym.
            key = [QueryWord(t, 0, False) for t in word.phrase]
            base = Query.boolean_query([(Occur.Must, self._plain_word(w)) for w in key])
        else:
            base = self._plain_word(word)
        if not word.synonyms:
            return base
        options = [(Occur.Should, base)]
        options.extend((Occur.Should, self._phrase(p)) for p in word.synonyms)
        return Query.boolean_query(options)

    def _plain_word(self, word: QueryWord) -> Query:
        if len(word.text) > MAX_TOKEN_CHARS:
            return Query.empty_query()  # such tokens are never indexed
        schema = self.schema
        clauses: list[tuple[Occur, Query]] = []
        for field, boost in TEXT_FIELDS:
            exact = Query.term_query(schema, field, word.text)
            clauses.append((Occur.Should, Query.boost_query(exact, boost)))
        if word.typos or word.prefix:
            for field, boost in TYPO_FIELDS:
                loose = Query.fuzzy_term_query(
                    schema,
                    field,
                    word.text,
                    distance=word.typos,
                    transposition_cost_one=True,
                    prefix=word.prefix,
                )
                clauses.append((Occur.Should, Query.boost_query(loose, boost * FUZZY_WEIGHT)))
        return Query.boolean_query(clauses)

    def _phrase(self, words: tuple[str, ...]) -> Query:
        # Synonym targets match exactly (no typos): they are the editors' words, not the user's.
        clauses: list[tuple[Occur, Query]] = []
        for field, boost in TEXT_FIELDS:
            if len(words) == 1:
                inner = Query.term_query(self.schema, field, words[0])
            else:
                inner = Query.phrase_query(self.schema, field, list(words))
            clauses.append((Occur.Should, Query.boost_query(inner, boost)))
        return Query.boolean_query(clauses)

    # -- filters -------------------------------------------------------------------------------

    def filters(self, query: SearchQuery, *, without: str | None = None) -> list[Query]:
        """The query's own filters as Must clauses, leaving out ``without`` (a facet's own)."""
        schema = self.schema
        out: list[Query] = []
        for field, attribute in ANY_OF_FILTERS:
            values = getattr(query, attribute)
            if values and attribute != without:
                out.append(Query.term_set_query(schema, field, list(values)))
        out.extend(Query.term_query(schema, "tags", tag) for tag in query.tags_all)
        for field, low, high in (
            ("created_at", query.created_from, query.created_to),
            ("published_at", query.published_from, query.published_to),
        ):
            if low is not None or high is not None:
                out.append(
                    Query.range_query(
                        schema, field, FieldType.Integer, lower_bound=low, upper_bound=high
                    )
                )
        return out

    def visibility(
        self, visibility: Visibility, statuses: frozenset[str] | None
    ) -> list[tuple[Occur, Query]]:
        """Clauses restricting to ``statuses`` (None: any) and, if enforced, the time window.

        Staff see {"published"}: that is ``MustNot unpublished`` (a short posting list) rather
        than a ``Must`` matching 90 % of the index, which tantivy could pick to lead the
        intersection. Only documents flagged ``timed`` (an embargo or an expiry is set, a few
        percent) can fail the time rules, so the window is a ``MustNot`` over "timed AND
        (embargo_until > now OR expires_at <= now)". Still exact to the second: ``now`` is in
        the tree, and the cache key.
        """
        key = (statuses, int(visibility.now), visibility.enforce_time)
        cached = self._visibility.get(key)
        if cached is not None:
            self._visibility.move_to_end(key)
            return cached
        schema = self.schema
        clauses: list[tuple[Occur, Query]] = []
        if statuses == PUBLISHED_ONLY:
            clauses.append((Occur.MustNot, Query.term_query(schema, UNPUBLISHED, True)))
        elif statuses is not None:
            clauses.append((Occur.Must, Query.term_set_query(schema, "status", sorted(statuses))))
        if visibility.enforce_time:
            now = int(visibility.now)
            # Ranges through the inverted index: they visit only the few distinct future
            # embargo / past expiry values rather than scanning a column.
            outside = Query.boolean_query(
                [
                    (
                        Occur.Should,
                        Query.range_query(
                            schema,
                            "embargo_until",
                            FieldType.Integer,
                            lower_bound=now,
                            include_lower=False,
                            use_inverted_index=True,
                        ),
                    ),
                    (
                        Occur.Should,
                        Query.range_query(
                            schema,
                            "expires_at",
                            FieldType.Integer,
                            upper_bound=now,
                            use_inverted_index=True,
                        ),
                    ),
                ]
            )
            hidden = Query.boolean_query(
                [(Occur.Must, Query.term_query(schema, TIMED, True)), (Occur.Must, outside)]
            )
            clauses.append((Occur.MustNot, hidden))
        self._visibility[key] = clauses
        if len(self._visibility) > _VISIBILITY_CACHE_SIZE:
            self._visibility.popitem(last=False)
        return clauses

    @staticmethod
    def combine(
        main: Query | None, musts: Sequence[Query], scope: Sequence[tuple[Occur, Query]]
    ) -> Query:
        """One boolean tree: the text (or everything), the filters and the visibility scope."""
        # Filters and scope score 0: they decide what matches, never how it ranks (and
        # "more like this" scores stay the plain sum of its weights).
        clauses: list[tuple[Occur, Query]] = []
        if main is not None:
            clauses.append((Occur.Must, main))
        clauses.extend((Occur.Must, Query.const_score_query(m, 0.0)) for m in musts)
        clauses.extend(
            (occur, q if occur == Occur.MustNot else Query.const_score_query(q, 0.0))
            for occur, q in scope
        )
        if not any(occur == Occur.Must for occur, _q in clauses):
            # A tree of MustNot clauses alone matches nothing: start from everything.
            clauses.append((Occur.Must, Query.const_score_query(Query.all_query(), 0.0)))
        if len(clauses) == 1:
            return clauses[0][1]
        return Query.boolean_query(clauses)

    # -- facets and similar --------------------------------------------------------------------

    @staticmethod
    def facet_request(facets: Sequence[str]) -> dict[str, Any]:
        """One terms aggregation per facet field, sent in a single aggregate() call."""
        return {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in facets}

    def similar(self, values: dict[str, list[str]]) -> Query | None:
        """Documents sharing any of ``values`` (field -> values), scored by SIMILAR_WEIGHTS."""
        clauses: list[tuple[Occur, Query]] = []
        for field, weight in SIMILAR_WEIGHTS.items():
            for value in dict.fromkeys(values.get(field, ())):
                if value:
                    term = Query.term_query(self.schema, field, value)
                    clauses.append((Occur.Should, Query.const_score_query(term, weight)))
        return Query.boolean_query(clauses) if clauses else None


def facet_counts(
    searcher: tantivy.Searcher,
    queries: EmbeddedQueries,
    query: SearchQuery,
    facets: Sequence[str],
    engine_query: Query,
    text_query: Query | None,
    scope: list[tuple[Occur, Query]],
) -> dict[str, dict[str, int]]:
    """Counts per facet value: each facet without its own filter, all within the scope."""
    if not facets:
        return {}
    # Facets whose own filter is not active share one aggregate() over the full query;
    # each facet whose own filter is active is counted without that filter.
    shared = [f for f in facets if not getattr(query, FACET_FILTERS[f])]
    requests: list[tuple[Query, list[str]]] = []
    if shared:
        requests.append((engine_query, shared))
    for name in facets:
        if name not in shared:
            own = FACET_FILTERS[name]
            relaxed = queries.combine(text_query, queries.filters(query, without=own), scope)
            requests.append((relaxed, [name]))
    counts: dict[str, dict[str, int]] = {}
    for tree, names in requests:
        result = searcher.aggregate(tree, EmbeddedQueries.facet_request(names))
        for name in names:
            buckets = result.get(name, {}).get("buckets", [])
            counts[name] = {str(b["key"]): int(b["doc_count"]) for b in buckets}
    return {f: counts[f] for f in facets}
