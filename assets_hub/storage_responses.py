"""Serving a stored rendition: a presigned redirect (S3) or a cacheable streamed file."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from assets_hub.media.storage import Storage
from assets_hub.models import Rendition
from assets_hub.responses import file_download

IMMUTABLE = "private, max-age=31536000, immutable"  # a rendition key never changes meaning


async def rendition_response(
    request: Request, storage: Storage, rendition: Rendition, filename: str
) -> Response:
    """304 when the client has it (ETag = the key); else redirect or stream with caching."""
    etag = f'"{rendition.key}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    response = await file_download(
        storage,
        rendition.storage_key,
        filename=filename,
        content_type=rendition.media_type,
        size=rendition.size,
    )
    if response.status_code == 200:
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = IMMUTABLE
    if rendition.warnings:  # e.g. made smaller than the preset because the source is small
        text = " | ".join(rendition.warnings)[:500]
        response.headers["X-Render-Warnings"] = text.encode("ascii", "replace").decode()
    response.headers["X-Rendition-Width"] = str(rendition.width)
    response.headers["X-Rendition-Height"] = str(rendition.height)
    return response
