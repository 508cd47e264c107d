"""Read a multipart upload as it streams in: files spooled to disk while hashed, limits enforced.

Starlette's ``request.form()`` would read the whole body before we could refuse it; this reader
refuses an oversized file as soon as the limit is crossed, so at most the limit is ever read
and memory stays flat whatever the size. :func:`paced` cuts off a body that arrives too slowly.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

from assets_hub.errors import (
    NO_ROOM_ERRNOS,
    BadRequest,
    PayloadTooLarge,
    RequestTimeout,
    StorageFull,
    UnsupportedMediaType,
)
from assets_hub.observability import metrics
from assets_hub.threads import run_blocking

SPOOL_MEMORY_BYTES = 1024 * 1024  # small files never touch the disk
FLUSH_BYTES = 1024 * 1024  # write to the spool in ~1 MiB batches, off the event loop
MAX_PARTS = 200
MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 50


@dataclass
class SpooledFile:
    """One uploaded file: bytes in a temp file (rewound), their size and sha256."""

    field_name: str
    filename: str
    file: Any  # tempfile.SpooledTemporaryFile[bytes]
    size: int = 0
    sha256: str = ""
    head: bytes = b""

    def close(self) -> None:
        self.file.close()


@dataclass
class UploadForm:
    """Text fields (last value wins, lists kept in ``lists``) and spooled files."""

    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    files: list[SpooledFile] = field(default_factory=list)

    def close(self) -> None:
        for spooled in self.files:
            spooled.close()


# Given the first bytes of a file, the most bytes that file may have (and the reason text).
LimitFor = Callable[[bytes], tuple[int, str]]


class _FilePart:
    def __init__(self, name: str, filename: str, tmp_dir: str) -> None:
        self.spooled = SpooledFile(
            name,
            filename,
            tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, dir=tmp_dir),
        )
        self.hasher = hashlib.sha256()
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.limit: tuple[int, str] | None = None
        self.done = False


@dataclass(frozen=True)
class Pace:
    """How slowly a body may arrive (UP-20): a slow-drip client must not hold a worker.

    ``idle_s``: longest wait for the next chunk; after ``grace_s``, the average since the
    start must be at least ``min_bytes_per_s``.
    """

    min_bytes_per_s: int
    grace_s: float
    idle_s: float


async def paced(
    body: AsyncIterator[bytes], pace: Pace, clock: Callable[[], float] = time.monotonic
) -> AsyncIterator[bytes]:
    """``body``, cut off with RequestTimeout (408) when it arrives too slowly."""
    start = clock()
    received = 0
    iterator = aiter(body)
    while True:
        try:
            async with asyncio.timeout(pace.idle_s):
                chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise RequestTimeout(
                f"The upload stopped: nothing arrived for {pace.idle_s:g} seconds. "
                "Please try again."
            ) from None
        received += len(chunk)
        metrics.UPLOAD_BYTES.inc(len(chunk))
        elapsed = clock() - start
        if elapsed > pace.grace_s and received < pace.min_bytes_per_s * elapsed:
            raise RequestTimeout(
                f"The upload was too slow (under {pace.min_bytes_per_s // 1024} KiB a second) "
                "and was stopped. Please try again on a faster connection."
            )
        yield chunk


async def read_upload_form(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    *,
    tmp_dir: str,
    limit_for: LimitFor,
    largest_limit: int,
) -> UploadForm:
    """Parse a multipart/form-data body; PayloadTooLarge as soon as a file crosses its limit."""
    mime, options = parse_options_header(content_type)
    if mime != b"multipart/form-data" or b"boundary" not in options:
        raise UnsupportedMediaType("Send the upload as multipart/form-data with a 'file' part.")
    if content_length and content_length.isdigit():
        # Refuse without reading when the declared body cannot possibly fit.
        if int(content_length) > largest_limit + MAX_PARTS * MAX_FIELD_BYTES:
            raise PayloadTooLarge(
                f"The upload is too large; the limit is {largest_limit // 2**20} MiB per file."
            )
    os.makedirs(tmp_dir, exist_ok=True)
    form = UploadForm()
    state: dict[str, Any] = {"headers": {}, "header_field": b"", "header_value": b"", "parts": 0}
    current: dict[str, Any] = {"file": None, "name": None, "value": bytearray()}
    errors: list[Exception] = []
    parts: list[_FilePart] = []

    def on_part_begin() -> None:
        state["headers"] = {}
        state["parts"] += 1
        if state["parts"] > MAX_PARTS:
            errors.append(BadRequest(f"The form has too many parts (at most {MAX_PARTS})."))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header_field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["header_value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["header_field"].lower()] = state["header_value"]
        state["header_field"] = b""
        state["header_value"] = b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition"))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        current["name"] = name
        current["value"] = bytearray()
        if b"filename" in disposition:
            if len(form.files) >= MAX_FILES:
                errors.append(BadRequest(f"At most {MAX_FILES} files can be sent at once."))
                current["file"] = None
                return
            filename = disposition[b"filename"].decode("utf-8", "replace")
            current["file"] = _FilePart(name, filename, tmp_dir)
            parts.append(current["file"])
            form.files.append(current["file"].spooled)
        else:
            current["file"] = None

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        part: _FilePart | None = current["file"]
        if part is None:
            current["value"] += chunk
            if len(current["value"]) > MAX_FIELD_BYTES:
                errors.append(PayloadTooLarge(f"The field {current['name']!r} is too long."))
            return
        spooled = part.spooled
        if part.limit is None and len(spooled.head) < 64:
            spooled.head += chunk[: 64 - len(spooled.head)]
        spooled.size += len(chunk)
        part.hasher.update(chunk)
        part.pending.append(chunk)
        part.pending_bytes += len(chunk)
        if part.limit is None and len(spooled.head) >= 16:
            part.limit = limit_for(spooled.head)
        limit = part.limit or (largest_limit, "")
        if spooled.size > limit[0]:
            errors.append(PayloadTooLarge(limit[1] or "The file is too large."))

    def on_part_end() -> None:
        part: _FilePart | None = current["file"]
        if part is None:
            if current["name"] is not None and not errors:
                text = bytes(current["value"]).decode("utf-8", "replace")
                form.fields[current["name"]] = text
                form.lists.setdefault(current["name"], []).append(text)
            return
        if part.limit is None:
            limit = limit_for(part.spooled.head)
            if part.spooled.size > limit[0]:
                errors.append(PayloadTooLarge(limit[1]))
        part.spooled.sha256 = part.hasher.hexdigest()
        part.done = True
        current["file"] = None

    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        async for chunk in body:
            try:
                parser.write(chunk)
            except Exception as exc:
                raise BadRequest("The upload is not valid multipart/form-data.") from exc
            if errors:
                raise errors[0]
            for part in parts:
                if part.pending_bytes >= FLUSH_BYTES or (part.done and part.pending):
                    await _flush(part)
        parser.finalize()
        if errors:
            raise errors[0]
        if any(not part.done for part in parts):
            raise BadRequest("The upload ended before the file was complete; please try again.")
        for part in parts:
            await _flush(part)
        for spooled in form.files:
            await run_blocking("files", spooled.file.seek, 0)
    except BaseException:
        form.close()
        raise
    return form


async def _flush(part: _FilePart) -> None:
    if not part.pending:
        return
    data = b"".join(part.pending)
    part.pending.clear()
    part.pending_bytes = 0
    try:
        await run_blocking("files", part.spooled.file.write, data)
    except OSError as exc:
        # The spool's disk is full (or the process hit its file-size limit): 507, not a 500.
        if exc.errno in NO_ROOM_ERRNOS:
            raise StorageFull(f"upload spool: {exc.strerror}") from exc
        raise


def open_local_file(path: str, filename: str | None = None) -> SpooledFile:
    """A file already on disk as a SpooledFile (demo and bulk import); blocking: use a thread."""
    hasher = hashlib.sha256()
    size = 0
    handle = open(path, "rb")
    try:
        head = handle.read(64)
        handle.seek(0)
        while chunk := handle.read(1024 * 1024):
            hasher.update(chunk)
            size += len(chunk)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    name = filename or os.path.basename(path)
    return SpooledFile("file", name, handle, size=size, sha256=hasher.hexdigest(), head=head)
