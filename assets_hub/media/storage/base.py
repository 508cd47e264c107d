"""The Storage interface every backend meets, and the rules for keys.

Contract (tests/media/test_storage_contract.py runs it against every backend):
- keys are server-generated relative paths (see ``validate_key``); anything else is InvalidKey;
- ``put`` never overwrites: if the key already holds an object, that object is kept and returned
  (keys are content-addressed or random, so the same key means the same bytes);
- ``put`` is all or nothing: a failure half way leaves no object under the key;
- ``read`` streams and raises BlobNotFound for a missing key before yielding anything;
- ``delete`` is idempotent;
- ``download_url`` returns a presigned GET URL (S3) or None where the app must stream (local);
- failures to reach the backend raise BackendUnavailable, never a client library's exception.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

from assets_hub.errors import InvalidKey

_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$")
MAX_KEY_LENGTH = 512
CHUNK_SIZE = 1024 * 1024


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe, server-generated key; raise InvalidKey otherwise."""
    if (
        not isinstance(key, str)
        or len(key) > MAX_KEY_LENGTH
        or not _KEY.match(key)
        or any(part in {".", ".."} or part.startswith("..") for part in key.split("/"))
    ):
        raise InvalidKey(f"not a valid storage key: {key!r}")
    return key


@dataclass(frozen=True)
class StoredObject:
    """What a backend knows about one stored object."""

    key: str
    size: int
    content_type: str
    # From head(): garbage collection spares young files. Not part of equality: the same
    # object is the same whether or not this call happened to learn its time.
    modified_at: datetime | None = field(default=None, compare=False)


class Storage(Protocol):
    """Blobs under validated relative keys."""

    name: str
    capabilities: frozenset[str]

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, size: int | None = None
    ) -> StoredObject:
        """Store the whole file object (read from its current position) under ``key``."""
        ...

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        """Store small bytes (thumbnails, renditions) under ``key``."""
        ...

    async def head(self, key: str) -> StoredObject | None:
        """The object's size and type, or None if absent."""
        ...

    def read(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Stream the object's bytes; BlobNotFound if absent."""
        ...

    async def read_bytes(self, key: str) -> bytes:
        """The whole object in memory (only for objects known to be small)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""
        ...

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every key starting with ``prefix`` (used by garbage collection and tests)."""
        ...

    async def sweep_incomplete(self, before: datetime) -> int:
        """Remove writes a crashed process left unfinished, begun before ``before``; how many.

        Local: temp files under ``.tmp/``; S3: incomplete multipart uploads (aborted).
        """
        ...

    async def free_bytes(self) -> int | None:
        """Space left for new objects, or None where the backend cannot tell (S3)."""
        ...

    async def download_url(self, key: str, *, filename: str, content_type: str) -> str | None:
        """A short-lived GET URL downloading as ``filename``; None means stream via the app."""
        ...

    async def ping(self) -> None:
        """Raise BackendUnavailable if the backend cannot be reached."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...
