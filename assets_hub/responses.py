"""Responses that hand stored files to clients: presigned redirect or a streamed attachment."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import RedirectResponse, Response, StreamingResponse

from assets_hub.media.disposition import content_disposition
from assets_hub.media.storage import Storage


async def file_download(
    storage: Storage, key: str, *, filename: str, content_type: str, size: int | None = None
) -> Response:
    """S3: 302 to a short-lived presigned URL; local: the bytes streamed as an attachment."""
    url = await storage.download_url(key, filename=filename, content_type=content_type)
    if url is not None:
        # The URL is a credential for its lifetime: never cached, never logged.
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    stream = storage.read(key)
    first = await _first_chunk(stream)  # BlobNotFound surfaces here, before headers are sent
    headers = {
        "Content-Disposition": content_disposition(filename),
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=0",
    }
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(_chain(first, stream), media_type=content_type, headers=headers)


async def inline_image(storage: Storage, key: str, *, content_type: str) -> Response:
    """A small derived image (thumbnail) shown in pages; content-addressed, so cacheable."""
    data = await storage.read_bytes(key)
    return Response(
        data,
        media_type=content_type,
        headers={
            "Cache-Control": "private, max-age=86400, immutable",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def _first_chunk(stream: AsyncIterator[bytes]) -> bytes:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return b""


async def _chain(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk
