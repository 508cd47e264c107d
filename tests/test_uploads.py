"""The streaming multipart reader: spooling, hashing, limits and cleanup."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from assets_hub import uploads
from assets_hub.errors import BadRequest, PayloadTooLarge, RequestTimeout
from assets_hub.models import Role
from assets_hub.settings import Settings
from assets_hub.uploads import read_upload_form
from tests.conftest import app_client, authorise, make_jpeg

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


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_slow_drip_is_cut_off_after_the_grace_period() -> None:
    clock = FakeClock()
    pace = uploads.Pace(min_bytes_per_s=16 * 1024, grace_s=30, idle_s=5)

    async def drip() -> AsyncIterator[bytes]:
        while True:  # 1 KiB a second, for ever
            clock.now += 1
            yield b"x" * 1024

    received = 0
    with pytest.raises(RequestTimeout) as refused:
        async for chunk in uploads.paced(drip(), pace, clock):
            received += len(chunk)
    assert refused.value.status_code == 408 and "too slow" in refused.value.message
    assert received == 30 * 1024  # everything up to the end of the grace period, no more


async def test_a_steady_upload_passes_whole() -> None:
    clock = FakeClock()
    pace = uploads.Pace(min_bytes_per_s=16 * 1024, grace_s=1, idle_s=5)

    async def steady() -> AsyncIterator[bytes]:
        for _ in range(100):  # 64 KiB every 0.5 s: 128 KiB/s for 50 s
            clock.now += 0.5
            yield b"y" * 65536

    parts = [chunk async for chunk in uploads.paced(steady(), pace, clock)]
    assert sum(map(len, parts)) == 100 * 65536


async def test_an_upload_that_stops_sending_is_cut_off() -> None:
    pace = uploads.Pace(min_bytes_per_s=1, grace_s=60, idle_s=0.05)

    async def stalls() -> AsyncIterator[bytes]:
        yield b"z"
        await asyncio.sleep(5)
        yield b"never"

    with pytest.raises(RequestTimeout) as refused:
        async for _ in uploads.paced(stalls(), pace):
            pass
    assert "nothing arrived" in refused.value.message


async def test_the_api_answers_a_slow_drip_with_408_and_serves_others_meanwhile(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(upload_grace_s=1, upload_min_kib_per_s=16, upload_idle_s=5)
    order: list[str] = []
    payload = body({}, [("file", "slow.jpg", make_jpeg())])

    async def drip() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 512):  # about 5 KiB a second
            await asyncio.sleep(0.1)
            yield payload[start : start + 512]

    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)

        async def upload() -> httpx.Response:
            answer = await http.post(
                "/api/v1/assets", content=drip(), headers={"content-type": CONTENT_TYPE}
            )
            order.append("upload answered")
            return answer

        async def meanwhile() -> None:
            await asyncio.sleep(0.3)
            assert (await http.get("/healthz")).status_code == 200
            order.append("health answered")

        answer, _ = await asyncio.gather(upload(), meanwhile())
    assert answer.status_code == 408, answer.text
    assert "too slow" in answer.json()["error"]
    assert order == ["health answered", "upload answered"]
    assert not any(Path(settings.tmp_dir).iterdir())  # the spooled part was removed
