"""LocalStorage specifics: root confinement, atomic writes, URLs, ping."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import anyio
import pytest

from assets_hub.errors import BackendUnavailable, ConfigError, InvalidKey
from assets_hub.media.storage import open_storage
from assets_hub.media.storage.local import LocalStorage

from .test_storage_contract import ExplodingReader

KEY = "originals/ab/" + "cd" * 32


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def local(root: Path) -> LocalStorage:
    return LocalStorage(root)


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_from_url_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage = open_storage("file://./var/storage")
    assert isinstance(storage, LocalStorage)
    assert storage.root == str(tmp_path / "var" / "storage")


def test_from_url_absolute(tmp_path: Path) -> None:
    assert LocalStorage.from_url(f"file://{tmp_path}/s").root == str(tmp_path / "s")
    assert LocalStorage.from_url(f"file://localhost{tmp_path}/s").root == str(tmp_path / "s")


@pytest.mark.parametrize(
    "url",
    [
        "file://",
        "file://example.com/srv/files",
        "file:///srv/files?mode=x",
        "file:///a#b",
        "s3://x",
    ],
)
def test_from_url_malformed(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LocalStorage.from_url(url)
    assert "ASSETS_HUB_STORAGE_URL" in caught.value.problems


def test_unknown_scheme() -> None:
    with pytest.raises(ConfigError, match="ASSETS_HUB_STORAGE_URL"):
        open_storage("ftp://example.com/x")


async def test_symlinked_directory_cannot_escape_root(
    local: LocalStorage, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "originals").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKey, match="leaves the storage root"):
        await local.put_bytes(KEY, b"evil", content_type="image/png")
    with pytest.raises(InvalidKey):
        await local.put(KEY, io.BytesIO(b"evil"), content_type="image/png")
    assert list(outside.iterdir()) == []


async def test_symlinked_file_is_not_served(
    local: LocalStorage, root: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    root.mkdir()
    (root / "leak").symlink_to(secret)
    with pytest.raises(InvalidKey):
        await local.read_bytes("leak")
    with pytest.raises(InvalidKey):
        await local.head("leak")
    with pytest.raises(InvalidKey):
        await local.delete("leak")
    assert secret.read_text() == "top secret"


async def test_invalid_keys_write_nothing_on_disk(local: LocalStorage, tmp_path: Path) -> None:
    for key in ("../x", "/abs", "x/../../y", "a\x00b", "A.JPG"):
        with pytest.raises(InvalidKey):
            await local.put_bytes(key, b"evil", content_type="image/png")
    assert files_under(tmp_path) == []


async def test_write_is_atomic(local: LocalStorage, root: Path) -> None:
    dest = root / KEY
    seen: list[tuple[bool, int]] = []

    class Watching(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            # While bytes are still arriving, nothing may be visible under the key.
            seen.append((dest.exists(), len(list((root / ".tmp").iterdir()))))
            return super().read(size)

    data = os.urandom(3 * 1024 * 1024 + 5)
    await local.put(KEY, Watching(data), content_type="image/png")
    assert seen and all(not exists and temp_files == 1 for exists, temp_files in seen)
    assert dest.read_bytes() == data
    assert list((root / ".tmp").iterdir()) == []
    assert files_under(root) == [f".meta/{KEY}", KEY]


async def test_failed_write_leaves_no_temp_file(local: LocalStorage, root: Path) -> None:
    with pytest.raises(OSError, match="client went away"):
        await local.put(KEY, ExplodingReader(os.urandom(4 << 20), 2 << 20), content_type="x/y")
    assert not (root / KEY).exists()
    assert list((root / ".tmp").iterdir()) == []
    assert [key async for key in local.list_keys()] == []


async def test_cancelled_write_leaves_nothing(local: LocalStorage, root: Path) -> None:
    class Slow(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            time.sleep(0.02)
            return super().read(size)

    source = Slow(os.urandom(50 << 20))
    with anyio.move_on_after(0.1) as scope:
        await local.put(KEY, source, content_type="x/y")
    assert 0 < source.tell() < 50 << 20  # cancelled while copying, not before
    assert scope.cancelled_caught
    assert not (root / KEY).exists()
    assert list((root / ".tmp").iterdir()) == []


async def test_native_cancellation_at_any_point_leaks_no_file_or_descriptor(
    local: LocalStorage, root: Path
) -> None:
    """A shutdown cancels tasks with Task.cancel(), which no anyio shield holds back: wherever
    it lands in a write or a read, no descriptor stays open and no temp file stays behind."""
    import asyncio

    await local.put_bytes(KEY, b"x" * 300_000, content_type="x/y")
    descriptors = len(os.listdir("/proc/self/fd"))

    async def read_all() -> None:
        async for _chunk in local.read(KEY, chunk_size=1024):
            pass

    for step in range(12):
        for work in (
            lambda step=step: local.put_bytes(
                f"originals/{step:02d}/{'ef' * 32}", b"y" * 1000, content_type="x/y"
            ),
            read_all,
        ):
            task = asyncio.ensure_future(work())
            for _ in range(step):  # land the cancel at a different point each time
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.2)  # let any worker thread still running finish
    assert len(os.listdir("/proc/self/fd")) == descriptors
    assert list((root / ".tmp").iterdir()) == []


async def test_list_keys_skips_bookkeeping(local: LocalStorage, root: Path) -> None:
    await local.put_bytes("a/b", b"1", content_type="text/plain")
    (root / ".tmp" / "leftover").write_bytes(b"x")
    assert [key async for key in local.list_keys()] == ["a/b"]


async def test_content_type_survives_restart(local: LocalStorage, root: Path) -> None:
    await local.put_bytes(KEY, b"x", content_type="image/webp")
    again = LocalStorage(root)
    head = await again.head(KEY)
    assert head is not None and head.content_type == "image/webp"


async def test_download_url_is_none(local: LocalStorage) -> None:
    await local.put_bytes(KEY, b"x", content_type="image/png")
    assert await local.download_url(KEY, filename="a.png", content_type="image/png") is None
    assert local.capabilities == frozenset()


async def test_ping_creates_missing_root(local: LocalStorage, root: Path) -> None:
    assert not root.exists()
    await local.ping()
    assert root.is_dir()


async def test_ping_unwritable_root(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    # /proc refuses new entries even to root, so this case runs whoever runs the tests.
    for path in (tmp_path / "file", tmp_path / "file" / "below", Path("/proc/assets-hub-x")):
        with pytest.raises(BackendUnavailable, match="not a writable directory"):
            await LocalStorage(path).ping()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
async def test_ping_read_only_root(root: Path) -> None:
    root.mkdir()
    root.chmod(0o500)
    try:
        with pytest.raises(BackendUnavailable):
            await LocalStorage(root).ping()
    finally:
        root.chmod(0o700)
