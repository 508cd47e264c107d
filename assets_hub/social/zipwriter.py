"""A streaming ZIP writer: bytes out as entries go in, ZIP64 when sizes or offsets need it.

Why our own rather than a library: entries come from async byte iterators (renditions made or
read on demand) and the output feeds an ASGI streaming response, so the writer is a few pure
functions producing header bytes plus an async generator per entry. Memory is the current chunk
plus one small central-directory record per entry; nothing is seeked or rewritten, so every
entry has a data descriptor (general purpose flag bit 3) carrying its CRC-32 and sizes.

ZIP64 (APPNOTE 6.3.x section 4.5.3): an entry that might reach 4 GiB is written with a ZIP64
local header (sizes 0xFFFFFFFF, ZIP64 extra with zeros) and a 24-byte descriptor; the central
directory gets a ZIP64 extra whenever sizes or the local header offset do not fit 32 bits, and
the archive gets a ZIP64 end record when the entry count, directory size or offset overflow.
Names are UTF-8 (flag bit 11).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

ByteSource = Callable[[], AsyncIterator[bytes]]
"""Opens an entry's content when it is written: an async iterator of byte chunks."""

MAX_32: Final = 0xFFFFFFFF
MAX_16: Final = 0xFFFF
# An entry whose size might pass this is written as ZIP64 up front (deflate can expand
# incompressible data a little, so keep a margin below 4 GiB).
ZIP64_THRESHOLD: Final = 0xF0000000

_FLAGS: Final = 0x0008 | 0x0800  # data descriptor follows; names are UTF-8
_STORED: Final = 0
_DEFLATED: Final = 8
_MADE_BY: Final = (3 << 8) | 63  # Unix, APPNOTE 6.3: gives extractors the 0644 mode below
_EXTERNAL_ATTR: Final = 0o100644 << 16  # regular file, rw-r--r--
_ZIP64_EXTRA_ID: Final = 0x0001


class ZipSizeError(RuntimeError):
    """An entry outgrew what its already-sent local header allows (a caller bug)."""


@dataclass
class EntryRecord:
    """What the central directory needs about one written entry."""

    name: bytes
    method: int
    dos_time: int
    dos_date: int
    offset: int
    zip64: bool
    crc: int = 0
    compressed: int = 0
    size: int = 0


