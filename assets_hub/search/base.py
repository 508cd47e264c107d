"""The SearchBackend interface, its query and result types, and its errors.

Contract (tests/search/test_search_contract.py runs it against every backend):
- ``upsert`` replaces documents by id (applying the same document twice is harmless);
- ``delete`` by id is idempotent;
- ``search`` applies the query's visibility *inside* the engine query, so totals and facet
  counts never include what the caller may not see; time-based rules use ``visibility.now``;
- a word of a title finds the document right after ``upsert`` returns;
- engine failures raise SearchUnavailable; a query the engine cannot parse is never an error
  (user text is always treated as plain words);
- a query that cannot be answered as asked (text over 512 characters, page < 1, per_page
  outside 1..100, an unknown sort or facet name, over 100 values in one filter) raises
  ValueError with a message fit for a 400, before the engine is asked; pages past the
  10,000-deep window are empty, with the exact total;
- facet counts leave out the facet's own filter (ticking "image" still counts every kind)
  but apply every other filter, the text and visibility.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assets_hub.errors import BackendUnavailable

FACET_FIELDS = ("kind", "campaign", "tags", "audience", "orientation")
SORTS = ("relevance", "newest", "downloads", "title")
# Time bounds stored for "no embargo" and "never expires", so range filters stay simple.
NO_EMBARGO = 0
NEVER_EXPIRES = 2**53 - 1


class SearchUnavailable(BackendUnavailable):
    """The search engine did not answer (or answered with an error)."""

    def __init__(self, detail: str) -> None:
        super().__init__("search", detail)


class IndexBusy(SearchUnavailable):
    """Another process holds the index's one writer: the change waits in the outbox, kept."""


@dataclass(frozen=True)
class SearchDocument:
    """One asset as the search engine sees it (built by search.documents from the database)."""

    id: str
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    campaign: str = ""
    campaign_name: str = ""
    kind: str = "image"
    status: str = "published"
    created_at: int = 0
    published_at: int = 0
    embargo_until: int = NO_EMBARGO
    expires_at: int = NEVER_EXPIRES
    downloads: int = 0
    version: int = 1
    body: str = ""  # weakest field: text extracted from PDFs and case studies
    audience: tuple[str, ...] = ()  # e.g. children, young people, adults, families
    language: str = "en"
    orientation: str = ""  # landscape | portrait | square | "" (documents)
    alt_text: str = ""
    credit: str = ""


@dataclass(frozen=True)
class Visibility:
    """What the caller may see. ``statuses=None`` means every status (editors)."""

    statuses: frozenset[str] | None = frozenset({"published"})
    now: int = 0
    enforce_time: bool = True  # embargo_until <= now < expires_at

    @classmethod
    def everything(cls) -> Visibility:
        return cls(statuses=None, enforce_time=False)


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    kinds: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # any of
    tags_all: tuple[str, ...] = ()  # all of
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    orientations: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # a filter editors may add; visibility still applies
    created_from: int | None = None  # unix seconds, inclusive
    created_to: int | None = None
    published_from: int | None = None
    published_to: int | None = None
    visibility: Visibility = field(default_factory=Visibility)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = ("kind", "campaign")


@dataclass(frozen=True)
class Hit:
    id: str
    score: float = 0.0
    highlights: dict[str, str] = field(default_factory=dict)  # field -> HTML-escaped, <mark>ed


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None  # "did you mean" when the words matched only through typos


class SearchBackend(Protocol):
    """A full-text engine holding SearchDocuments."""

    name: str
    capabilities: frozenset[str]

    async def setup(self) -> None:
        """Create the index and apply its settings; safe to call at every start-up."""
        ...

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Add or replace documents by id; returns once they are searchable."""
        ...

    async def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        ...

    async def search(self, query: SearchQuery) -> SearchPage:
        """Matching ids (with highlights), the total and facet counts, all within visibility."""
        ...

    async def similar(self, document_id: str, visibility: Visibility, limit: int = 6) -> list[Hit]:
        """ "More like this": up to ``limit`` documents sharing tags, campaign or audience.

        Ranked by 3 per shared tag, 2 for the same campaign, 1 per shared audience (ties:
        newest first); never the document itself; only documents ``visibility`` allows, and
        [] when the document is unknown or not visible. ValueError unless 1 <= limit <= 100.
        """
        ...

    async def set_synonyms(self, synonyms: dict[str, list[str]]) -> None:
        """Replace the editors' synonyms: {"kids": ["children"], "teens": ["young people"]}.

        One-way (a word also finds its synonyms, not the reverse; list both for mutual ones),
        targets may be phrases, and synonyms match exactly (no typos). Applied to every
        later search without a reindex. ValueError for malformed input.
        """
        ...

    async def rebuild(
        self,
        documents: AsyncIterator[SearchDocument] | Iterable[SearchDocument],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the whole index by ``documents`` without downtime; returns the new count.

        Builds aside, then swaps atomically: searches keep answering from the old index until
        the swap. Writes made meanwhile through this backend are replayed on the new index.
        ``progress`` is called with the number of documents written so far. RuntimeError if
        a rebuild is already running.
        """
        ...

    async def document_versions(self) -> dict[str, int]:
        """Every indexed id with its version, to compare with the database (SR-04)."""
        ...

    async def version_digest(self) -> tuple[int, int] | None:
        """(document count, sum of versions), if the engine can tell cheaply; else None.

        Reconciliation compares it with the database's and skips the id-by-id comparison of
        ``document_versions`` when they agree (see services.search_admin.reconcile).
        """
        ...

    async def count(self) -> int:
        """How many documents the index holds (for reconciliation and health)."""
        ...

    async def ping(self) -> None:
        """Raise SearchUnavailable if the engine cannot be reached."""
        ...

    async def housekeeping(self, requeue: Callable[[list[str]], Awaitable[None]]) -> None:
        """The writer process's upkeep between outbox passes (the indexer calls it).

        The embedded engine swaps in an index another process built (``assets-hub reindex``
        beside the service) and hands ``requeue`` the ids written meanwhile, so the indexer
        applies them again from the database. Engines with nothing to do return at once.
        """
        ...

    async def release_writer(self) -> None:
        """Stop being the index's writer (this process lost the search-writer lease)."""
        ...

    async def aclose(self) -> None:
        """Release the engine's resources."""
        ...
