"""The Storage contract (assets_hub/media/storage/base.py), run against every backend."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from assets_hub.errors import BlobNotFound, InvalidKey
from assets_hub.media.storage import Storage, StoredObject
from assets_hub.media.storage.base import CHUNK_SIZE

KEY = "originals/ab/" + "ab" * 32
PNG = "image/png"

INVALID_KEYS = [
    "../x",
    "/abs",
    "a//b",
    "A.JPG",
    "x/../y",
    "a\x00b",
    "",
    "a" * 600,
    "originals/./x",
    "trailing/",
    ".tmp/x",
    "a\\b",
    " space",
]


class ExplodingReader(io.BytesIO):
    """A source that fails part way through, like a client disconnecting mid-upload."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        super().__init__(data)
        self.fail_after = fail_after

    def read(self, size: int | None = -1, /) -> bytes:
        if self.tell() >= self.fail_after:
            raise OSError("client went away")
        return super().read(size)


async def keys(storage: Storage, prefix: str = "") -> list[str]:
    return sorted([key async for key in storage.list_keys(prefix)])


async def test_round_trip(storage: Storage) -> None:
    data = b"\x89PNG fake image bytes"
    stored = await storage.put(KEY, io.BytesIO(data), content_type=PNG, size=len(data))
    assert stored == StoredObject(key=KEY, size=len(data), content_type=PNG)
    assert await storage.head(KEY) == stored
    assert b"".join([chunk async for chunk in storage.read(KEY)]) == data
    assert await storage.read_bytes(KEY) == data


async def test_put_reads_from_current_position(storage: Storage) -> None:
    source = io.BytesIO(b"SKIPPEDpayload")
    source.seek(7)
    stored = await storage.put(KEY, source, content_type="text/plain")
    assert stored.size == len(b"payload")
    assert await storage.read_bytes(KEY) == b"payload"


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096])
async def test_every_byte_comes_back_whatever_the_size_against_the_chunk(
    storage: Storage, size: int
) -> None:
    data = os.urandom(size)
    await storage.put_bytes(KEY, data, content_type="application/octet-stream")
    chunks = [chunk async for chunk in storage.read(KEY, chunk_size=4096)]
    assert b"".join(chunks) == data
    assert all(chunks) and all(len(c) <= 4096 for c in chunks)  # no empty chunk is yielded


async def test_large_object_streams_in_chunks(storage: Storage) -> None:
    data = os.urandom(20 * 1024 * 1024 + 123)  # several S3 parts, ragged last part
    stored = await storage.put(KEY, io.BytesIO(data), content_type="application/pdf")
    assert stored.size == len(data)
    head = await storage.head(KEY)
    assert head is not None and head.size == len(data)
    assert head.content_type == "application/pdf"
    digest = hashlib.sha256()
    chunks = 0
    async for chunk in storage.read(KEY, chunk_size=CHUNK_SIZE):
        assert 0 < len(chunk) <= CHUNK_SIZE
        digest.update(chunk)
        chunks += 1
    assert chunks >= 20
    assert digest.digest() == hashlib.sha256(data).digest()


async def test_put_bytes(storage: Storage) -> None:
    stored = await storage.put_bytes(
        "derived/ab/thumb-400.webp", b"RIFFwebp", content_type="image/webp"
    )
    assert stored == StoredObject("derived/ab/thumb-400.webp", 8, "image/webp")
    assert await storage.read_bytes("derived/ab/thumb-400.webp") == b"RIFFwebp"


async def test_empty_object(storage: Storage) -> None:
    stored = await storage.put(KEY, io.BytesIO(b""), content_type="text/plain")
    assert stored.size == 0
    assert await storage.read_bytes(KEY) == b""


async def test_never_overwrites(storage: Storage) -> None:
    first = await storage.put_bytes(KEY, b"first", content_type=PNG)
    again = await storage.put(KEY, io.BytesIO(b"second, longer"), content_type="text/html")
    assert again == first
    assert await storage.put_bytes(KEY, b"third", content_type="text/html") == first
    big = os.urandom(17 * 1024 * 1024)  # the multipart path on S3 must not overwrite either
    assert await storage.put(KEY, io.BytesIO(big), content_type="text/html") == first
    assert await storage.read_bytes(KEY) == b"first"
    assert await storage.head(KEY) == first


