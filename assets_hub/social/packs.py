"""Campaign packs: a streamed ZIP of branded renditions plus captions, alt text and credits.

Two steps, so that a pack over the caps is refused with a clean 4xx before any byte is sent:

1. :func:`build_campaign_pack` (or :func:`plan_pack` for arbitrary entries) names every entry
   safely (:mod:`assets_hub.social.names`), builds the text files from structured data and
   checks the entry count and every declared size against :class:`PackLimits`. It raises
   :class:`PackTooLarge` and opens no source.
2. :func:`stream_pack` yields the archive's bytes as each source is read, one entry at a time
   (so a pack never renders more than one rendition at once; DOS-01's pool still applies).
   Sizes that were not declared are enforced while streaming: going over a cap, a source
   failing or a size differing from its declaration raises :class:`PackAborted` before the
   central directory is written, so the client gets a broken download, never a ZIP that opens
   with files silently missing (DL-08). The caller lets the exception abort the response.

Only what the caller passes goes in: filtering to published, visible items (AZ-04) happens
before, e.g. with :func:`assets_hub.social.visibility.visible_posts`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from assets_hub.social.names import MAX_NAME_BYTES, NameAllocator
from assets_hub.social.packtext import PackFile, PackImage, PackPost, render_texts
from assets_hub.social.zipwriter import (
    MAX_32,
    ZIP64_THRESHOLD,
    ByteSource,
    ZipStream,
    end_records,
)

__all__ = [
    "TEXT_FILES",
    "ByteSource",
    "PackAborted",
    "PackEntry",
    "PackFile",
    "PackImage",
    "PackLimits",
    "PackPlan",
    "PackPost",
    "PackTooLarge",
    "PlannedEntry",
    "build_campaign_pack",
    "bytes_source",
    "plan_pack",
    "stream_pack",
    "text_entry",
]


TEXT_FILES: Final = ("README.txt", "captions.txt", "alt-text.txt", "credits.txt")


class PackTooLarge(ValueError):
    """The pack would exceed a cap; raised before streaming (→ 413 or a background job)."""

    def __init__(self, what: str, limit: int, actual: int) -> None:
        super().__init__(f"pack has {actual} {what}, over the limit of {limit}")
        self.what = what
        self.limit = limit
        self.actual = actual


class PackAborted(RuntimeError):
    """Streaming stopped part-way; the bytes sent so far are not a valid ZIP (by design)."""


@dataclass(frozen=True)
class PackLimits:
    """Caps on one pack. Bytes are entry content bytes (ZIP overhead is bounded by entries)."""

    max_entries: int = 2000
    max_total_bytes: int = 4 * 1024**3
    max_entry_bytes: int = 512 * 1024**2
    max_name_bytes: int = MAX_NAME_BYTES


@dataclass(frozen=True)
class PackEntry:
    """One file to put in a pack. ``title`` is sanitised into the name; ``size`` if known."""

    title: str
    extension: str
    source: ByteSource
    size: int | None = None
    folder: str | None = None
    compress: bool = False  # deflate text; JPEG/PNG/WebP are already compressed
    modified: datetime | None = None


@dataclass(frozen=True)
class PlannedEntry:
    path: str  # the safe, unique name inside the archive
    entry: PackEntry
    zip64: bool  # decided up front: the local header goes out before the size is known


@dataclass(frozen=True)
class PackPlan:
    """A checked, named pack ready to stream. ``archive_size`` is exact when known."""

    entries: tuple[PlannedEntry, ...]
    limits: PackLimits
    created: datetime
    declared_bytes: int
    archive_size: int | None  # for Content-Length: all sizes declared and nothing deflated


def bytes_source(data: bytes, chunk_size: int = 64 * 1024) -> ByteSource:
    """A :data:`ByteSource` over bytes already in memory (text files, tests)."""

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    return chunks


def text_entry(name: str, text: str) -> PackEntry:
    """A UTF-8 text entry (``name`` like ``captions.txt``)."""
    stem, _, ext = name.rpartition(".")
    data = text.encode("utf-8")
    # Stored, not deflated: a few kilobytes, and it keeps the archive size exactly knowable.
    return PackEntry(stem, ext, bytes_source(data), size=len(data))


def plan_pack(
    entries: Iterable[PackEntry],
    *,
    limits: PackLimits | None = None,
    now: datetime | None = None,
) -> PackPlan:
    """Name and check ``entries``; :class:`PackTooLarge` before anything is opened."""
    limits = limits or PackLimits()
    names = NameAllocator(max_bytes=limits.max_name_bytes)
    planned = _plan_entries(entries, limits, names)
    return _finish_plan(planned, limits, now)


def _plan_entries(
    entries: Iterable[PackEntry], limits: PackLimits, names: NameAllocator, *, already: int = 0
) -> list[PlannedEntry]:
    planned: list[PlannedEntry] = []
    declared = 0
    for count, entry in enumerate(entries, start=already + 1):
        if count > limits.max_entries:  # stop early: do not even name a million entries
            raise PackTooLarge("entries", limits.max_entries, count)
        if entry.size is not None:
            if entry.size > limits.max_entry_bytes:
                raise PackTooLarge("bytes in one entry", limits.max_entry_bytes, entry.size)
            declared += entry.size
            if declared > limits.max_total_bytes:
                raise PackTooLarge("bytes", limits.max_total_bytes, declared)
        could_reach = entry.size if entry.size is not None else limits.max_entry_bytes
        path = names.allocate(entry.title, extension=entry.extension, folder=entry.folder)
        planned.append(PlannedEntry(path, entry, zip64=could_reach >= ZIP64_THRESHOLD))
    return planned


def _finish_plan(
    planned: Sequence[PlannedEntry], limits: PackLimits, now: datetime | None
) -> PackPlan:
    if len(planned) > limits.max_entries:
        raise PackTooLarge("entries", limits.max_entries, len(planned))
    declared = sum(p.entry.size or 0 for p in planned)
    if declared > limits.max_total_bytes:
        raise PackTooLarge("bytes", limits.max_total_bytes, declared)
    return PackPlan(
        entries=tuple(planned),
        limits=limits,
        created=now or datetime.now(UTC),
        declared_bytes=declared,
        archive_size=_archive_size(planned),
    )


def _archive_size(planned: Sequence[PlannedEntry]) -> int | None:
    """The exact archive length, from the writer's own header layout, when it is knowable."""
    if any(p.entry.size is None or p.entry.compress for p in planned):
        return None
    offset = directory = 0
    for p in planned:
        name = len(p.path.encode())
        size = p.entry.size or 0
        big = p.zip64 or size >= MAX_32
        central_extra = (4 + 16 if big else 0) + (8 if offset >= MAX_32 else 0)
        if central_extra and not big:
            central_extra += 4
        directory += 46 + name + central_extra
        offset += 30 + name + (20 if p.zip64 else 0) + size + (24 if p.zip64 else 16)
    return offset + directory + len(end_records(len(planned), offset, directory, zip64=False))


