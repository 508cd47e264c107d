"""EmbeddedSearchBackend: an in-process full-text engine on tantivy's Python bindings.

The index lives in a directory on local disk (``embedded://./var/search``), so it suits one
app process; several replicas need Meilisearch. User text never reaches tantivy's query
parser: it is tokenised with the index's own analyzer and the query tree is built here, so
quotes, colons, ``OR``, parentheses and ``*`` are plain characters that simply never match.
Filters and visibility are ``Must`` clauses of that same tree, which is why totals and facet
counts can never include documents the caller may not see.
"""

from __future__ import annotations

import html
import os
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import tantivy
from tantivy import FieldType, Occur, Order, Query

from assets_hub.errors import ConfigError
from assets_hub.search.base import (
    FACET_FIELDS,
    Hit,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
    Visibility,
)
from assets_hub.threads import run_blocking

VARIABLE = "ASSETS_HUB_SEARCH_URL"
T = TypeVar("T")

# Limits shared with the Meilisearch adapter so both backends answer the same query alike.
MAX_QUERY_CHARS = 512  # SECURITY.md DOS-03; the API rejects longer, we truncate defensively
MAX_QUERY_WORDS = 10  # Meilisearch ignores words after the tenth; so do we
MAX_PER_PAGE = 100  # DOS-03
MAX_WINDOW = 10_000  # deepest hit reachable by paging (page * per_page); total stays exact
FACET_SIZE = 100  # facet values returned per facet field
MAX_TOKEN_CHARS = 40  # longer "words" are not indexed (tantivy's default), so never match

# Searchable fields, strongest first. Boosts multiply BM25 for exact words; a typo or prefix
# match scores a constant FUZZY_WEIGHT * boost, below any exact match in the same field.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 8.0),
    ("tags_text", 4.0),
    ("campaign_name", 2.0),
    ("description", 1.0),
    ("body", 0.5),
)
FUZZY_WEIGHT = 0.5
KEYWORD_FIELDS = ("kind", "campaign", "tags", "status")
INT_FIELDS = (
    "created_at",
    "published_at",
    "embargo_until",
    "expires_at",
    "downloads",
    "version",
)
SORT_FIELDS: dict[str, tuple[str, Order]] = {
    "newest": ("created_at", Order.Desc),
    "downloads": ("downloads", Order.Desc),
    "title": ("title_sort", Order.Asc),
}
TOKENIZER = "hub"
SNIPPET_CHARS = 160
# Body text can be long: a snippet is looked for near its start only, which also keeps the
# highlighting of a page cheap.
SNIPPET_SCAN_CHARS = 5_000

WRITER_HEAP_BYTES = 128_000_000
WRITER_THREADS = 0  # 0 = one per core, at most 8 (and as the heap allows)
MIN_HEAP_PER_THREAD = 15_000_000


def typo_budget(word: str) -> int:
    """Typos allowed in a query word, as Meilisearch's defaults: 0 below 5 letters, 2 from 9."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


# Quotes, brackets and dashes (curly quotes and en/em dashes written as escapes) that should
# not decide where a title sorts: '"Summer" poster' sorts under S.
_LEADING_PUNCTUATION = " \t\"'\u201c\u2018([{<-\u2013\u2014_.,:;!?*#"


def title_sort_key(title: str) -> str:
    """The A-Z sort key of a title: accents folded, case folded, leading punctuation ignored."""
    folded = unicodedata.normalize("NFKD", title)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return folded.lstrip(_LEADING_PUNCTUATION).strip()


def clamp_paging(query: SearchQuery) -> tuple[int, int]:
    """(offset, limit) for a query: per_page in 1..100, pages past the window come back empty."""
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = max(query.page, 1)
    offset = (page - 1) * per_page
    if offset >= MAX_WINDOW:
        return MAX_WINDOW, 0
    return offset, min(per_page, MAX_WINDOW - offset)


def requested_facets(query: SearchQuery) -> tuple[str, ...]:
    """The facet fields asked for that exist; unknown names are ignored (the API answers 400)."""
    return tuple(dict.fromkeys(f for f in query.facets if f in FACET_FIELDS))


def _analyzer(*, for_index: bool) -> tantivy.TextAnalyzer:
    # Split on non-alphanumerics, lowercase and fold accents so "Café" finds "cafe", as
    # Meilisearch's normaliser does. Query text is not length-filtered: an over-long word must
    # stay a word (that matches nothing) rather than vanish and turn the query into "show all".
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    if for_index:
        builder = builder.filter(tantivy.Filter.remove_long(MAX_TOKEN_CHARS))
    return builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build()


def build_schema() -> tantivy.Schema:
    """The index schema derived from SearchDocument (see the module docstring for the why)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name, _boost in TEXT_FIELDS:
        # Positions are kept for phrase/proximity features later (issue 5) and highlighting.
        sb.add_text_field(name, stored=name != "tags_text", tokenizer_name=TOKENIZER)
    for name in KEYWORD_FIELDS:
        # Raw (untokenised) and fast: exact filters, and terms aggregations for facet counts.
        sb.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title_sort", fast=True, tokenizer_name="raw", index_option="basic")
    for name in INT_FIELDS:
        sb.add_integer_field(name, indexed=True, fast=True)
    return sb.build()


