"""Takedown notices: libraries see and close their own; editors see who has not yet."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.assets import acting_user
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.errors import NotFound
from assets_hub.models import TakedownNotice
from assets_hub.services import rights


def _notice_json(notice: TakedownNotice) -> dict[str, object]:
    return {
        "id": notice.id,
        "asset": {"id": str(notice.asset_id), "title": notice.asset.title},  # type: ignore[attr-defined]
        "library": notice.library.slug,
        "reason": notice.reason,
        "files": notice.files,
        "created_at": notice.created_at.isoformat(),
        "done_at": notice.done_at.isoformat() if notice.done_at else None,
        "done_by": notice.done_by or None,
    }


@requires(Policy.SIGNED_IN)
async def list_notices(request: Request) -> Response:
    """Library staff: their library's notices (open ones unless ?all=1). Editors: every one."""
    principal = require_principal(request)
    query = TakedownNotice.all().prefetch_related("asset", "library")
    if not principal.is_staff:
        query = query.filter(library_id=principal.library_id)
    if request.query_params.get("all") != "1":
        query = query.filter(done_at=None)
    notices = await query.order_by("-id").limit(500)
    return JSONResponse({"notices": [_notice_json(n) for n in notices]})


@requires(Policy.SIGNED_IN)
async def notice_done(request: Request) -> Response:
    principal = require_principal(request)
    try:
        notice_id = int(request.path_params["notice_id"])
    except ValueError:
        raise NotFound("No notice with that id.") from None
    notice = await rights.mark_notice_done(
        notice_id, library_id=principal.library_id, actor=await acting_user(request)
    )
    await notice.fetch_related("asset", "library")
    return JSONResponse(_notice_json(notice))
