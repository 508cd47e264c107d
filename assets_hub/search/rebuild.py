"""Helpers both backends use to rebuild an index aside while the live one keeps serving."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TypeVar

from assets_hub.search.base import SearchDocument

RebuildSource = AsyncIterator[SearchDocument] | Iterable[SearchDocument]
W = TypeVar("W")


async def iterate_batches(
    documents: RebuildSource, size: int
) -> AsyncIterator[list[SearchDocument]]:
    """The documents in lists of ``size``, from a sync iterable or an async iterator alike."""
    batch: list[SearchDocument] = []
    if isinstance(documents, AsyncIterator):
        async for doc in documents:
            batch.append(doc)
            if len(batch) >= size:
                yield batch
                batch = []
    else:
        for doc in documents:
            batch.append(doc)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


class Journal:
    """Writes made to the live index while a rebuild runs, to replay on the new index.

    Without it, a change applied to the live index after the rebuild read that asset would
    vanish at the swap. Replaying is idempotent; an upsert older than the version the rebuild
    itself read is skipped, so a stale journal entry cannot undo a newer document.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, list[SearchDocument] | list[str]]] = []

    def upserted(self, documents: Sequence[SearchDocument]) -> None:
        self.entries.append(("upsert", list(documents)))

    def deleted(self, ids: Sequence[str]) -> None:
        self.entries.append(("delete", list(ids)))

    def operations(
        self, built: dict[str, int]
    ) -> list[tuple[str, list[SearchDocument] | list[str]]]:
        """The entries to replay, in order, with stale upserts dropped."""
        out: list[tuple[str, list[SearchDocument] | list[str]]] = []
        for kind, items in self.entries:
            if kind == "upsert":
                docs = [
                    d
                    for d in items
                    if isinstance(d, SearchDocument) and d.version >= built.get(d.id, 0)
                ]
                if docs:
                    out.append((kind, docs))
            else:
                out.append((kind, items))
        return out

    def replay(
        self,
        writer: W,
        built: dict[str, int],
        upsert: Callable[[W, Sequence[SearchDocument]], None],
        delete: Callable[[W, Sequence[str]], None] | None = None,
    ) -> int:
        """Apply the journal to ``writer``; returns the document count the new index ends with."""
        present = set(built)
        for kind, items in self.operations(built):
            if kind == "upsert":
                docs = [d for d in items if isinstance(d, SearchDocument)]
                upsert(writer, docs)
                present.update(d.id for d in docs)
            else:
                ids = [i for i in items if isinstance(i, str)]
                if delete is not None:
                    delete(writer, ids)
                present.difference_update(ids)
        return len(present)
