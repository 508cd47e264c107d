"""Search upkeep: editors' synonyms, a full rebuild, and reconciliation of index and database."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from assets_hub.backends import Backends
from assets_hub.errors import Unprocessable
from assets_hub.models import Asset, SearchOutbox, Synonym, User
from assets_hub.search.base import SearchDocument
from assets_hub.search.documents import build_document
from assets_hub.services import audit

log = logging.getLogger(__name__)
MAX_TERMS = 500
MAX_PER_TERM = 20
_WORDS = re.compile(r"^[\w' -]{1,50}$")


def parse_synonyms(data: Any) -> dict[str, list[str]]:
    """{"kids": ["children"], "teens": ["young people"]} validated; 422 naming the problem."""
    if not isinstance(data, dict) or len(data) > MAX_TERMS:
        raise Unprocessable(f"synonyms: an object of at most {MAX_TERMS} terms")
    cleaned: dict[str, list[str]] = {}
    for term, targets in data.items():
        key = " ".join(str(term).lower().split())
        if not _WORDS.match(key):
            raise Unprocessable(f"synonyms: {str(term)[:50]!r} is not a word or short phrase")
        if not isinstance(targets, list) or not 1 <= len(targets) <= MAX_PER_TERM:
            raise Unprocessable(f"synonyms: {key!r} needs a list of 1 to {MAX_PER_TERM} words")
        words = [" ".join(str(t).lower().split()) for t in targets]
        if not all(_WORDS.match(w) for w in words):
            raise Unprocessable(f"synonyms: the words for {key!r} must be short phrases")
        cleaned[key] = sorted(set(words) - {key})
    return cleaned


async def current_synonyms() -> dict[str, list[str]]:
    return {row.term: row.synonyms for row in await Synonym.all()}


async def replace_synonyms(backends: Backends, mapping: dict[str, list[str]], actor: User) -> None:
    """Store the editors' synonyms and apply them to the engine."""
    async with in_transaction():
        await Synonym.all().delete()
        for term, words in mapping.items():
            await Synonym.create(term=term, synonyms=words)
        await audit.record(
            "synonyms_changed",
            actor=actor,
            target_type="search",
            target_id="synonyms",
            terms=len(mapping),
        )
    await backends.search.set_synonyms(mapping)


async def apply_synonyms(backends: Backends) -> None:
    """At start-up: the engine gets the stored synonyms (a failure is logged, not fatal)."""
    try:
        await backends.search.set_synonyms(await current_synonyms())
    except Exception as exc:  # noqa: BLE001 - search may be down; the app still starts
        log.warning("could not apply synonyms to the search engine: %s", exc)


async def all_documents(batch: int = 500) -> AsyncIterator[SearchDocument]:
    """Every live asset as an index document, read in batches."""
    last_id = None
    while True:
        query = Asset.filter(deleted_at=None).order_by("id").limit(batch)
        if last_id is not None:
            query = query.filter(id__gt=last_id)
        assets = await query
        if not assets:
            return
        for asset in assets:
            yield await build_document(asset)
        last_id = assets[-1].id


async def rebuild_index(backends: Backends, progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index aside and swap it in; searches keep answering meanwhile.

    Beside a running service the swap is handed to its writer; ids it wrote during the build
    come back through the outbox (also if this process swapped, the writer being gone).
    """
    count = await backends.search.rebuild(all_documents(), progress=progress)
    await backends.search.housekeeping(backends.indexer.requeue)
    return count


@dataclass(frozen=True)
class Drift:
    missing: int
    stale: int
    extra: int


NO_DRIFT = Drift(0, 0, 0)


async def reconcile(backends: Backends, *, full: bool = False) -> Drift:
    """Compare (id, revision) in the index with the database; queue repairs for any drift.

    Unless ``full``, the engine's (count, sum of versions) is compared first with the
    database's, and the id-by-id comparison runs only when they differ: at 100k assets that
    comparison reads every row and every indexed id (~1.2 s of CPU the requests of the moment
    would wait behind), the digest two aggregates (~60 ms, mostly the database's). Revisions
    only grow, so any one lost, leftover or stale document changes the digest; only drifts of
    opposite signs can cancel out (a lost document and a leftover one of the same revision),
    which the periodic full run (``reconcile_job``) catches.
    """
    if not full:
        indexed_digest = await backends.search.version_digest()
        if indexed_digest is not None and indexed_digest == await _database_digest():
            return NO_DRIFT
    database = {
        str(asset_id): revision
        for asset_id, revision in await Asset.filter(deleted_at=None).values_list("id", "revision")
    }
    indexed = await backends.search.document_versions()
    missing = [i for i in database if i not in indexed]
    stale = [i for i in database if i in indexed and indexed[i] != database[i]]
    extra = [i for i in indexed if i not in database]
    for asset_id in (*missing, *stale, *extra):
        await SearchOutbox.create(asset_id=asset_id)
    if missing or stale or extra:
        log.warning(
            "search drift repaired: missing=%d stale=%d extra=%d",
            len(missing),
            len(stale),
            len(extra),
        )
        backends.indexer.wake()
    return Drift(len(missing), len(stale), len(extra))


async def _database_digest() -> tuple[int, int]:
    rows = (
        await Asset.filter(deleted_at=None)
        .annotate(documents=Count("id"), versions=Sum("revision"))
        .values("documents", "versions")
    )
    row = rows[0] if rows else {}
    return int(row.get("documents") or 0), int(row.get("versions") or 0)


def reconcile_job(backends: Backends, full_every: int) -> Callable[[], Awaitable[Drift]]:
    """The app's periodic reconciliation: digest checks, and every ``full_every``-th run
    (the first being a digest check) the full comparison."""
    runs = 0

    async def job() -> Drift:
        nonlocal runs
        runs += 1
        return await reconcile(backends, full=runs % full_every == 0)

    return job
