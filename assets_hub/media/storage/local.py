"""LocalStorage: blobs as files under one root directory (the embedded default, ``file://``).

Layout under the root::

    <key>            the object's bytes (keys are relative paths, see ``validate_key``)
    .meta/<key>      its content type, one line of text
    .tmp/            in-flight writes; never a key (keys cannot start with ".")

Writes go to ``.tmp/`` first, are fsynced, and are then published with ``os.link`` — which
fails if the destination exists — so an object appears whole or not at all and an existing key is
never overwritten (SECURITY S3-01 holds for the local backend too).
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

import anyio

from assets_hub.errors import (
    NO_ROOM_ERRNOS,
    BackendUnavailable,
    BlobNotFound,
    ConfigError,
    InvalidKey,
    storage_error,
)
from assets_hub.media.storage.base import CHUNK_SIZE, StoredObject, validate_key
from assets_hub.threads import run_blocking

VARIABLE = "ASSETS_HUB_STORAGE_URL"
TMP_DIR = ".tmp"
META_DIR = ".meta"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Directories under the root that hold bookkeeping, not objects.
_INTERNAL = frozenset({TMP_DIR, META_DIR})


class LocalStorage:
    """Storage in a local directory; the app streams downloads itself (no presigned URLs)."""

    name = "local"
    capabilities: frozenset[str] = frozenset()

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Use ``root`` (made absolute against the current directory now) as the storage root."""
        self.root = os.path.abspath(os.fspath(root))

    @classmethod
    def from_url(cls, url: str) -> LocalStorage:
        """``file://./relative/dir`` (relative to the current directory) or ``file:///abs/dir``."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise ConfigError(VARIABLE, f"not a file:// URL: {url!r}")
        if parts.query or parts.fragment:
            raise ConfigError(VARIABLE, f"file:// URLs take no query or fragment: {url!r}")
        path = unquote(parts.path)
        if parts.netloc in {".", ".."}:
            # file://./var/storage: urlsplit reads "." as the host; it is the start of the path.
            path = parts.netloc + path
        elif parts.netloc not in {"", "localhost"}:
            raise ConfigError(
                VARIABLE,
                f"use file://./relative/dir or file:///absolute/dir, not host "
                f"{parts.netloc!r}: {url!r}",
            )
        if not path.strip("/") and path != "/":
            raise ConfigError(VARIABLE, f"no directory in {url!r}")
        if "\x00" in path:
            raise ConfigError(VARIABLE, f"NUL character in {url!r}")
        return cls(path)

    def __repr__(self) -> str:
        return f"LocalStorage(root={self.root!r})"

    # -- paths ------------------------------------------------------------------------------

    def _real_root(self) -> str:
        return os.path.realpath(self.root)

    def _path(self, key: str) -> str:
        """The confined filesystem path for ``key`` (blocking: resolves symlinks).

        ``validate_key`` already rules out "..", absolute paths and odd characters; resolving
        the path as well catches a symlink planted inside the root that points outside it.
        """
        validate_key(key)
        root = self._real_root()
        resolved = os.path.realpath(os.path.join(root, key))
        if os.path.commonpath([root, resolved]) != root or resolved == root:
            raise InvalidKey(f"storage key leaves the storage root: {key!r}")
        return resolved

    def _meta_path(self, key: str) -> str:
        root = self._real_root()
        resolved = os.path.realpath(os.path.join(root, META_DIR, key))
        meta_root = os.path.join(root, META_DIR)
        if os.path.commonpath([meta_root, resolved]) != meta_root:
            raise InvalidKey(f"storage key leaves the storage root: {key!r}")
        return resolved

    # -- blocking helpers (through run_blocking, but for the quick opens noted at their callers) --

    def _stat(self, key: str) -> StoredObject | None:
        path = self._path(key)
        try:
            stat = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise BackendUnavailable("storage", f"cannot stat {key!r}: {exc.strerror}") from exc
        if not os.path.isfile(path):
            return None
        try:
            with open(self._meta_path(key), encoding="utf-8") as meta:
                content_type = meta.read().strip() or DEFAULT_CONTENT_TYPE
        except OSError:
            # The object is what matters; a lost sidecar only loses the type.
            content_type = DEFAULT_CONTENT_TYPE
        modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        return StoredObject(
            key=key, size=stat.st_size, content_type=content_type, modified_at=modified
        )

    def _open_tmp(self) -> _TempFile:
        tmp_dir = os.path.join(self._real_root(), TMP_DIR)
        os.makedirs(tmp_dir, exist_ok=True)
        path = os.path.join(tmp_dir, uuid.uuid4().hex)
        # O_EXCL: never reuse or follow something already there; 0o600 until published.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        return _TempFile(path, fd)

    def _publish(self, tmp: _TempFile, key: str, content_type: str) -> bool:
        """fsync and link the temp file to ``key``; False if the key already held an object."""
        os.fchmod(tmp.fd, 0o644)
        os.fsync(tmp.fd)
        tmp.close()
        dest = self._path(key)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        # Re-check after creating directories: a symlink could have been swapped in meanwhile.
        dest = self._path(key)
        try:
            if os.path.lexists(dest):
                return False  # do not touch the existing object's sidecar either
            # The sidecar first: once the link exists, readers may ask for the type. (Two
            # writers racing past the check above can only disagree on the type of identical,
            # content-addressed bytes; the object itself is still never replaced.)
            self._write_meta(key, content_type)
            # link() never replaces an existing name: this is the create-if-absent commit point.
            try:
                os.link(tmp.path, dest)
            except OSError as exc:
                if not isinstance(exc, FileExistsError):  # the other writer's sidecar stays
                    with contextlib.suppress(OSError):
                        os.unlink(self._meta_path(key))
                raise
        except FileExistsError:
            return False
        finally:
            tmp.discard()
        self._fsync_dir(os.path.dirname(dest))
        return True

    def _write_meta(self, key: str, content_type: str) -> None:
        meta = self._meta_path(key)
        os.makedirs(os.path.dirname(meta), exist_ok=True)
        tmp_meta = os.path.join(self._real_root(), TMP_DIR, uuid.uuid4().hex + ".meta")
        try:
            with open(tmp_meta, "w", encoding="utf-8") as handle:
                handle.write(content_type)
            os.replace(tmp_meta, meta)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_meta)

    @staticmethod
    def _fsync_dir(path: str) -> None:
        # The link is durable only once its directory entry is; best effort where unsupported.
        with contextlib.suppress(OSError):
            dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _walk(self, path: str, rel: str, prefix: str) -> Iterator[list[str]]:
        """Keys under ``path`` in sorted order, a directory's files at a time (bounded memory).

        Directories sort as their name plus "/", so a depth-first walk yields keys in the same
        order as sorting them all would.
        """
        entries: list[tuple[str, str, bool]] = []
        try:
            with os.scandir(path) as found:
                for entry in found:
                    if not rel and entry.name in _INTERNAL:
                        continue  # bookkeeping, not objects (keys cannot start with ".")
                    # Like os.walk: a symlink to a directory is neither listed nor followed.
                    is_dir = entry.is_dir()
                    if is_dir and entry.is_symlink():
                        continue
                    entries.append((entry.name + "/" if is_dir else entry.name, entry.name, is_dir))
        except (FileNotFoundError, NotADirectoryError):
            return
        entries.sort()
        batch: list[str] = []
        for _, name, is_dir in entries:
            key = rel + name
            if not is_dir:
                if key.startswith(prefix):
                    batch.append(key)
                continue
            inner = key + "/"
            if inner.startswith(prefix) or prefix.startswith(inner):
                if batch:
                    yield batch
                    batch = []
                yield from self._walk(os.path.join(path, name), inner, prefix)
        if batch:
            yield batch

    def _delete(self, key: str) -> None:
        path = self._path(key)
        if os.path.isdir(path):
            return  # a "directory" of other keys is not an object
        try:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                os.unlink(path)
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                os.unlink(self._meta_path(key))
        except OSError as exc:
            raise BackendUnavailable("storage", f"cannot delete {key!r}: {exc.strerror}") from exc

    def _sweep_tmp(self, before: float) -> int:
        tmp_dir = os.path.join(self._real_root(), TMP_DIR)
        removed = 0
        try:
            entries = os.scandir(tmp_dir)
        except FileNotFoundError:
            return 0
        with entries:
            for entry in entries:
                # A live write touches its file with every chunk, so only debris is this old.
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    def _free_bytes(self) -> int:
        stat = os.statvfs(self.root if os.path.isdir(self.root) else os.path.dirname(self.root))
        return stat.f_bavail * stat.f_frsize

    def _ping(self) -> None:
        try:
            os.makedirs(self.root, exist_ok=True)
            if not os.path.isdir(self.root):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", self.root)
            # Prove writability by writing a byte (os.access lies for root and on some mounts;
            # an empty file can still be created on a full disk).
            probe = self._open_tmp()
            try:
                os.write(probe.fd, b"\n")
                os.fsync(probe.fd)
            finally:
                probe.discard()
        except OSError as exc:
            if exc.errno in NO_ROOM_ERRNOS:
                raise BackendUnavailable("storage", f"storage root {self.root!r} is full") from exc
            raise BackendUnavailable(
                "storage", f"storage root {self.root!r} is not a writable directory: {exc}"
            ) from exc

    # -- Storage API ----------------------------------------------------------------------

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, size: int | None = None
    ) -> StoredObject:
        """Copy ``source`` from its current position to ``key``; keep an existing object.

        If ``size`` is given and the source holds a different number of bytes, nothing is stored
        and ValueError is raised.
        """
        validate_key(key)
        existing = await run_blocking("files", self._stat, key)
        if existing is not None:
            return existing
        tmp = await self._start_write()
        try:
            total = 0
            while copied := await run_blocking("files", tmp.copy_chunk, source):
                total += copied
            if size is not None and total != size:
                raise ValueError(f"source had {total} bytes, expected {size}")
            return await self._finish_write(key, tmp, total, content_type)
        except BaseException:
            await self._cleanup(tmp)
            raise

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        """Store ``data`` under ``key`` (kept as is if the key already exists)."""
        validate_key(key)
        existing = await run_blocking("files", self._stat, key)
        if existing is not None:
            return existing
        tmp = await self._start_write()
        try:
            await run_blocking("files", tmp.write, data)
            return await self._finish_write(key, tmp, len(data), content_type)
        except BaseException:
            await self._cleanup(tmp)
            raise

    async def _start_write(self) -> _TempFile:
        # Opened on the loop, not in a worker thread: a cancellation (a dropped upload, a
        # shutdown) landing while a thread opened it would lose the descriptor and leave the
        # temp file behind. Creating one file is a quick metadata call; the writes stay off
        # the loop.
        try:
            return self._open_tmp()
        except OSError as exc:
            raise storage_error(f"cannot write under {self.root!r}", exc) from exc

    async def _finish_write(
        self, key: str, tmp: _TempFile, total: int, content_type: str
    ) -> StoredObject:
        try:
            created = await run_blocking("files", self._publish, tmp, key, content_type)
        except OSError as exc:
            raise storage_error(f"cannot write {key!r}", exc) from exc
        if not created:
            existing = await run_blocking("files", self._stat, key)
            if existing is not None:
                return existing
        return StoredObject(key=key, size=total, content_type=content_type)

    @staticmethod
    async def _cleanup(tmp: _TempFile) -> None:
        # Shielded so a cancelled upload still removes its temp file.
        with anyio.CancelScope(shield=True):
            await run_blocking("files", tmp.discard)

    async def head(self, key: str) -> StoredObject | None:
        """Size and content type of ``key``, or None if there is no such object."""
        validate_key(key)
        return await run_blocking("files", self._stat, key)

    def read(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Stream the file in ``chunk_size`` pieces; BlobNotFound (before any bytes) if absent."""
        validate_key(key)
        return self._read(key, chunk_size)

    def _open_for_read(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            handle = open(path, "rb")  # closed by _read
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise BlobNotFound(key) from exc
        except OSError as exc:
            raise BackendUnavailable("storage", f"cannot read {key!r}: {exc.strerror}") from exc
        return handle

    async def _read(self, key: str, chunk_size: int) -> AsyncIterator[bytes]:
        # Opened on the loop for the same reason as _start_write: a cancelled download must
        # not leave its file open until garbage collection.
        handle = self._open_for_read(key)
        try:
            while True:
                chunk = await run_blocking("files", handle.read, chunk_size)
                if chunk:
                    yield chunk
                # A buffered file's read(n) returns fewer than n bytes only at the end: no
                # further trip to a worker thread just to be told so (most renditions are
                # one chunk).
                if len(chunk) < chunk_size:
                    break
        finally:
            # Closing a read-only file does not block; doing it inline also works when the
            # generator is finalised after its event loop has stopped.
            handle.close()

    async def read_bytes(self, key: str) -> bytes:
        """The whole object; BlobNotFound if absent."""
        return b"".join([chunk async for chunk in self.read(key)])

    async def delete(self, key: str) -> None:
        """Remove the object and its metadata; nothing happens if it is already gone."""
        validate_key(key)
        await run_blocking("files", self._delete, key)

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every key starting with ``prefix``, in sorted order (skips ``.tmp`` and ``.meta``)."""
        return self._list_keys(prefix)

    async def _list_keys(self, prefix: str) -> AsyncIterator[str]:
        batches = self._walk(self._real_root(), "", prefix)
        while (keys := await run_blocking("files", next, batches, None)) is not None:
            for key in keys:
                yield key

    async def download_url(self, key: str, *, filename: str, content_type: str) -> str | None:
        """Always None: the app streams local files itself (with ``content_disposition``)."""
        validate_key(key)
        return None

    async def ping(self) -> None:
        """Create the root if missing and prove it is a writable directory."""
        await run_blocking("files", self._ping)

    async def sweep_incomplete(self, before: datetime) -> int:
        """Remove temp files under ``.tmp/`` last written before ``before`` (a killed writer's)."""
        return await run_blocking("files", self._sweep_tmp, before.timestamp())

    async def free_bytes(self) -> int | None:
        """Bytes free for an unprivileged writer on the storage root's filesystem."""
        return await run_blocking("files", self._free_bytes)

    async def aclose(self) -> None:
        """Nothing to release: files are opened and closed per operation."""


class _TempFile:
    """An in-flight write under ``.tmp/``; owns its descriptor until closed."""

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def fd(self) -> int:
        if self._fd is None:
            raise ValueError("temp file already closed")
        return self._fd

    def write(self, data: bytes | memoryview) -> None:
        """Write everything; a disk failure (ENOSPC, EIO) is the backend's, not the source's."""
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            raise storage_error("cannot write", exc) from exc

    def copy_chunk(self, source: BinaryIO) -> int:
        """Copy up to one chunk from ``source``; 0 at the end of the source."""
        data = source.read(CHUNK_SIZE)
        if data:
            self.write(data)
        return len(data)

    def close(self) -> None:
        # Forget the descriptor before closing so it can never be closed twice (the number
        # may already belong to another thread's file).
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def discard(self) -> None:
        """Close and remove; safe to call more than once."""
        with contextlib.suppress(OSError):
            self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
