"""S3Storage: blobs in an S3-compatible bucket through boto3 (AWS S3, MinIO, SeaweedFS, Garage).

URL form (``ASSETS_HUB_STORAGE_URL``)::

    s3://BUCKET?endpoint_url=http://127.0.0.1:8333&region=us-east-1
        [&public_endpoint_url=https://files.example.org][&prefix=assets][&expires_s=300]

Credentials come from boto3's usual chain (environment, shared config, instance role), never
from the URL. Every boto3 call runs in the "boto3" thread pool (SECURITY S3-04); every client
library failure is turned into BackendUnavailable (or BlobNotFound) so callers see only the
app's own errors.
"""

from __future__ import annotations

import asyncio
import logging
import re
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, ParamSpec, TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import HTTPError as Urllib3Error

from assets_hub.errors import BackendUnavailable, BlobNotFound, ConfigError, InvalidKey
from assets_hub.media.disposition import content_disposition
from assets_hub.media.storage.base import CHUNK_SIZE, StoredObject, validate_key
from assets_hub.threads import run_blocking

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

VARIABLE = "ASSETS_HUB_STORAGE_URL"
MAX_EXPIRES_S = 300  # SECURITY DL-05: presigned URLs live at most five minutes.
DEFAULT_PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS = 10_000
# Parts a large upload sends at once, each held in memory until sent, plus the one being read
# (bench/upload.py, SeaweedFS on two cores: one at a time ~90 MB/s, three ~140 MB/s like
# boto3's upload_fileobj; two keeps a 1 GiB upload's peak RSS well under 100 MB). Only
# uploads of a known size of at least PARALLEL_FROM_PARTS parts go in parallel.
PARTS_IN_FLIGHT = 2
READ_TIMEOUT_S = 10
PARALLEL_FROM_PARTS = 8
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_URL_OPTIONS = frozenset({"endpoint_url", "region", "public_endpoint_url", "prefix", "expires_s"})
# Error codes meaning "no such object" (HEAD answers a bare status code, GET a named code).
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_PRECONDITION_FAILED = frozenset({"412", "PreconditionFailed"})
# What a store answers when it does not understand If-None-Match on writes.
_CONDITION_UNSUPPORTED = frozenset({"NotImplemented", "501"})


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _unavailable(action: str, exc: Exception) -> BackendUnavailable:
    """The app-level error for a boto3/botocore failure; never exposes credentials."""
    if isinstance(exc, ClientError):
        detail = f"{action}: {_error_code(exc) or 'error'} (HTTP {_status(exc)})"
    else:
        detail = f"{action}: {type(exc).__name__}: {exc}"
    return BackendUnavailable("storage", detail)


class _AlreadyExists(Exception):
    """Internal signal: a conditional write found the key taken."""


