"""EmbeddedSearchBackend: an in-process full-text engine on tantivy's Python bindings.

The index lives under a directory on local disk (``embedded://./var/search``), shared by the
processes of one host; several hosts need Meilisearch. The directory holds one generation of
the index (``index-<hex>/``) named by the ``CURRENT`` file: ``rebuild`` writes a new generation
beside it, then swaps ``CURRENT`` atomically (``os.replace``) and deletes the old one, so
searches keep answering throughout.

One writer, many readers (docs/processes.md): every process opens the index to read, and
before each read looks (two ``stat`` calls) whether ``CURRENT`` or the generation's
``meta.json`` changed, reloading if so: a commit by the writer process is seen by the next
search of any other. Only a process that writes opens an IndexWriter, whose lock file lets one
process at a time have it (``IndexBusy`` otherwise); the app gives that role to the holder of
the ``search-writer`` lease. A rebuild in a process that cannot have the writer (``assets-hub
reindex`` beside the service) builds aside, then hands the swap to the writer through the
``SWAP`` file; while it holds ``rebuild.lock``, the writer journals the ids it writes, and
after the swap hands them to the indexer to apply again (``housekeeping``).
Query trees: embedded_query; schema: embedded_schema; highlights: highlight; shared rules
and limits: analysis.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import tantivy
from tantivy import Occur, Order, Query

from assets_hub.errors import ConfigError
from assets_hub.search.analysis import (
    MAX_PER_PAGE,
    Synonyms,
    facets_of,
    make_analyzer,
    normalise_synonyms,
    paging,
    query_words,
    validate_query,
)
from assets_hub.search.base import (
    Hit,
    IndexBusy,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
    Visibility,
)
from assets_hub.search.embedded_query import EmbeddedQueries, facet_counts
from assets_hub.search.embedded_schema import TOKENIZER, build_schema, to_tantivy_document
from assets_hub.search.embedded_suggest import suggest
from assets_hub.search.highlight import Highlighter, MatchCache, document_highlights
from assets_hub.search.rebuild import Journal, RebuildSource, iterate_batches
from assets_hub.threads import run_blocking

VARIABLE = "ASSETS_HUB_SEARCH_URL"
T = TypeVar("T")

SORT_FIELDS: dict[str, tuple[str, Order]] = {
    "newest": ("created_at", Order.Desc),
    "downloads": ("downloads", Order.Desc),
    "title": ("title_sort", Order.Asc),
}
WRITER_HEAP_BYTES = 128_000_000
# A rebuild writes every document in one commit: a heap this size keeps 100k assets in one
# or two segments (fewer segments = fewer term-dictionary walks per fuzzy word at query time).
REBUILD_HEAP_BYTES = 512_000_000
WRITER_THREADS = 0  # 0 = one per core, at most 8 (and as the heap allows)
MIN_HEAP_PER_THREAD = 15_000_000
CURRENT = "CURRENT"
META = "meta.json"  # tantivy's, rewritten (write-then-rename) by every commit
SYNONYMS_FILE = "synonyms.json"
SWAP = "SWAP"  # a generation built by another process, for the writer to swap in
INIT_LOCK = "init.lock"  # held while the first generation is created
REBUILD_LOCK = "rebuild.lock"  # held by the process rebuilding, for the whole rebuild
JOURNAL = "rebuild.journal"  # ids the writer wrote while another process rebuilt
REPLAY = "replay.journal"  # those ids after the swap, until the indexer queued them again
HAND_OFF_TIMEOUT_S = 120.0  # how long a rebuild waits for the writer to take its generation
REBUILD_BATCH = 2_000
FACET_THREADS = 8
SIMILAR_CANDIDATES = 100  # the best-scored, re-ordered by (score, newest)

log = logging.getLogger(__name__)


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


Signature = tuple[int, int, int] | None  # (inode, mtime, size): changes when it is replaced


def _signature(path: Path) -> Signature:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def _flocked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (waiting for it); released on exit or death."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _locked_elsewhere(path: Path) -> bool:
    """Whether some process holds the exclusive lock on ``path`` (a rebuild is running)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock, if it was granted
    return False


