"""S3Storage against a real SeaweedFS: presigned URLs, privacy, immutability, failures."""

from __future__ import annotations

import io
import itertools
import os
import socket
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator
from email.message import Message
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import anyio
import pytest

from assets_hub.errors import BackendUnavailable, ConfigError
from assets_hub.media.disposition import content_disposition
from assets_hub.media.storage import open_storage
from assets_hub.media.storage.s3 import S3Storage

from ..servers import SeaweedFS
from .conftest import guard_s3_writes
from .test_storage_contract import ExplodingReader

pytestmark = pytest.mark.s3

KEY = "originals/ab/" + "ef" * 32


def fetch(url: str) -> tuple[int, Message, bytes]:
    """GET without any AWS credentials; returns status, headers and body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - test URL
            return response.status, response.headers, response.read()
    except HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    query[name] = [value]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


@pytest.fixture
async def s3(s3_storage_url: str) -> AsyncIterator[S3Storage]:
    storage = S3Storage.from_url(s3_storage_url)
    try:
        yield storage
    finally:
        await storage.aclose()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_presigned_url_downloads_with_headers(s3: S3Storage) -> None:
    data = b"%PDF-1.7 fake"
    await s3.put_bytes(KEY, data, content_type="application/octet-stream")
    filename = 'Résumé "final"\r\n.pdf'
    url = await s3.download_url(KEY, filename=filename, content_type="application/pdf")
    assert url is not None
    status, headers, body = fetch(url)
    assert status == 200
    assert body == data
    assert headers["Content-Disposition"] == content_disposition(filename)
    assert headers["Content-Disposition"].startswith('attachment; filename="Resume final.pdf"')
    assert headers["Content-Type"] == "application/pdf"


async def test_presigned_url_expiry_is_capped(s3: S3Storage, s3_storage_url: str) -> None:
    await s3.put_bytes(KEY, b"x", content_type="image/png")
    url = await s3.download_url(KEY, filename="a.png", content_type="image/png")
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) == 300
    assert query["response-content-disposition"][0].startswith("attachment;")
    short = S3Storage.from_url(s3_storage_url + "&expires_s=60")
    try:
        url = await short.download_url(KEY, filename="a.png", content_type="image/png")
        assert url is not None and parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["60"]
    finally:
        await short.aclose()
    with pytest.raises(ConfigError, match="expires_s"):
        S3Storage.from_url(s3_storage_url + "&expires_s=301")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("response-content-type", "text/html"),
        ("response-content-disposition", "inline"),
        ("X-Amz-Expires", "604800"),
        ("X-Amz-Date", "20990101T000000Z"),
    ],
)
async def test_tampered_presigned_url_is_refused(s3: S3Storage, name: str, value: str) -> None:
    await s3.put_bytes(KEY, b"<script>alert(1)</script>", content_type="text/plain")
    url = await s3.download_url(KEY, filename="a.txt", content_type="text/plain")
    assert url is not None
    assert fetch(url)[0] == 200
    status, _, body = fetch(with_param(url, name, value))
    assert status == 403
    assert b"<script>" not in body


async def test_bucket_is_private(s3: S3Storage, seaweedfs: SeaweedFS) -> None:
    """DL-04: an unsigned GET of an object (or of the bucket listing) is refused."""
    await s3.put_bytes(KEY, b"secret", content_type="image/png")
    status, _, body = fetch(f"{seaweedfs.endpoint_url}/{s3.bucket}/{KEY}")
    assert status == 403
    assert b"secret" not in body
    assert fetch(f"{seaweedfs.endpoint_url}/{s3.bucket}")[0] == 403


async def test_public_endpoint_is_used_for_signing(
    s3: S3Storage, seaweedfs: SeaweedFS, s3_storage_url: str
) -> None:
    """S3-06: URLs are signed for the public host, and work there."""
    await s3.put_bytes(KEY, b"public", content_type="image/png")
    public = seaweedfs.endpoint_url.replace("127.0.0.1", "localhost")
    # Same bucket as ``s3`` (the fixture URL), reached under another host name.
    url = f"s3://{s3.bucket}?endpoint_url={seaweedfs.endpoint_url}&public_endpoint_url={public}"
    storage = S3Storage.from_url(url)
    try:
        signed = await storage.download_url(KEY, filename="p.png", content_type="image/png")
    finally:
        await storage.aclose()
    assert signed is not None and signed.startswith(f"{public}/{s3.bucket}/")
    assert fetch(signed)[:3:2] == (200, b"public")


async def test_no_key_is_written_twice(s3: S3Storage) -> None:
    """S3-01: record every write request; each key is written at most once, conditionally."""
    writes: list[tuple[str, str]] = []
    conditional: list[bool] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in {"PutObject", "CompleteMultipartUpload", "CopyObject"}:
            # At before-call the bucket is not yet in the path (endpoint rules add it later).
            path = params["url_path"].split("?")[0].removeprefix(f"/{s3.bucket}")
            writes.append((model.name, path.lstrip("/")))
            conditional.append(params["headers"].get("If-None-Match") == "*")

    s3.client.meta.events.register("before-call.s3", record)
    big = os.urandom(17 * 1024 * 1024)
    for _ in range(3):
        await s3.put_bytes("derived/ab/thumb.webp", b"thumb", content_type="image/webp")
        await s3.put(KEY, io.BytesIO(big), content_type="image/png")
        await s3.put("originals/cd/small", io.BytesIO(b"small"), content_type="image/png")
    await s3.delete("originals/cd/small")
    await s3.put("originals/cd/small", io.BytesIO(b"small"), content_type="image/png")

    counts = Counter(path for _, path in writes)
    assert {name for name, _ in writes} == {"PutObject", "CompleteMultipartUpload"}
    assert all(conditional), "every write must carry If-None-Match: *"
    # The deleted-then-rewritten key is the only one written twice, by design.
    assert counts.pop("originals/cd/small") == 2
    assert counts == {"derived/ab/thumb.webp": 1, KEY: 1}
    assert await s3.read_bytes(KEY) == big


async def test_conditional_write_race_keeps_first(s3: S3Storage, seaweedfs: SeaweedFS) -> None:
    """If another writer creates the key between HEAD and PUT, 412 keeps its object."""
    client = seaweedfs.client()

    def sneak_in(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in {"PutObject", "CompleteMultipartUpload"}:
            s3.client.meta.events.unregister("before-call.s3", sneak_in)
            client.put_object(Bucket=s3.bucket, Key=KEY, Body=b"first", ContentType="text/plain")

    s3.client.meta.events.register("before-call.s3", sneak_in)
    try:
        stored = await s3.put(KEY, io.BytesIO(os.urandom(17 << 20)), content_type="image/png")
        assert (stored.size, stored.content_type) == (5, "text/plain")
        assert await s3.read_bytes(KEY) == b"first"
        assert client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []
    finally:
        client.close()


async def test_failed_multipart_upload_is_aborted(s3: S3Storage, seaweedfs: SeaweedFS) -> None:
    """S3-05: a source failing after some parts were uploaded leaves no upload behind."""
    calls: list[str] = []
    s3.client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    source = ExplodingReader(os.urandom(30 << 20), fail_after=20 << 20)
    with pytest.raises(OSError, match="client went away"):
        await s3.put(KEY, source, content_type="image/png")
    assert calls.count("UploadPart") >= 2
    assert "AbortMultipartUpload" in calls
    client = seaweedfs.client()
    try:
        assert client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []
    finally:
        client.close()
    assert await s3.head(KEY) is None


async def test_cancelled_multipart_upload_is_aborted(s3: S3Storage, seaweedfs: SeaweedFS) -> None:
    class Slow(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            time.sleep(0.05)
            return super().read(size)

    source = Slow(os.urandom(60 << 20))
    with anyio.move_on_after(1.0) as scope:
        await s3.put(KEY, source, content_type="image/png")
    assert scope.cancelled_caught
    client = seaweedfs.client()
    try:
        assert client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []
    finally:
        client.close()
    assert await s3.head(KEY) is None


async def test_prefix_option(seaweedfs: SeaweedFS) -> None:
    bucket = seaweedfs.new_bucket()
    storage = open_storage(f"s3://{bucket}?endpoint_url={seaweedfs.endpoint_url}&prefix=tenant")
    client = seaweedfs.client()
    try:
        await storage.put_bytes("a/b", b"x", content_type="text/plain")
        listed = client.list_objects_v2(Bucket=bucket)["Contents"]
        assert [item["Key"] for item in listed] == ["tenant/a/b"]
        assert [key async for key in storage.list_keys("a/")] == ["a/b"]
    finally:
        client.close()
        await storage.aclose()


async def test_ping(s3: S3Storage, seaweedfs: SeaweedFS) -> None:
    await s3.ping()
    missing = S3Storage.from_url(f"s3://no-such-bucket-here?endpoint_url={seaweedfs.endpoint_url}")
    try:
        with pytest.raises(ConfigError, match="does not exist"):
            await missing.ping()
    finally:
        await missing.aclose()


async def test_wrong_credentials_are_unavailable_not_boto_errors(
    s3_storage_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    storage = S3Storage.from_url(s3_storage_url)
    try:
        with pytest.raises(BackendUnavailable):
            await storage.put_bytes(KEY, b"x", content_type="image/png")
        with pytest.raises(BackendUnavailable):
            await storage.read_bytes(KEY)
    finally:
        await storage.aclose()


async def test_unreachable_endpoint_fails_fast_without_blocking_the_loop(
    seaweedfs: SeaweedFS,
) -> None:
    port = closed_port()
    storage = S3Storage.from_url(f"s3://some-bucket?endpoint_url=http://127.0.0.1:{port}")
    ticks: list[float] = []
    results: list[str] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await anyio.sleep(0.02)

    async def attempt(name: str, call: Any) -> None:
        start = time.monotonic()
        with pytest.raises(BackendUnavailable) as caught:
            await call
        assert time.monotonic() - start < 10
        assert caught.value.backend == "storage"
        results.append(name)

    start = time.monotonic()
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ticker)
            await attempt("ping", storage.ping())
            await attempt("put", storage.put(KEY, io.BytesIO(b"x"), content_type="image/png"))
            await attempt("read", storage.read_bytes(KEY))
            tasks.cancel_scope.cancel()
    finally:
        await storage.aclose()
    elapsed = time.monotonic() - start
    assert results == ["ping", "put", "read"]
    # Connecting and retrying (with back-off) happen in worker threads: the loop never stalled.
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert ticks[-1] - ticks[0] >= elapsed - 0.1
    assert max(gaps) < 0.25, f"event loop stalled for {max(gaps):.2f}s"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://key:secret@bucket-name", "credentials"),
        ("s3://bucket-name?endpoint=http://x", "unknown option"),
        ("s3://bucket-name?region=a&region=b", "given twice"),
        ("s3://Bad_Bucket", "bucket name"),
        ("s3://bucket-name/some/path", "prefix"),
        ("s3://bucket-name?endpoint_url=ftp://x", "http"),
        ("s3://bucket-name?expires_s=0", "expires_s"),
        ("s3://bucket-name?expires_s=soon", "expires_s"),
        ("s3://bucket-name?prefix=../up", "prefix"),
    ],
)
def test_from_url_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        S3Storage.from_url(url)
    assert "ASSETS_HUB_STORAGE_URL" in caught.value.problems


async def test_overwrite_guard_sees_raw_rewrites(s3: S3Storage) -> None:
    """The S3-01 guard used by the ``storage`` fixture really catches a second write."""
    overwritten = guard_s3_writes(s3)
    s3.client.put_object(Bucket=s3.bucket, Key="raw/key", Body=b"1")
    s3.client.put_object(Bucket=s3.bucket, Key="raw/key", Body=b"2")
    assert overwritten == ["/raw/key"]