def to_tantivy_document(doc: SearchDocument) -> tantivy.Document:
    """One SearchDocument as a tantivy Document of the schema above."""
    return tantivy.Document(
        id=doc.id,
        title=doc.title,
        tags_text=list(doc.tags),
        campaign_name=doc.campaign_name,
        description=doc.description,
        body=doc.body,
        kind=doc.kind,
        campaign=doc.campaign,
        tags=list(doc.tags),
        status=doc.status,
        title_sort=title_sort_key(doc.title),
        created_at=doc.created_at,
        published_at=doc.published_at,
        embargo_until=doc.embargo_until,
        expires_at=doc.expires_at,
        downloads=doc.downloads,
        version=doc.version,
    )


@dataclass(frozen=True)
class QueryWord:
    """One word of the user's text with the matching rules both engine and highlighter use."""

    text: str
    typos: int
    prefix: bool

    def matches(self, token: str) -> bool:
        """Whether an indexed token would be matched by this word (mirrors the engine query)."""
        if token == self.text or (self.prefix and token.startswith(self.text)):
            return True
        if self.typos == 0:
            return False
        if not self.prefix and abs(len(token) - len(self.text)) > self.typos:
            return False
        return _within(self.text, token, self.typos, prefix=self.prefix)


def _within(word: str, token: str, budget: int, *, prefix: bool) -> bool:
    """Whether ``word`` is at most ``budget`` edits from ``token`` (or, with ``prefix``, from
    some prefix of it); a transposition of neighbours costs 1, as in tantivy's automaton.

    Budgets are 0-2, so a depth-limited search beats a full DP table: the common head is
    skipped, then each of the four edits is tried at the first difference.
    """
    same = 0
    shortest = min(len(word), len(token))
    while same < shortest and word[same] == token[same]:
        same += 1
    word, token = word[same:], token[same:]
    if not prefix:
        # The common tail is free too (for a whole-word match only).
        tail = 0
        shortest = min(len(word), len(token))
        while tail < shortest and word[-1 - tail] == token[-1 - tail]:
            tail += 1
        if tail:
            word, token = word[:-tail], token[:-tail]
        if abs(len(word) - len(token)) > budget:
            return False
    if not word:
        return prefix or len(token) <= budget
    if not token:
        return len(word) <= budget
    if budget == 0:
        return False
    rest = budget - 1
    return (
        _within(word[1:], token[1:], rest, prefix=prefix)  # substitution
        or _within(word[1:], token, rest, prefix=prefix)  # a letter too many in the word
        or _within(word, token[1:], rest, prefix=prefix)  # a letter missing from the word
        or (
            len(word) > 1
            and len(token) > 1
            and word[0] == token[1]
            and word[1] == token[0]
            and _within(word[2:], token[2:], rest, prefix=prefix)  # transposition
        )
    )