@dataclass
class _Generation:
    """One open index generation: its directory, index and (lazily) its writer."""

    path: Path
    index: tantivy.Index
    writer: tantivy.IndexWriter | None = None
    meta: Signature = None  # of meta.json when this process last reloaded
    queries: EmbeddedQueries = field(init=False)

    def __post_init__(self) -> None:
        self.queries = EmbeddedQueries(self.index.schema)


class EmbeddedSearchBackend:
    """tantivy in-process: at most one IndexWriter per directory (across processes), behind a
    lock; readers lock-free, reloading when another process committed."""

    name = "embedded"
    capabilities = frozenset(
        {
            "facets",
            "highlights",
            "typo_tolerance",
            "prefix",
            "sort",
            "synonyms",
            "similar",
            "suggestions",
            "rebuild",
        }
    )

    def __init__(
        self,
        directory: Path,
        *,
        writer_heap_bytes: int = WRITER_HEAP_BYTES,
        writer_threads: int = WRITER_THREADS,
        rebuild_heap_bytes: int = REBUILD_HEAP_BYTES,
    ) -> None:
        self.directory = directory
        self._writer_heap_bytes = writer_heap_bytes
        self._writer_threads = writer_threads
        self._rebuild_heap_bytes = max(rebuild_heap_bytes, writer_heap_bytes)
        self._schema = build_schema()
        self._index_analyzer = make_analyzer(for_index=True)
        self._query_analyzer = make_analyzer(for_index=False)
        self._live: _Generation | None = None
        self._pointer: Signature = None  # of CURRENT when self._live was chosen
        self._synonyms: Synonyms = {}
        self._synonyms_seen: Signature = None
        self._rebuild_fd: int | None = None  # rebuild.lock, while this process rebuilds
        self._journal: Journal | None = None
        # Guards opening, swapping and every writer call: IndexWriter is not meant to be
        # shared by concurrent threads, and delete+add+commit must not interleave.
        self._lock = threading.Lock()
        self._rebuilding = threading.Lock()
        self._facets: ThreadPoolExecutor | None = None
        self._matches = MatchCache()

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 2.0) -> EmbeddedSearchBackend:
        """Build from ``embedded://DIR``; ``timeout_s`` is unused (there is no network)."""
        return cls(parse_embedded_url(url))

    # -- lifecycle ---------------------------------------------------------------------------

    def _open_index(self, path: Path) -> tantivy.Index:
        try:
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(self._schema, path=str(path), reuse=True)
        except (ValueError, OSError) as exc:
            raise SearchUnavailable(
                f"cannot open the index in {path}: {exc} (if the schema changed, move the "
                "directory aside and run a reindex)"
            ) from exc
        index.register_tokenizer(TOKENIZER, self._index_analyzer)
        # Reloads are explicit after each commit, so a write is visible when it returns.
        index.config_reader(reload_policy="manual")
        return index

    def _open(self) -> _Generation:
        """The live generation, caught up with commits and swaps made by other processes."""
        live = self._live
        # No lock: searches must not wait behind a commit.
        if live is not None and _signature(self.directory / CURRENT) == self._pointer:
            self._catch_up(live)
            return live
        with self._lock:
            return self._open_locked()

    def _catch_up(self, live: _Generation) -> None:
        meta = _signature(live.path / META)
        if meta != live.meta:
            live.meta = meta
            try:
                live.index.reload()
            except ValueError as exc:
                raise SearchUnavailable(f"cannot read {live.path}: {exc}") from exc
        synonyms = _signature(self.directory / SYNONYMS_FILE)
        if synonyms != self._synonyms_seen:
            self._synonyms_seen = synonyms
            self._load_synonyms()

    def _open_locked(self) -> _Generation:
        # Caller holds the lock. A few tries: a swap by another process can move CURRENT
        # (and delete the generation it named) between reading the name and opening it.
        for _attempt in range(3):
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                if (self.directory / META).exists():
                    raise SearchUnavailable(
                        f"{self.directory} holds an index of an older layout: move it aside "
                        "and run a reindex"
                    )
                pointer = _signature(self.directory / CURRENT)
                name = self._current_name()
            except OSError as exc:
                raise SearchUnavailable(f"cannot use {self.directory}: {exc}") from exc
            live = self._live
            if live is not None and name == live.path.name:
                self._pointer = pointer
                self._catch_up(live)
                return live
            if name and tantivy.Index.exists(str(self.directory / name)):
                try:
                    return self._adopt(name, pointer)
                except SearchUnavailable as exc:
                    if "schema does not match" not in str(exc.__cause__):
                        raise
            if name and _signature(self.directory / CURRENT) != pointer:
                continue  # swapped meanwhile: read the new name
            with _flocked(self.directory / INIT_LOCK):
                if _signature(self.directory / CURRENT) != pointer:
                    continue  # another process created or swapped one meanwhile
                if name and (self.directory / name).exists():
                    # Written by an older release: start an empty generation that the
                    # start-up reconcile refills from the database (through the outbox).
                    log.warning(
                        "search index %s has an older schema: starting a new one, refilled "
                        "from the database (or run `assets-hub reindex`)",
                        name,
                    )
                    shutil.rmtree(self.directory / name, ignore_errors=True)
                fresh = f"index-{uuid.uuid4().hex[:12]}"
                generation = self._adopt(fresh, None)
                self._point_to(fresh)
                return generation
        raise SearchUnavailable(f"{self.directory / CURRENT} keeps changing; try again")

    def _current_name(self) -> str:
        try:
            return (self.directory / CURRENT).read_text().strip()
        except FileNotFoundError:
            return ""

    def _adopt(self, name: str, pointer: Signature) -> _Generation:
        # Caller holds the lock.
        path = self.directory / name
        generation = _Generation(path, self._open_index(path), meta=_signature(path / META))
        old, self._live, self._pointer = self._live, generation, pointer
        self._synonyms_seen = _signature(self.directory / SYNONYMS_FILE)
        self._load_synonyms()
        if old is not None and old.writer is not None:
            old.writer.wait_merging_threads()
        return generation

    def _point_to(self, name: str) -> None:
        # Write-then-rename: a crash leaves either the old or the new CURRENT, never half.
        temporary = self.directory / f"{CURRENT}.tmp"
        temporary.write_text(name + "\n")
        os.replace(temporary, self.directory / CURRENT)
        self._pointer = _signature(self.directory / CURRENT)

    def _writer_for(self, generation: _Generation, heap: int | None = None) -> tantivy.IndexWriter:
        # Caller holds the lock. The writer takes the directory's lock file, so only the
        # first writer of a directory succeeds: a second process gets IndexBusy.
        if generation.writer is None:
            heap = heap or self._writer_heap_bytes
            try:
                threads = self._writer_threads or min(8, os.cpu_count() or 1)
                # tantivy refuses less than ~15 MB of heap per indexing thread.
                threads = max(1, min(threads, heap // MIN_HEAP_PER_THREAD))
                generation.writer = generation.index.writer(heap, threads)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise IndexBusy(
                        f"another process is writing to {generation.path}; changes wait in "
                        "the search outbox until this one is the writer"
                    ) from exc
                if not generation.path.exists():  # the writer swapped it away as we looked
                    raise IndexBusy(
                        f"{generation.path} was swapped out by the writer; changes wait in "
                        "the search outbox for the new generation"
                    ) from exc
                raise SearchUnavailable(f"cannot write to {generation.path}: {exc}") from exc
        return generation.writer

    def _facet_pool(self) -> ThreadPoolExecutor:
        pool = self._facets
        if pool is None:
            with self._lock:
                if self._facets is None:
                    # As many as the search pool runs at once (threads.py "search": 8).
                    self._facets = ThreadPoolExecutor(FACET_THREADS, thread_name_prefix="facets")
                pool = self._facets
        return pool

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
        """Create the directory and index if missing (no writer: that waits for a write)."""
        await self._run(self._open)

    async def release_writer(self) -> None:
        """Let merges finish and drop the IndexWriter, so another process can take it."""

        def work() -> None:
            with self._lock:
                live = self._live
                writer = live.writer if live is not None else None
                if live is not None:
                    live.writer = None
            if writer is not None:
                writer.wait_merging_threads()

        await self._run(work)

    async def aclose(self) -> None:
        """Let background merges finish and release the writer's directory lock."""

        def work() -> None:
            with self._lock:
                live, self._live = self._live, None
                pool, self._facets = self._facets, None
            if pool is not None:
                pool.shutdown(wait=True)
            if live is not None and live.writer is not None:
                live.writer.wait_merging_threads()
            self._drop_rebuild_lock()

        await self._run(work)

    # -- writes ------------------------------------------------------------------------------

    def _write(self, apply: Callable[[tantivy.IndexWriter], None], ids: Sequence[str]) -> None:
        live = self._open()
        with self._lock:
            live = self._live or live
            writer = self._writer_for(live)
            try:
                apply(writer)
                writer.commit()
            except (ValueError, OSError) as exc:
                writer.rollback()
                raise SearchUnavailable(f"index write failed: {exc}") from exc
            live.index.reload()
            live.meta = _signature(live.path / META)
            # Checked after the commit: a rebuild that starts later reads the database after
            # this write's state, so only writes it may have missed are journalled.
            if self._rebuild_fd is None and _locked_elsewhere(self.directory / REBUILD_LOCK):
                try:
                    with (self.directory / JOURNAL).open("a", encoding="utf-8") as journal:
                        journal.write("".join(f"{i}\n" for i in ids))
                except OSError as exc:  # the outbox keeps the rows and tries again
                    raise SearchUnavailable(f"cannot journal for the rebuild: {exc}") from exc

    @staticmethod
    def _upsert_into(writer: tantivy.IndexWriter, documents: Sequence[SearchDocument]) -> None:
        # A delete only removes documents added before it (by opstamp), so the pairs in order
        # also make a batch holding the same id twice keep just the last version.
        for doc in documents:
            writer.delete_documents_by_term("id", doc.id)
            writer.add_document(to_tantivy_document(doc))

    @staticmethod
    def _delete_from(writer: tantivy.IndexWriter, ids: Sequence[str]) -> None:
        for doc_id in ids:
            writer.delete_documents_by_term("id", doc_id)

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Delete by id then add, all in one commit; searchable when this returns."""
        if not documents:
            return
        batch = list(documents)

        def apply(writer: tantivy.IndexWriter) -> None:
            self._upsert_into(writer, batch)
            if self._journal is not None:  # a rebuild is running: it replays this too
                self._journal.upserted(batch)

        await self._run(lambda: self._write(apply, [doc.id for doc in batch]))

    async def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        if not ids:
            return
        batch = list(ids)

        def apply(writer: tantivy.IndexWriter) -> None:
            self._delete_from(writer, batch)
            if self._journal is not None:
                self._journal.deleted(batch)

        await self._run(lambda: self._write(apply, batch))

    # -- synonyms ----------------------------------------------------------------------------

    def _load_synonyms(self) -> None:
        path = self.directory / SYNONYMS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        self._synonyms = normalise_synonyms(raw, self._query_analyzer)

    async def set_synonyms(self, synonyms: dict[str, list[str]]) -> None:
        """Replace the synonyms (one-way, applied at query time); kept in the directory."""
        normalised = normalise_synonyms(synonyms, self._query_analyzer)  # ValueError first
        text = json.dumps(synonyms, ensure_ascii=False, sort_keys=True)

        def work() -> None:
            self._open()
            # Its own temporary name: every process of the service saves them at start-up.
            temporary = self.directory / f"{SYNONYMS_FILE}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                temporary.write_text(text, encoding="utf-8")
                os.replace(temporary, self.directory / SYNONYMS_FILE)
            except OSError as exc:
                raise SearchUnavailable(f"cannot save synonyms: {exc}") from exc
            self._synonyms = normalised

        await self._run(work)

    # -- rebuild -----------------------------------------------------------------------------

    async def rebuild(
        self,
        documents: AsyncIterator[SearchDocument] | Iterable[SearchDocument],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a new generation aside, then swap it in; returns how many documents it holds.

        Searches and writes keep working on the live generation meanwhile. When this process
        can be the index's writer, writes made during the build are journalled here and
        replayed on the new generation before the swap (a journalled upsert older than the
        version the build read is skipped). When another process is the writer (the service
        is running), the swap is handed to it: it journals the ids it writes meanwhile and,
        after swapping, gives them to its indexer to apply again from the database (see
        ``housekeeping``). RuntimeError if a rebuild is already running, in any process.
        """
        if not self._rebuilding.acquire(blocking=False):
            raise RuntimeError("a rebuild of this search index is already running")
        try:
            await self._run(self._take_rebuild_lock)
            try:
                if await self._run(self._can_write):
                    return await self._rebuild(documents, progress)
                return await self._rebuild_aside(documents, progress)
            finally:
                await self._run(self._drop_rebuild_lock)
        finally:
            self._rebuilding.release()

    def _take_rebuild_lock(self) -> None:
        self._open()
        fd = os.open(self.directory / REBUILD_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        # A writer's look at the lock (a shared lock for an instant) is no rebuild: retry.
        deadline = time.monotonic() + 1.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RuntimeError(
                        "a rebuild of this search index is already running in another process"
                    ) from None
                time.sleep(0.02)
        self._rebuild_fd = fd
        # Before any document is read: older journal lines belong to an earlier rebuild.
        _remove(self.directory / JOURNAL)

    def _drop_rebuild_lock(self) -> None:
        fd, self._rebuild_fd = self._rebuild_fd, None
        if fd is not None:
            os.close(fd)

    def _can_write(self) -> bool:
        live = self._open()
        with self._lock:
            try:
                self._writer_for(self._live or live)
            except IndexBusy:
                return False
        return True

    async def _fill(
        self,
        fresh: _Generation,
        documents: AsyncIterator[SearchDocument] | Iterable[SearchDocument],
        progress: Callable[[int], None] | None,
    ) -> dict[str, int]:
        """Write every document into ``fresh`` and commit; the ids with the versions read."""
        writer = await self._run(lambda: self._writer_for(fresh, self._rebuild_heap_bytes))
        built: dict[str, int] = {}
        source: RebuildSource = documents

        def add(batch: list[SearchDocument]) -> None:
            for doc in batch:
                if doc.id in built:  # the source repeated an id: the last one wins
                    writer.delete_documents_by_term("id", doc.id)
                built[doc.id] = doc.version
                writer.add_document(to_tantivy_document(doc))

        async for batch in iterate_batches(source, REBUILD_BATCH):
            await self._run(partial(add, batch))
            if progress is not None:
                progress(len(built))
        await self._run(writer.commit)
        return built

    async def _rebuild(
        self,
        documents: AsyncIterator[SearchDocument] | Iterable[SearchDocument],
        progress: Callable[[int], None] | None,
    ) -> int:
        await self._run(self._open)
        name = f"index-{uuid.uuid4().hex[:12]}"
        fresh = _Generation(
            self.directory / name, await self._run(lambda: self._open_index(self.directory / name))
        )
        with self._lock:
            self._journal = journal = Journal()
        try:
            built = await self._fill(fresh, documents, progress)
            return await self._run(lambda: self._swap(fresh, journal, built))
        except BaseException:
            with self._lock:
                self._journal = None
            await self._run(lambda: self._discard(fresh))
            raise

    async def _rebuild_aside(
        self,
        documents: AsyncIterator[SearchDocument] | Iterable[SearchDocument],
        progress: Callable[[int], None] | None,
    ) -> int:
        name = f"index-{uuid.uuid4().hex[:12]}"
        path = self.directory / name
        fresh = _Generation(path, await self._run(lambda: self._open_index(path)))
        swapped = False
        try:
            built = await self._fill(fresh, documents, progress)

            def hand_over() -> None:
                writer, fresh.writer = fresh.writer, None
                if writer is not None:
                    writer.wait_merging_threads()  # its lock goes, so the writer can open it
                temporary = self.directory / f"{SWAP}.tmp"
                temporary.write_text(name + "\n")
                os.replace(temporary, self.directory / SWAP)

            await self._run(hand_over)
            swapped = await self._await_swap(name)
            if not swapped:
                raise SearchUnavailable(
                    f"the running service did not swap in the new index within "
                    f"{HAND_OFF_TIMEOUT_S:.0f} s (is its search writer stuck?); nothing "
                    "changed: run the reindex again"
                )
            log.info("rebuilt search index %s handed to the writer and swapped in", name)
            return len(built)
        finally:
            if not swapped:
                await self._run(lambda: self._withdraw(fresh))
            await self.release_writer()  # if it swapped by itself: the service's to take now

    async def _await_swap(self, name: str) -> bool:
        deadline = time.monotonic() + HAND_OFF_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._current_name() == name:
                return True
            try:  # no process is writing (the service stopped)? Then swap here.
                await self._run(self._apply_swap)
            except IndexBusy:
                await asyncio.sleep(0.1)
        return self._current_name() == name

    def _withdraw(self, fresh: _Generation) -> None:
        # Take back the request, then give a writer that just read it time to finish (or
        # not start) the swap: only a generation that did not become CURRENT is deleted.
        if (self.directory / SWAP).exists():
            _remove(self.directory / SWAP)
            time.sleep(1.0)
        if self._current_name() != fresh.path.name:
            self._discard(fresh)

    def _apply_swap(self) -> bool:
        """Swap in the generation named by SWAP, as the writer; IndexBusy if this is not it."""
        swap = self.directory / SWAP
        try:
            name = swap.read_text().strip()
        except FileNotFoundError:
            return False
        live = self._open()
        with self._lock:
            live = self._live or live
            if name == live.path.name:  # swapped already (by the writer, as this one looked)
                return False
            self._writer_for(live)  # only the writer swaps: no write can land in the old one
            path = self.directory / name
            abandoned = self._rebuild_fd is None and not _locked_elsewhere(
                self.directory / REBUILD_LOCK
            )
            if abandoned or not tantivy.Index.exists(str(path)):
                # Its builder died before the swap and stopped journalling: discard it.
                log.warning("search rebuild %s abandoned by its process: discarded", name)
                _remove(swap)
                shutil.rmtree(path, ignore_errors=True)
                return False
            fresh = _Generation(path, self._open_index(path), meta=_signature(path / META))
            journal = self.directory / JOURNAL
            if journal.exists():
                with (self.directory / REPLAY).open("a", encoding="utf-8") as replay:
                    replay.write(journal.read_text(encoding="utf-8"))
                journal.unlink()
            self._point_to(name)
            _remove(swap)
            old, self._live = live, fresh
        if old.writer is not None:
            old.writer.wait_merging_threads()
        shutil.rmtree(old.path, ignore_errors=True)
        log.info("search index %s (built by another process) swapped in", name)
        return True

    async def housekeeping(self, requeue: Callable[[list[str]], Awaitable[None]]) -> None:
        """As the writer: swap in a generation another process built, then requeue the ids
        written during its build (kept in a file until ``requeue`` returns)."""
        with contextlib.suppress(IndexBusy):
            await self._run(self._apply_swap)

        def claim() -> tuple[list[Path], list[str]]:
            with contextlib.suppress(FileNotFoundError):
                # Renamed first: a swap appending meanwhile starts a new file, not lost.
                os.replace(self.directory / REPLAY, self.directory / f"replay-{uuid.uuid4().hex}")
            files = sorted(self.directory.glob("replay-*"))
            ids = {line.strip() for f in files for line in f.read_text().splitlines()}
            return files, sorted(i for i in ids if i)

        files, ids = await self._run(claim)
        if ids:
            await requeue(ids)
        for path in files:
            _remove(path)

    def _swap(self, fresh: _Generation, journal: Journal, built: dict[str, int]) -> int:
        with self._lock:
            writer = self._writer_for(fresh)
            count = journal.replay(writer, built, self._upsert_into, self._delete_from)
            writer.commit()
            fresh.index.reload()
            self._point_to(fresh.path.name)
            old, self._live = self._live, fresh
            self._journal = None
        if old is not None:
            if old.writer is not None:
                old.writer.wait_merging_threads()  # releases its lock on the old directory
            shutil.rmtree(old.path, ignore_errors=True)
        return count

    @staticmethod
    def _discard(fresh: _Generation) -> None:
        if fresh.writer is not None:
            fresh.writer.rollback()
            fresh.writer.wait_merging_threads()
        shutil.rmtree(fresh.path, ignore_errors=True)

    # -- reads -------------------------------------------------------------------------------

    async def count(self) -> int:
        """How many (non-deleted) documents the index holds."""
        return await self._run(lambda: int(self._open().index.searcher().num_docs))

    async def version_digest(self) -> tuple[int, int]:
        """(documents, sum of their versions): one sum aggregation over the version column."""

        def work() -> tuple[int, int]:
            searcher = self._open().index.searcher()
            total = int(searcher.num_docs)
            if total == 0:
                return 0, 0
            result = searcher.aggregate(Query.all_query(), {"v": {"sum": {"field": "version"}}})
            return total, int(result["v"]["value"] or 0)

        return await self._run(work)

    async def document_versions(self) -> dict[str, int]:
        """Every document id with its version, for reconciliation with the database (SR-04)."""

        def work() -> dict[str, int]:
            searcher = self._open().index.searcher()
            total = int(searcher.num_docs)
            if total == 0:
                return {}
            addresses = [a for _s, a in searcher.search(Query.all_query(), total, count=False).hits]
            versions = searcher.fast_field_values("version", addresses)
            return {
                str(searcher.doc(a).get_first("id")): int(v or 0)
                for a, v in zip(addresses, versions, strict=True)
            }

        return await self._run(work)

    async def ping(self) -> None:
        """SearchUnavailable unless the directory exists, is writable and the index opens."""

        def work() -> None:
            live = self._open()
            if not self.directory.is_dir() or not os.access(self.directory, os.W_OK):
                raise SearchUnavailable(f"index directory {self.directory} is not writable")
            if not tantivy.Index.exists(str(live.path)):
                raise SearchUnavailable(f"no index in {live.path}")
            live.index.searcher()

        await self._run(work)

    async def search(self, query: SearchQuery) -> SearchPage:
        """Hits, exact total and facet counts, every one within ``query.visibility``."""
        validate_query(query)
        return await self._run(lambda: self.search_sync(query))

    def search_sync(self, query: SearchQuery, *, highlights: bool = True) -> SearchPage:
        """The blocking body of ``search`` (bench/search.py calls it directly).

        ``highlights=False`` skips the Python-side marking, and the did-you-mean that rests on
        the page's marked text (the benchmark's comparison row).
        """
        validate_query(query)
        facets = facets_of(query)
        statuses = _effective_statuses(query)
        if statuses is not None and not statuses:
            return SearchPage(hits=[], total=0, facets={f: {} for f in facets})
        live = self._open()
        queries = live.queries
        searcher = live.index.searcher()
        words = query_words(query.text, self._query_analyzer, self._synonyms)
        text_query = queries.text(words)
        scope = queries.visibility(query.visibility, statuses)
        engine_query = queries.combine(text_query, queries.filters(query), scope)
        offset, limit = paging(query)
        sort = query.sort if query.sort in SORT_FIELDS else "relevance"
        if sort == "relevance" and text_query is None:
            sort = "newest"  # nothing to rank by: the latest first is the useful order
        fetch = max(limit, 1)  # tantivy panics on limit 0; a page past the window drops it
        # Facet counts re-run the query as aggregations: in a second thread (tantivy releases
        # the GIL) they overlap the top-k search and the Python work on the page's hits.
        pending = (
            self._facet_pool().submit(facet_counts, searcher, queries, query, facets, words, scope)
            if facets
            else None
        )
        try:
            if sort == "relevance":
                result = searcher.search(engine_query, fetch, count=True, offset=offset)
            else:
                by, order = SORT_FIELDS[sort]
                result = searcher.search(
                    engine_query, fetch, count=True, offset=offset, order_by_field=by, order=order
                )
            highlighter = (
                Highlighter(
                    self._index_analyzer,
                    words,
                    frozenset(w.text for w in words),
                    cache=self._matches,
                )
                if words and highlights
                else None
            )
            hits: list[Hit] = []
            for score, address in result.hits[:limit]:
                stored = searcher.doc(address)
                marked = document_highlights(stored, highlighter) if highlighter else {}
                value = float(score) if sort == "relevance" else 0.0
                hits.append(Hit(id=str(stored.get_first("id")), score=value, highlights=marked))
            counts = pending.result() if pending is not None else {}
        except ValueError as exc:
            raise SearchUnavailable(f"search failed: {exc}") from exc
        finally:
            if pending is not None:
                pending.cancel()  # no-op once done; never leaves work queued after an error
        # SearchResult.count exists at run time (count=True) but is missing from the stub.
        counted = result.count  # type: ignore[attr-defined]
        total = int(counted) if counted is not None else len(hits)
        suggestion = None
        if words and highlights:
            scope_query = queries.combine(None, [], scope)
            suggestion = suggest(searcher, self._schema, words, highlighter, scope_query)
        return SearchPage(hits=hits, total=total, facets=counts, suggestion=suggestion)

    async def similar(self, document_id: str, visibility: Visibility, limit: int = 6) -> list[Hit]:
        """Visible documents sharing tags, campaign or audience with ``document_id``.

        Score: 3 per shared tag, 2 for the same campaign, 1 per shared audience; ties newest
        first. Never the document itself; [] when it is unknown or the caller may not see it.
        """
        if not 1 <= limit <= MAX_PER_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PER_PAGE}, got {limit}")

        def work() -> list[Hit]:
            live = self._open()
            queries = live.queries
            searcher = live.index.searcher()
            statuses = visibility.statuses
            if statuses is not None and not statuses:
                return []
            scope = queries.visibility(visibility, statuses)
            itself = Query.term_query(self._schema, "id", document_id, index_option="basic")
            found = searcher.search(queries.combine(itself, [], scope), 1).hits
            if not found:
                return []
            source = searcher.doc(found[0][1])
            values = {
                f: [str(v) for v in source.get_all(f)] for f in ("tags", "campaign", "audience")
            }
            related = queries.similar(values)
            if related is None:
                return []
            tree = queries.combine(related, [], [*scope, (Occur.MustNot, itself)])
            found = searcher.search(tree, SIMILAR_CANDIDATES, count=False).hits
            created = searcher.fast_field_values("created_at", [a for _s, a in found])
            # Equal scores: newest first, as the Meilisearch adapter orders them.
            ranked = sorted(
                zip(found, created, strict=True), key=lambda row: (-row[0][0], -(row[1] or 0))
            )
            return [
                Hit(id=str(searcher.doc(a).get_first("id")), score=float(s))
                for (s, a), _created in ranked[:limit]
            ]

        return await self._run(work)


def _effective_statuses(query: SearchQuery) -> frozenset[str] | None:
    """Visibility statuses narrowed by the query's own status filter (never widened)."""
    allowed = query.visibility.statuses
    if not query.statuses:
        return allowed
    wanted = frozenset(query.statuses)
    return wanted if allowed is None else allowed & wanted
