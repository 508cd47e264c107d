"""The streaming multipart reader: spooling, hashing, limits and cleanup."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from assets_hub import uploads
from assets_hub.errors import BadRequest, PayloadTooLarge
from assets_hub.uploads import read_upload_form

BOUNDARY = "bench-boundary-1234"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
MIB = 1024 * 1024


def body(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> bytes:
    out = b""
    for name, value in fields.items():
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    for name, filename, data in files:
        out += (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def no_limit(head: bytes) -> tuple[int, str]:
    return 10 * MIB, "The file is larger than 10 MiB."


@pytest.fixture
def spooled_files(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every SpooledTemporaryFile the reader makes, to check they are all closed."""
    made: list[Any] = []
    real = tempfile.SpooledTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        spooled = real(*args, **kwargs)
        made.append(spooled)
        return spooled

    monkeypatch.setattr(uploads.tempfile, "SpooledTemporaryFile", recording)
    return made


async def test_fields_and_files_are_spooled_hashed_and_rewound(tmp_path: Path) -> None:
    small = b"%PDF-1.7 small" + os.urandom(1000)
    large = b"%PDF-1.7 large" + os.urandom(3 * MIB)  # crosses the 1 MiB memory threshold
    data = body({"title": "Fact sheet"}, [("file", "a.pdf", small), ("file", "b.pdf", large)])
    form = await read_upload_form(
        CONTENT_TYPE,
        str(len(data)),
        chunks(data),
        tmp_dir=str(tmp_path),
        limit_for=no_limit,
        largest_limit=10 * MIB,
    )
    try:
        assert form.fields == {"title": "Fact sheet"}
        assert [f.filename for f in form.files] == ["a.pdf", "b.pdf"]
        for spooled, content in zip(form.files, (small, large), strict=True):
            assert spooled.size == len(content)
            assert spooled.sha256 == hashlib.sha256(content).hexdigest()
            assert spooled.head == content[:64]
            assert spooled.file.read() == content
    finally:
        form.close()
    assert list(tmp_path.iterdir()) == []  # spooled files never had a name on disk


async def test_too_large_file_is_refused_as_it_arrives_and_cleaned_up(
    tmp_path: Path, spooled_files: list[Any]
) -> None:
    data = body({}, [("file", "big.pdf", b"%PDF-1.7" + b"x" * (2 * MIB))])
    sent = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        async for chunk in chunks(data):
            sent += len(chunk)
            yield chunk

    def one_mib(head: bytes) -> tuple[int, str]:
        return MIB, "The PDF is larger than 1 MiB, the limit for documents."

    with pytest.raises(PayloadTooLarge, match="larger than 1 MiB"):
        await read_upload_form(
            CONTENT_TYPE,
            None,
            counted(),
            tmp_dir=str(tmp_path),
            limit_for=one_mib,
            largest_limit=MIB,
        )
    assert sent < 1.2 * MIB  # refused as soon as the limit was crossed
    assert spooled_files and all(spooled.closed for spooled in spooled_files)
    assert list(tmp_path.iterdir()) == []


async def test_truncated_body_is_refused_and_cleaned_up(
    tmp_path: Path, spooled_files: list[Any]
) -> None:
    data = body({}, [("file", "cut.pdf", b"%PDF-1.7" + os.urandom(2 * MIB))])
    with pytest.raises(BadRequest, match="ended before the file was complete"):
        await read_upload_form(
            CONTENT_TYPE,
            None,
            chunks(data[: MIB + 100]),
            tmp_dir=str(tmp_path),
            limit_for=no_limit,
            largest_limit=10 * MIB,
        )
    assert spooled_files and all(spooled.closed for spooled in spooled_files)
    assert list(tmp_path.iterdir()) == []


async def test_declared_length_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    async def never() -> AsyncIterator[bytes]:
        raise AssertionError("the body must not be read")
        yield b""  # pragma: no cover

    with pytest.raises(PayloadTooLarge):
        await read_upload_form(
            CONTENT_TYPE,
            str(100 * MIB),
            never(),
            tmp_dir=str(tmp_path),
            limit_for=no_limit,
            largest_limit=10 * MIB,
        )