def dos_datetime(moment: datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS format; clamped to the representable years 1980 to 2107."""
    if moment.year < 1980:
        return 0, (1 << 5) | 1
    if moment.year > 2107:
        return (23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    return time, ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day


def local_header(record: EntryRecord) -> bytes:
    """The local file header; CRC and sizes are left for the data descriptor."""
    version = 45 if record.zip64 else 20
    sizes = MAX_32 if record.zip64 else 0
    extra = struct.pack("<HHQQ", _ZIP64_EXTRA_ID, 16, 0, 0) if record.zip64 else b""
    return (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            version,
            _FLAGS,
            record.method,
            record.dos_time,
            record.dos_date,
            0,
            sizes,
            sizes,
            len(record.name),
            len(extra),
        )
        + record.name
        + extra
    )


def data_descriptor(record: EntryRecord) -> bytes:
    if record.zip64:
        return struct.pack("<IIQQ", 0x08074B50, record.crc, record.compressed, record.size)
    return struct.pack("<IIII", 0x08074B50, record.crc, record.compressed, record.size)


def central_header(record: EntryRecord) -> bytes:
    """The central directory record, with a ZIP64 extra for the fields that overflow."""
    zip64_values: list[int] = []
    size, compressed, offset = record.size, record.compressed, record.offset
    if record.zip64 or size >= MAX_32 or compressed >= MAX_32:
        zip64_values += [size, compressed]
        size = compressed = MAX_32
    if offset >= MAX_32:
        zip64_values.append(offset)
        offset = MAX_32
    extra = b""
    if zip64_values:
        values = struct.pack(f"<{len(zip64_values)}Q", *zip64_values)
        extra = struct.pack("<HH", _ZIP64_EXTRA_ID, len(values)) + values
    version = 45 if zip64_values else 20
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            _MADE_BY,
            version,
            _FLAGS,
            record.method,
            record.dos_time,
            record.dos_date,
            record.crc,
            compressed,
            size,
            len(record.name),
            len(extra),
            0,
            0,
            0,
            _EXTERNAL_ATTR,
            offset,
        )
        + record.name
        + extra
    )


def end_records(count: int, directory_offset: int, directory_size: int, *, zip64: bool) -> bytes:
    """End of central directory (preceded by the ZIP64 end record and locator when needed)."""
    zip64 = zip64 or count >= MAX_16 or directory_offset >= MAX_32 or directory_size >= MAX_32
    out = b""
    if zip64:
        zip64_end_offset = directory_offset + directory_size
        out += struct.pack(
            "<IQHHIIQQQQ",
            0x06064B50,
            44,
            _MADE_BY,
            45,
            0,
            0,
            count,
            count,
            directory_size,
            directory_offset,
        )
        out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end_offset, 1)
    return out + struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        min(count, MAX_16),
        min(count, MAX_16),
        min(directory_size, MAX_32),
        min(directory_offset, MAX_32),
        0,
    )


class ZipStream:
    """Writes one archive: call :meth:`entry` for each file in turn, then :meth:`finish`.

    ``offset`` is the number of bytes produced so far. Keeps one :class:`EntryRecord` (about
    100 bytes plus the name) per entry; everything else streams through.
    """

    def __init__(self, *, force_zip64: bool = False) -> None:
        self.offset = 0
        self.records: list[EntryRecord] = []
        self._force_zip64 = force_zip64

    async def entry(
        self,
        name: str,
        chunks: AsyncIterator[bytes],
        *,
        modified: datetime,
        compress: bool = False,
        zip64: bool = False,
    ) -> AsyncGenerator[bytes, None]:
        """Yield the bytes of one entry: local header, (deflated) data, data descriptor.

        ``zip64`` must be true when the entry might reach 4 GiB: the local header is sent
        before the size is known. Exceeding the 32-bit sizes otherwise raises ZipSizeError.
        """
        dos_time, dos_date = dos_datetime(modified)
        record = EntryRecord(
            name=name.encode("utf-8"),
            method=_DEFLATED if compress else _STORED,
            dos_time=dos_time,
            dos_date=dos_date,
            offset=self.offset,
            zip64=zip64 or self._force_zip64,
        )
        header = local_header(record)
        self.offset += len(header)
        yield header
        deflater = zlib.compressobj(6, zlib.DEFLATED, -15) if compress else None
        crc = 0
        async for chunk in chunks:
            if not chunk:
                continue
            crc = zlib.crc32(chunk, crc)
            record.size += len(chunk)
            out = deflater.compress(chunk) if deflater is not None else chunk
            if out:
                yield self._count(record, out)
        if deflater is not None:
            tail = deflater.flush()
            if tail:
                yield self._count(record, tail)
        record.crc = crc
        if not record.zip64 and (record.size >= MAX_32 or record.compressed >= MAX_32):
            raise ZipSizeError(f"entry {name!r} passed 4 GiB without a ZIP64 header")
        descriptor = data_descriptor(record)
        self.offset += len(descriptor)
        self.records.append(record)
        yield descriptor

    def _count(self, record: EntryRecord, out: bytes) -> bytes:
        record.compressed += len(out)
        self.offset += len(out)
        return out

    def finish(self) -> bytes:
        """The central directory and end records; the archive is complete after these."""
        directory = b"".join(central_header(r) for r in self.records)
        end = end_records(len(self.records), self.offset, len(directory), zip64=self._force_zip64)
        self.offset += len(directory) + len(end)
        return directory + end