async def stream_pack(plan: PackPlan, *, force_zip64: bool = False) -> AsyncGenerator[bytes, None]:
    """The archive's bytes, entry by entry. Raises :class:`PackAborted` part-way on failure.

    ``force_zip64`` writes every entry and the end record as ZIP64 (tests and interop checks;
    ``plan.archive_size`` does not apply then).
    """
    writer = ZipStream(force_zip64=force_zip64)
    total = 0
    for planned in plan.entries:
        entry = planned.entry
        budget = min(plan.limits.max_entry_bytes, plan.limits.max_total_bytes - total)
        try:
            source = entry.source()
        except Exception as exc:  # a source that cannot even open aborts like one that fails
            raise PackAborted(f"pack entry {planned.path!r} failed: {exc}") from exc
        counter = _Counter(planned.path, budget, entry.size)
        counted = counter.chunks(source)
        output = writer.entry(
            planned.path,
            counted,
            modified=entry.modified or plan.created,
            compress=entry.compress,
            zip64=planned.zip64,
        )
        try:
            async for chunk in output:
                yield chunk
        except PackAborted:
            raise
        except Exception as exc:  # any source failure must abort the stream, not truncate it
            raise PackAborted(f"pack entry {planned.path!r} failed: {exc}") from exc
        finally:
            # Close explicitly (client gone, or failure): a rendition stream may hold a
            # storage connection or a worker slot that must not wait for garbage collection.
            await output.aclose()
            await counted.aclose()
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()
        total += counter.size
    yield writer.finish()


@dataclass
class _Counter:
    """Counts an entry's bytes as they pass, enforcing the budget and the declared size."""

    path: str
    budget: int
    declared: int | None
    size: int = 0

    async def chunks(self, source: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
        async for chunk in source:
            self.size += len(chunk)
            if self.size > self.budget:
                raise PackAborted(f"pack entry {self.path!r} went over the pack's byte cap")
            if self.declared is not None and self.size > self.declared:
                raise PackAborted(f"pack entry {self.path!r} is larger than declared")
            yield chunk
        if self.declared is not None and self.size != self.declared:
            raise PackAborted(f"pack entry {self.path!r} is smaller than declared")


def build_campaign_pack(
    campaign: str,
    library: str,
    *,
    posts: Sequence[PackPost] = (),
    assets: Sequence[PackImage] = (),
    documents: Sequence[PackImage] = (),
    size_labels: Mapping[str, str] | None = None,
    limits: PackLimits | None = None,
    now: datetime | None = None,
) -> PackPlan:
    """The plan for a campaign pack: README, captions, alt text, credits, then the files.

    Renditions go in one folder per preset (``instagram-square/Libraries Week.jpg``); a post's
    images come first, in post order, then the campaign's other assets, then ``documents``
    (branded fact sheets and case studies, in ``documents/``). A file shared by several
    images (one photo in two posts and on its own) is packed once, under one name, and every
    text file points at that name. ``size_labels`` (folder -> what people call that size) go
    in the README.
    """
    limits = limits or PackLimits()
    created = now or datetime.now(UTC)
    names = NameAllocator(max_bytes=limits.max_name_bytes)
    for name in TEXT_FILES:
        names.reserve(name)
    images = [img for post in posts for img in post.images] + list(assets)
    unique: dict[PackFile, PackEntry] = {}
    for img in [*images, *documents]:
        for f in img.files:
            if f not in unique:
                unique[f] = PackEntry(img.title, f.extension, f.source, f.size, folder=f.preset)
    entries = list(unique.values())
    if len(entries) + len(TEXT_FILES) > limits.max_entries:  # before naming anything
        raise PackTooLarge("entries", limits.max_entries, len(entries) + len(TEXT_FILES))
    renditions = _plan_entries(entries, limits, names, already=len(TEXT_FILES))
    path_of = {f: planned.path for f, planned in zip(unique, renditions, strict=True)}
    paths = [[path_of[f] for f in img.files] for img in images]
    listing = [(p.path, p.entry.size) for p in renditions]
    texts = render_texts(
        campaign,
        library,
        created,
        posts=posts,
        assets=assets,
        paths=paths,
        listing=listing,
        size_labels=size_labels or {},
    )
    planned = [PlannedEntry(name, text_entry(name, body), zip64=False) for name, body in texts]
    return _finish_plan([*planned, *renditions], limits, created)