class Highlighter:
    """Marks matched words in stored text: everything HTML-escaped except our own <mark> tags.

    tantivy's SnippetGenerator only knows exact terms (fuzzy and prefix queries expose none),
    so a typo match would go unmarked; this reuses the query's own matching rules instead.
    """

    def __init__(self, analyzer: tantivy.TextAnalyzer, words: Sequence[QueryWord]) -> None:
        self._analyzer = analyzer
        self._words = tuple(words)
        self._memo: dict[str, bool] = {}

    def _is_match(self, token: str) -> bool:
        found = self._memo.get(token)
        if found is None:
            found = self._memo[token] = any(w.matches(token) for w in self._words)
        return found

    def _spans(self, text: str) -> list[tuple[int, int]]:
        # Most stored texts of a page hold no match: one bulk analyze() call (strings only)
        # rules them out cheaply; offsets are asked for only when something matched.
        memo = self._memo
        words = self._analyzer.analyze(text)
        if not any(memo[w] if w in memo else self._is_match(w) for w in words):
            return []
        # any() stopped at the first match: later words may not be in the memo yet.
        tokens = self._analyzer.pre_tokenize(text).tokens
        return [(t.char_offset_from, t.char_offset_to) for t in tokens if self._is_match(t.text)]

    def whole(self, text: str) -> str:
        """The full text (a title) with matches marked."""
        return _render(text, self._spans(text), 0, len(text))

    def snippet(self, text: str) -> str | None:
        """About SNIPPET_CHARS around the first match, or None when nothing matches."""
        head = text[:SNIPPET_SCAN_CHARS]
        spans = self._spans(head)
        if not spans:
            return None
        first = spans[0][0]
        start = max(0, first - SNIPPET_CHARS // 4)
        if start > 0:  # start on a word boundary rather than mid-word
            space = head.find(" ", start, first)
            start = space + 1 if space != -1 else first
        end = min(len(head), start + SNIPPET_CHARS)
        if end < len(head):
            space = head.rfind(" ", max(first, start), end)
            end = space if space > first else end
        inside = [(a, b) for a, b in spans if a >= start and b <= end]
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        return prefix + _render(head, inside, start, end).strip() + suffix


def _render(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def parse_embedded_url(url: str) -> Path:
    """The index directory named by ``embedded://./relative`` or ``embedded:///absolute``."""
    parts = urlsplit(url)
    if parts.scheme != "embedded" or not url.startswith("embedded://"):
        raise ConfigError(VARIABLE, f"expected embedded://DIR, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(VARIABLE, f"embedded search URLs take no options: {url!r}")
    if "@" in parts.netloc:
        raise ConfigError(VARIABLE, f"embedded search URLs name a directory, not a host: {url!r}")
    raw = parts.netloc + parts.path
    if not raw or raw == "/":
        raise ConfigError(
            VARIABLE, f"no directory in {url!r}; use embedded://./var/search or embedded:///abs"
        )
    # Resolved once, so a later chdir cannot move the index.
    return Path(raw).resolve()


class EmbeddedSearchBackend:
    """tantivy in-process: one IndexWriter per instance behind a lock, readers lock-free."""

    name = "embedded"
    capabilities = frozenset({"facets", "highlights", "typo_tolerance", "prefix", "sort"})

    def __init__(
        self,
        directory: Path,
        *,
        writer_heap_bytes: int = WRITER_HEAP_BYTES,
        writer_threads: int = WRITER_THREADS,
    ) -> None:
        self.directory = directory
        self._writer_heap_bytes = writer_heap_bytes
        self._writer_threads = writer_threads
        self._schema = build_schema()
        self._index_analyzer = _analyzer(for_index=True)
        self._query_analyzer = _analyzer(for_index=False)
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        # Guards opening the index and every writer call: IndexWriter is not meant to be
        # shared by concurrent threads, and delete+add+commit must not interleave.
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 2.0) -> EmbeddedSearchBackend:
        """Build from ``embedded://DIR``; ``timeout_s`` is unused (there is no network)."""
        return cls(parse_embedded_url(url))

    # -- lifecycle ---------------------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        index = self._index
        if index is not None:  # no lock: searches must not wait behind a commit
            return index
        with self._lock:
            if self._index is not None:
                return self._index
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(self._schema, path=str(self.directory), reuse=True)
            except (ValueError, OSError) as exc:
                raise SearchUnavailable(
                    f"cannot open the index in {self.directory}: {exc} (if the schema changed, "
                    "move the directory aside and run a reindex)"
                ) from exc
            index.register_tokenizer(TOKENIZER, self._index_analyzer)
            # Reloads are explicit after each commit, so a write is visible when it returns.
            index.config_reader(reload_policy="manual")
            self._index = index
            return index

    def _writer_for(self, index: tantivy.Index) -> tantivy.IndexWriter:
        # Caller holds the lock. The writer takes the directory's lock file, so only the
        # first writer of a directory succeeds: a second process gets SearchUnavailable.
        if self._writer is None:
            try:
                threads = self._writer_threads or min(8, os.cpu_count() or 1)
                # tantivy refuses less than ~15 MB of heap per indexing thread.
                threads = max(1, min(threads, self._writer_heap_bytes // MIN_HEAP_PER_THREAD))
                self._writer = index.writer(self._writer_heap_bytes, threads)
            except ValueError as exc:
                raise SearchUnavailable(f"cannot write to {self.directory}: {exc}") from exc
        return self._writer

    async def _run(self, func: Callable[[], T]) -> T:
        try:
            return await run_blocking("search", func)
        except BaseException as exc:
            # A Rust panic in the bindings arrives as pyo3's PanicException, a BaseException
            # that cannot be imported by name; it is an engine failure, not a reason to crash.
            if type(exc).__name__ == "PanicException":
                raise SearchUnavailable(f"search engine failure: {exc}") from exc
            raise

    async def setup(self) -> None:
        """Create the directory and index if missing and take the writer; safe to repeat."""

        def work() -> None:
            index = self._open()
            with self._lock:
                self._writer_for(index)

        await self._run(work)

    async def aclose(self) -> None:
        """Let background merges finish and release the writer's directory lock."""

        def work() -> None:
            with self._lock:
                writer, self._writer = self._writer, None
                self._index = None
            if writer is not None:
                writer.wait_merging_threads()

        await self._run(work)

    # -- writes ------------------------------------------------------------------------------

    def _write(self, apply: Callable[[tantivy.IndexWriter], None]) -> None:
        index = self._open()
        with self._lock:
            writer = self._writer_for(index)
            try:
                apply(writer)
                writer.commit()
            except (ValueError, OSError) as exc:
                writer.rollback()
                raise SearchUnavailable(f"index write failed: {exc}") from exc
            index.reload()

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Delete by id then add, all in one commit; searchable when this returns."""
        if not documents:
            return
        prepared = [(doc.id, to_tantivy_document(doc)) for doc in documents]

        def apply(writer: tantivy.IndexWriter) -> None:
            # A delete only removes documents added before it (by opstamp), so the pairs in
            # order also make a batch holding the same id twice keep just the last version.
            for doc_id, document in prepared:
                writer.delete_documents_by_term("id", doc_id)
                writer.add_document(document)

        await self._run(lambda: self._write(apply))

    async def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        if not ids:
            return

        def apply(writer: tantivy.IndexWriter) -> None:
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)

        await self._run(lambda: self._write(apply))

    # -- reads -------------------------------------------------------------------------------

    async def count(self) -> int:
        """How many (non-deleted) documents the index holds."""
        return await self._run(lambda: int(self._open().searcher().num_docs))

    async def ping(self) -> None:
        """SearchUnavailable unless the directory exists, is writable and the index opens."""

        def work() -> None:
            index = self._open()
            if not self.directory.is_dir() or not os.access(self.directory, os.W_OK):
                raise SearchUnavailable(f"index directory {self.directory} is not writable")
            if not tantivy.Index.exists(str(self.directory)):
                raise SearchUnavailable(f"no index in {self.directory}")
            index.searcher()

        await self._run(work)

    async def search(self, query: SearchQuery) -> SearchPage:
        """Hits, exact total and facet counts, every one within ``query.visibility``."""
        return await self._run(lambda: self.search_sync(query))

    def search_sync(self, query: SearchQuery, *, highlights: bool = True) -> SearchPage:
        """The blocking body of ``search`` (bench/search.py calls it directly).

        ``highlights=False`` skips the Python-side marking, about half the time of a page.
        """
        facets = requested_facets(query)
        empty = SearchPage(hits=[], total=0, facets={f: {} for f in facets})
        if query.visibility.statuses is not None and not query.visibility.statuses:
            return empty
        index = self._open()
        searcher = index.searcher()
        words = self.query_words(query.text)
        text_query = self._text_query(words)
        engine_query = Query.boolean_query(
            [(Occur.Must, text_query), *((Occur.Must, f) for f in self._filters(query))]
        )
        offset, limit = clamp_paging(query)
        fetch = max(limit, 1)  # tantivy panics on limit 0; a page past the window drops it
        sort = query.sort if query.sort in SORT_FIELDS else "relevance"
        if sort == "relevance" and not words:
            sort = "newest"  # nothing to rank by: the latest first is the useful order
        try:
            if sort == "relevance":
                result = searcher.search(engine_query, fetch, count=True, offset=offset)
            else:
                field, order = SORT_FIELDS[sort]
                result = searcher.search(
                    engine_query,
                    fetch,
                    count=True,
                    offset=offset,
                    order_by_field=field,
                    order=order,
                )
            counts = self._facet_counts(searcher, engine_query, facets)
        except ValueError as exc:
            raise SearchUnavailable(f"search failed: {exc}") from exc
        highlighter = Highlighter(self._index_analyzer, words) if words and highlights else None
        hits: list[Hit] = []
        for score, address in result.hits[:limit]:
            stored = searcher.doc(address)
            doc_id = str(stored.get_first("id"))
            marked = self._highlights(stored, highlighter) if highlighter else {}
            value = float(score) if sort == "relevance" else 0.0
            hits.append(Hit(id=doc_id, score=value, highlights=marked))
        # SearchResult.count exists at run time (count=True) but is missing from the stub.
        counted = result.count  # type: ignore[attr-defined]
        total = int(counted) if counted is not None else len(hits)
        return SearchPage(hits=hits, total=total, facets=counts)

    # -- query building ----------------------------------------------------------------------

    def query_words(self, text: str) -> list[QueryWord]:
        """Plain words of the user's text (operators and quotes are just separators)."""
        tokens = self._query_analyzer.analyze(text[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        last = len(tokens) - 1
        return [
            QueryWord(text=tok, typos=typo_budget(tok), prefix=i == last)
            for i, tok in enumerate(tokens)
        ]

    def _text_query(self, words: Sequence[QueryWord]) -> Query:
        if not words:
            return Query.all_query()
        # Every word must match somewhere (Meilisearch's matchingStrategy "all").
        return Query.boolean_query([(Occur.Must, self._word_query(w)) for w in words])

    def _word_query(self, word: QueryWord) -> Query:
        if len(word.text) > MAX_TOKEN_CHARS:
            return Query.empty_query()  # such tokens are never indexed
        clauses: list[tuple[Occur, Query]] = []
        for field, boost in TEXT_FIELDS:
            exact = Query.term_query(self._schema, field, word.text)
            clauses.append((Occur.Should, Query.boost_query(exact, boost)))
            if word.typos or word.prefix:
                loose = Query.fuzzy_term_query(
                    self._schema,
                    field,
                    word.text,
                    distance=word.typos,
                    transposition_cost_one=True,
                    prefix=word.prefix,
                )
                clauses.append((Occur.Should, Query.boost_query(loose, boost * FUZZY_WEIGHT)))
        return Query.boolean_query(clauses)

    def _filters(self, query: SearchQuery) -> list[Query]:
        schema = self._schema
        filters = [
            Query.term_set_query(schema, field, list(values))
            for field, values in (
                ("kind", query.kinds),
                ("campaign", query.campaigns),
                ("tags", query.tags),
            )
            if values
        ]
        filters.extend(self._visibility_filters(query.visibility))
        return filters

    def _visibility_filters(self, visibility: Visibility) -> list[Query]:
        schema = self._schema
        filters: list[Query] = []
        if visibility.statuses is not None:
            filters.append(Query.term_set_query(schema, "status", sorted(visibility.statuses)))
        if visibility.enforce_time:
            now = int(visibility.now)
            filters.append(
                Query.range_query(schema, "embargo_until", FieldType.Integer, upper_bound=now)
            )
            filters.append(
                Query.range_query(
                    schema, "expires_at", FieldType.Integer, lower_bound=now, include_lower=False
                )
            )
        return filters

    def _facet_counts(
        self, searcher: tantivy.Searcher, engine_query: Query, facets: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        if not facets:
            return {}
        # Terms aggregations over the fast columns, run on the same query as the hits:
        # counts follow the active filters and visibility by construction.
        request = {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in facets}
        result: dict[str, Any] = searcher.aggregate(engine_query, request)
        return {
            f: {str(b["key"]): int(b["doc_count"]) for b in result.get(f, {}).get("buckets", [])}
            for f in facets
        }

    @staticmethod
    def _highlights(stored: tantivy.Document, highlighter: Highlighter) -> dict[str, str]:
        title = stored.get_first("title")
        found = {"title": highlighter.whole(str(title or ""))}
        for field in ("description", "body"):
            text = stored.get_first(field)
            snippet = highlighter.snippet(str(text)) if text else None
            if snippet is not None:
                found[field] = snippet
                break  # one snippet: the description's if it matches, else the body's
        return found
