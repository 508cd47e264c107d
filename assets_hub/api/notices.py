"""Takedown notices: libraries see and close their own; editors see who has not yet."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.assets import acting_user
from assets_hub.api.operations import Param, args_of, operation
from assets_hub.api.schemas import BOOL, json_reply, listing, ref
from assets_hub.auth.policy import Policy, require_principal, requires
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
@operation(
    "Takedown notices",
    json_reply(200, "Notices, newest first", listing("notices", ref("Notice"))),
    params=[Param("all", BOOL, "Closed ones too")],
)
async def list_notices(request: Request) -> Response:
    """Library staff: their library's notices (open ones unless ?all=1). Editors: every one."""
    principal = require_principal(request)
    query = TakedownNotice.all().prefetch_related("asset", "library")
    if not principal.is_staff:
        query = query.filter(library_id=principal.library_id)
    if not args_of(request).get("all", False):
        query = query.filter(done_at=None)
    notices = await query.order_by("-id").limit(500)
    return JSONResponse({"notices": [_notice_json(n) for n in notices]})


@requires(Policy.SIGNED_IN)
@operation("Say the library has taken the asset down", json_reply(200, "The notice", ref("Notice")))
async def notice_done(request: Request) -> Response:
    principal = require_principal(request)
    notice = await rights.mark_notice_done(
        request.path_params["notice_id"],
        library_id=principal.library_id,
        actor=await acting_user(request),
    )
    await notice.fetch_related("asset", "library")
    return JSONResponse(_notice_json(notice))