class S3Storage:
    """Storage in one S3 bucket (optionally under a key prefix), with presigned downloads."""

    name = "s3"
    capabilities: frozenset[str] = frozenset({"presigned_urls"})

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        public_endpoint_url: str | None = None,
        prefix: str = "",
        expires_s: int = MAX_EXPIRES_S,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        """Configure the clients; no network traffic happens until the first call.

        ``public_endpoint_url`` is the address browsers use; presigned URLs are signed for it
        (SECURITY S3-06) while the app itself talks to ``endpoint_url``.
        """
        if not _BUCKET.match(bucket):
            raise ConfigError(VARIABLE, f"not a valid bucket name: {bucket!r}")
        if not 0 < expires_s <= MAX_EXPIRES_S:
            raise ConfigError(VARIABLE, f"expires_s must be 1..{MAX_EXPIRES_S}, got {expires_s}")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.public_endpoint_url = public_endpoint_url or endpoint_url
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.expires_s = expires_s
        self.part_size = part_size
        self.parts_in_flight = PARTS_IN_FLIGHT
        # Cleared the first time the store rejects If-None-Match, so later writes skip it
        # (a benign race between threads: at worst one more write tries the header).
        self._conditional_writes = True
        config = Config(
            connect_timeout=5,
            # Per socket read, and retried: 3 attempts x 10 s keep a blackholed store's worst
            # case near RELIABILITY F1's 35 s (30 s each took 90 s, tests/reliability soak).
            read_timeout=READ_TIMEOUT_S,
            retries={"mode": "standard", "total_max_attempts": 3},
            signature_version="s3v4",
            # Path-style addressing: custom endpoints rarely have wildcard DNS for buckets.
            s3={"addressing_style": "path"} if endpoint_url else {},
            max_pool_connections=32,  # as many as the "boto3" thread pool
        )
        # Client construction loads JSON models but does no network I/O.
        session = boto3.session.Session(region_name=region)
        self.client: S3Client = session.client("s3", endpoint_url=endpoint_url, config=config)
        if self.public_endpoint_url != endpoint_url:
            self._signer: S3Client = session.client(
                "s3", endpoint_url=self.public_endpoint_url, config=config
            )
        else:
            self._signer = self.client

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        """Build from ``s3://BUCKET?endpoint_url=...&region=...`` (see the module docstring)."""
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise ConfigError(VARIABLE, f"not an s3:// URL: {url!r}")
        if "@" in parts.netloc:
            raise ConfigError(
                VARIABLE,
                "credentials do not belong in the storage URL; use AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY or another source in boto3's credential chain",
            )
        if parts.path not in {"", "/"} or parts.fragment:
            raise ConfigError(
                VARIABLE, f"use s3://BUCKET?prefix=... for a key prefix, not a path: {url!r}"
            )
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError as exc:
            raise ConfigError(VARIABLE, f"malformed query in {url!r}") from exc
        unknown = sorted(set(query) - _URL_OPTIONS)
        if unknown:
            known = ", ".join(sorted(_URL_OPTIONS))
            raise ConfigError(VARIABLE, f"unknown option(s) {', '.join(unknown)}; use {known}")
        repeated = sorted(name for name, values in query.items() if len(values) > 1)
        if repeated:
            raise ConfigError(VARIABLE, f"option(s) given twice: {', '.join(repeated)}")
        options = {name: values[0] for name, values in query.items()}
        for name in ("endpoint_url", "public_endpoint_url"):
            if name in options:
                _check_endpoint(name, options[name])
        prefix = options.get("prefix", "").strip("/")
        if prefix:
            try:
                validate_key(prefix)
            except InvalidKey as exc:
                raise ConfigError(VARIABLE, f"prefix {prefix!r} is not a valid key path") from exc
        try:
            expires_s = int(options.get("expires_s", MAX_EXPIRES_S))
        except ValueError as exc:
            raise ConfigError(VARIABLE, "expires_s must be a whole number of seconds") from exc
        return cls(
            parts.netloc,
            endpoint_url=options.get("endpoint_url") or None,
            region=options.get("region") or None,
            public_endpoint_url=options.get("public_endpoint_url") or None,
            prefix=prefix,
            expires_s=expires_s,
        )

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    # -- plumbing ---------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def _run(self, action: str, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one blocking boto3 step in the "boto3" pool, translating its failures."""
        try:
            return await run_blocking("boto3", func, *args, **kwargs)
        except (ClientError, BotoCoreError, Urllib3Error) as exc:
            raise _unavailable(action, exc) from exc

    # -- blocking steps (each runs in a worker thread) --------------------------------------

    def _head_sync(self, key: str) -> StoredObject | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING or _status(exc) == 404:
                return None
            raise
        return StoredObject(
            key=key,
            size=int(response.get("ContentLength", 0)),
            content_type=response.get("ContentType") or "application/octet-stream",
            modified_at=response.get("LastModified"),
        )

    def _conditional(self, call: Callable[..., Any], **kwargs: Any) -> None:
        """Make a write with If-None-Match: * where the store supports it (SECURITY S3-01).

        Raises _AlreadyExists on 412. A store that rejects the header is remembered and written
        to without it; the HEAD done before every write still keeps existing keys.
        """
        if self._conditional_writes:
            try:
                call(IfNoneMatch="*", **kwargs)
                return
            except ClientError as exc:
                if _error_code(exc) in _PRECONDITION_FAILED or _status(exc) == 412:
                    raise _AlreadyExists from exc
                if not (_error_code(exc) in _CONDITION_UNSUPPORTED or _status(exc) == 501):
                    raise
                log.warning("storage does not support If-None-Match writes; relying on HEAD")
                self._conditional_writes = False
        call(**kwargs)

    def _abort_sync(self, s3_key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=s3_key, UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            # The bucket's AbortIncompleteMultipartUpload rule / sweeper is the backstop (S3-05).
            log.warning("could not abort multipart upload of %s: %s", s3_key, exc)

    def _get_body(self, key: str) -> StreamingBody:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING or _status(exc) == 404:
                raise BlobNotFound(key) from exc
            raise
        return response["Body"]

    @staticmethod
    def _read_full(source: BinaryIO, size: int) -> bytes:
        """Up to ``size`` bytes; short only at the end (raw streams may return less per read)."""
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0:
            piece = source.read(wanted)
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        return b"".join(pieces)

    # -- Storage API ------------------------------------------------------------------------

    async def head(self, key: str) -> StoredObject | None:
        """Size and content type of ``key``, or None if there is no such object."""
        validate_key(key)
        return await self._run(f"head {key}", self._head_sync, key)

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, size: int | None = None
    ) -> StoredObject:
        """Stream ``source`` (from its current position) to ``key``; keep an existing object.

        Objects larger than one part go up as a multipart upload that is aborted on any failure
        or cancellation (SECURITY S3-05). If ``size`` is given and the source holds a different
        number of bytes, nothing is stored and ValueError is raised.
        """
        validate_key(key)
        existing = await self.head(key)
        if existing is not None:
            return existing
        part_size = self.part_size
        if size is not None:
            # Keep within S3's 10 000-part limit for very large known sizes.
            part_size = max(part_size, -(-size // MAX_PARTS))
        first = await run_blocking("files", self._read_full, source, part_size)
        second = b""
        if len(first) == part_size:
            second = await run_blocking("files", self._read_full, source, part_size)
        if not second:
            if size is not None and len(first) != size:
                raise ValueError(f"source had {len(first)} bytes, expected {size}")
            return await self._put_single(key, first, content_type)
        first_parts = [first, second]
        del first, second  # only the list holds them: each is freed once it has been sent
        in_flight = 1
        if size is not None and size >= PARALLEL_FROM_PARTS * part_size:
            in_flight = self.parts_in_flight
        return await self._put_multipart(
            key, source, first_parts, part_size, content_type, size, in_flight
        )

    async def _put_single(self, key: str, data: bytes, content_type: str) -> StoredObject:
        s3_key = self._key(key)
        try:
            await self._run(
                f"put {key}",
                self._conditional,
                self.client.put_object,
                Bucket=self.bucket,
                Key=s3_key,
                Body=data,
                ContentType=content_type,
            )
        except _AlreadyExists:
            return await self._existing(key)
        return StoredObject(key=key, size=len(data), content_type=content_type)

    async def _put_multipart(
        self,
        key: str,
        source: BinaryIO,
        first_parts: list[bytes],
        part_size: int,
        content_type: str,
        size: int | None,
        in_flight: int,
    ) -> StoredObject:
        s3_key = self._key(key)
        created = await self._run(
            f"start upload of {key}",
            self.client.create_multipart_upload,
            Bucket=self.bucket,
            Key=s3_key,
            ContentType=content_type,
        )
        upload_id = created["UploadId"]
        etags: dict[int, str] = {}
        sending: set[asyncio.Task[None]] = set()

        async def send(number: int, data: bytes) -> None:
            uploaded = await self._run(
                f"upload part {number} of {key}",
                self.client.upload_part,
                Bucket=self.bucket,
                Key=s3_key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
            )
            etags[number] = uploaded["ETag"]

        try:
            total = 0
            number = 0
            while True:
                if len(sending) >= in_flight:
                    done, sending = await asyncio.wait(sending, return_when=FIRST_COMPLETED)
                    _raise_first(done)
                if first_parts:
                    data = first_parts.pop(0)
                else:
                    # Read the next part while the others are being sent.
                    data = await run_blocking("files", self._read_full, source, part_size)
                    if not data:
                        break
                number += 1
                total += len(data)
                sending.add(asyncio.create_task(send(number, data)))
                del data  # held by its task only: freed as soon as the part is sent
            if sending:
                done, sending = await asyncio.wait(sending)
                _raise_first(done)
            if size is not None and total != size:
                raise ValueError(f"source had {total} bytes, expected {size}")
            parts = [{"PartNumber": n, "ETag": etags[n]} for n in range(1, number + 1)]
            await self._run(
                f"complete upload of {key}",
                self._conditional,
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=s3_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except _AlreadyExists:
            await self._abort(s3_key, upload_id)
            return await self._existing(key)
        except BaseException:
            if sending:
                # Parts being sent finish first (their threads cannot be stopped), or one could
                # land after the abort; shielded like the abort itself.
                with anyio.CancelScope(shield=True):
                    await asyncio.wait(sending)
                for task in sending:
                    if not task.cancelled():
                        task.exception()  # retrieved: the failure raised here is reported
            await self._abort(s3_key, upload_id)
            raise
        return StoredObject(key=key, size=total, content_type=content_type)

    async def _abort(self, s3_key: str, upload_id: str) -> None:
        # Shielded: a cancelled request must still abort, or the parts linger (S3-05).
        with anyio.CancelScope(shield=True):
            await run_blocking("boto3", self._abort_sync, s3_key, upload_id)

    async def _existing(self, key: str) -> StoredObject:
        found = await self.head(key)
        if found is None:
            # 412 said the key exists but it is gone now (deleted meanwhile): report, do not loop.
            raise BackendUnavailable("storage", f"{key} changed during the write; retry")
        return found

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        """Store small ``data`` under ``key`` in one PutObject (kept if the key exists)."""
        validate_key(key)
        existing = await self.head(key)
        if existing is not None:
            return existing
        return await self._put_single(key, data, content_type)

    def read(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Stream the object; BlobNotFound (before any bytes) if absent."""
        validate_key(key)
        return self._read(key, chunk_size)

    async def _read(self, key: str, chunk_size: int) -> AsyncIterator[bytes]:
        body = await self._run(f"get {key}", self._get_body, key)
        try:
            while True:
                chunk = await self._run(f"read {key}", body.read, chunk_size)
                if not chunk:
                    break
                yield chunk
        finally:
            # Releases (or drops, if unread) the pooled connection; does not block.
            body.close()

    async def read_bytes(self, key: str) -> bytes:
        """The whole object in memory; BlobNotFound if absent."""
        return b"".join([chunk async for chunk in self.read(key)])

    async def delete(self, key: str) -> None:
        """DeleteObject, which S3 answers with success whether or not the key exists."""
        s3_key = self._key(key)
        try:
            await run_blocking("boto3", self.client.delete_object, Bucket=self.bucket, Key=s3_key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING or _status(exc) == 404:
                return
            raise _unavailable(f"delete {key}", exc) from exc
        except (BotoCoreError, Urllib3Error) as exc:
            raise _unavailable(f"delete {key}", exc) from exc

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every key starting with ``prefix`` (ListObjectsV2 pages fetched in worker threads)."""
        return self._list_keys(prefix)

    async def _list_keys(self, prefix: str) -> AsyncIterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages: Iterator[Any] = iter(
            paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        )
        while True:
            page = await self._run("list", next, pages, None)
            if page is None:
                return
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    async def sweep_incomplete(self, before: datetime) -> int:
        """Abort multipart uploads under this prefix begun before ``before`` (S3-05 backstop).

        A crash of the app (or of S3) between CreateMultipartUpload and Complete/Abort leaves
        parts that are billed and invisible to listings; the bucket's lifecycle rule may not
        exist on every S3-compatible store.
        """
        paginator = self.client.get_paginator("list_multipart_uploads")
        pages: Iterator[Any] = iter(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix))
        aborted = 0
        while True:
            page = await self._run("list multipart uploads", next, pages, None)
            if page is None:
                return aborted
            for upload in page.get("Uploads", []):
                initiated = upload.get("Initiated")
                if initiated is not None and initiated >= before:
                    continue  # may still be in flight
                await self._abort(upload["Key"], upload["UploadId"])
                aborted += 1

    async def free_bytes(self) -> int | None:
        """None: S3 does not say how much room is left."""
        return None

    async def download_url(self, key: str, *, filename: str, content_type: str) -> str | None:
        """A presigned GET valid for ``expires_s`` (≤ 300 s) that downloads as ``filename``.

        The URL pins ``response-content-disposition`` (attachment, sanitised name) and
        ``response-content-type``; changing either breaks the signature (SECURITY DL-05).
        """
        s3_key = self._key(key)
        params = {
            "Bucket": self.bucket,
            "Key": s3_key,
            "ResponseContentDisposition": content_disposition(filename),
            "ResponseContentType": content_type,
        }
        # Signing is local, but resolving credentials the first time may hit the network.
        return await self._run(
            f"sign {key}",
            self._signer.generate_presigned_url,
            "get_object",
            Params=params,
            ExpiresIn=self.expires_s,
            HttpMethod="GET",
        )

    async def ping(self) -> None:
        """HeadBucket: BackendUnavailable if unreachable, ConfigError if the bucket is missing."""
        try:
            await run_blocking("boto3", self.client.head_bucket, Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) in {"404", "NoSuchBucket", "NotFound"} or _status(exc) == 404:
                raise ConfigError(
                    VARIABLE,
                    f"bucket {self.bucket!r} does not exist at {self.endpoint_url or 'AWS S3'}",
                ) from exc
            if _status(exc) == 403:
                raise BackendUnavailable(
                    "storage",
                    f"access to bucket {self.bucket!r} denied; check the credentials and policy",
                ) from exc
            raise _unavailable("ping", exc) from exc
        except (BotoCoreError, Urllib3Error) as exc:
            raise _unavailable("ping", exc) from exc

    async def aclose(self) -> None:
        """Close the HTTP connection pools of both clients."""
        await run_blocking("boto3", self.client.close)
        if self._signer is not self.client:
            await run_blocking("boto3", self._signer.close)


def _raise_first(done: set[asyncio.Task[None]]) -> None:
    """Raise the first failure among finished part uploads (every exception is retrieved)."""
    first: BaseException | None = None
    for task in done:
        failure = asyncio.CancelledError() if task.cancelled() else task.exception()
        first = first or failure
    if first is not None:
        raise first


def _check_endpoint(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(VARIABLE, f"{name} must be an http(s):// URL, got {value!r}")
    if parts.username or parts.password:
        raise ConfigError(VARIABLE, f"{name} must not carry credentials")
