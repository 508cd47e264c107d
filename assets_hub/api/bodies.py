"""Reading small JSON request bodies safely (size-capped, object-shaped, known keys only)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from assets_hub.errors import BadRequest, PayloadTooLarge, Unprocessable

MAX_JSON_BYTES = 64 * 1024


async def read_json_object(request: Request, *, allowed: Iterable[str]) -> dict[str, Any]:
    """The body as a dict; 413 if large, 400 if not JSON, 422 naming any key not in ``allowed``.

    Unknown keys are refused rather than ignored, so ``role``, ``library_id`` and the like can
    never be slipped in (mass assignment).
    """
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise PayloadTooLarge("The request body is too large.")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Send the request body as a JSON object.") from None
    if not isinstance(data, dict):
        raise BadRequest("Send the request body as a JSON object.")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise Unprocessable(f"Unknown field(s): {', '.join(unknown)[:200]}.")
    return data


def text_field(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise Unprocessable(f"{name}: required")
        return None
    if not isinstance(value, str):
        raise Unprocessable(f"{name}: must be text")
    return value