async def test_missing_key(storage: Storage) -> None:
    assert await storage.head(KEY) is None
    with pytest.raises(BlobNotFound):
        await storage.read_bytes(KEY)
    stream = storage.read(KEY)
    with pytest.raises(BlobNotFound):
        await anext(aiter(stream))


async def test_delete_is_idempotent(storage: Storage) -> None:
    await storage.put_bytes(KEY, b"x", content_type=PNG)
    await storage.delete(KEY)
    assert await storage.head(KEY) is None
    await storage.delete(KEY)
    await storage.delete("never/existed")
    assert await keys(storage) == []
    # The key is free again after deletion.
    await storage.put_bytes(KEY, b"new", content_type=PNG)
    assert await storage.read_bytes(KEY) == b"new"


async def test_list_keys_by_prefix(storage: Storage) -> None:
    for key in ("originals/aa/1", "originals/ab/2", "derived/aa/3", "originalsx/4"):
        await storage.put_bytes(key, b"x", content_type=PNG)
    assert await keys(storage, "originals/") == ["originals/aa/1", "originals/ab/2"]
    assert await keys(storage, "originals/aa/") == ["originals/aa/1"]
    assert await keys(storage) == [
        "derived/aa/3",
        "originals/aa/1",
        "originals/ab/2",
        "originalsx/4",
    ]
    assert await keys(storage, "nothing/") == []


@pytest.mark.parametrize("key", INVALID_KEYS, ids=repr)
async def test_invalid_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidKey):
        await storage.put(key, io.BytesIO(b"evil"), content_type=PNG)
    with pytest.raises(InvalidKey):
        await storage.put_bytes(key, b"evil", content_type=PNG)
    with pytest.raises(InvalidKey):
        await storage.head(key)
    with pytest.raises(InvalidKey):
        storage.read(key)
    with pytest.raises(InvalidKey):
        await storage.read_bytes(key)
    with pytest.raises(InvalidKey):
        await storage.delete(key)
    with pytest.raises(InvalidKey):
        await storage.download_url(key, filename="x.png", content_type=PNG)
    assert await keys(storage) == []


async def test_failed_put_leaves_nothing(storage: Storage) -> None:
    data = os.urandom(3 * 1024 * 1024)
    with pytest.raises(OSError, match="client went away"):
        await storage.put(KEY, ExplodingReader(data, 2 * 1024 * 1024), content_type=PNG)
    assert await storage.head(KEY) is None
    assert await keys(storage) == []
    # The key is still usable afterwards.
    await storage.put(KEY, io.BytesIO(data), content_type=PNG)
    assert await storage.read_bytes(KEY) == data


async def test_size_mismatch_stores_nothing(storage: Storage) -> None:
    with pytest.raises(ValueError, match="expected"):
        await storage.put(KEY, io.BytesIO(b"12345"), content_type=PNG, size=6)
    assert await storage.head(KEY) is None
    assert await keys(storage) == []


async def test_stream_can_stop_early(storage: Storage) -> None:
    data = os.urandom(3 * 1024 * 1024)
    await storage.put(KEY, io.BytesIO(data), content_type=PNG)
    stream = storage.read(KEY, chunk_size=1024)
    first = await anext(aiter(stream))
    await stream.aclose()  # type: ignore[attr-defined]
    assert first == data[:1024]
    # Abandoning a stream must not poison the backend.
    assert await storage.read_bytes(KEY) == data


async def test_ping(storage: Storage) -> None:
    await storage.ping()


async def test_key_prefix_is_not_an_object(storage: Storage) -> None:
    await storage.put_bytes("originals/aa/1", b"x", content_type=PNG)
    assert await storage.head("originals/aa") is None
    with pytest.raises(BlobNotFound):
        await storage.read_bytes("originals/aa")
    await storage.delete("originals/aa")
    assert await keys(storage) == ["originals/aa/1"]
