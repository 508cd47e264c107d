"""JSON endpoints for the caller, libraries, users, invitations, API tokens and the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.bodies import read_json_object, text_field
from assets_hub.api.serializers_accounts import audit_json, library_json, token_json, user_json
from assets_hub.auth import tokens
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.errors import BadRequest, NotFound, Unprocessable
from assets_hub.models import ApiToken, Library, User
from assets_hub.services import accounts, audit


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@requires(Policy.SIGNED_IN)
async def me(request: Request) -> Response:
    principal = require_principal(request)
    user = await User.get(id=principal.user_id).prefetch_related("library")
    return JSONResponse(user_json(user, user.library))


@requires(Policy.SIGNED_IN)
async def list_libraries(request: Request) -> Response:
    principal = require_principal(request)
    query = Library.all().order_by("name")
    if not principal.is_staff:
        query = query.filter(id=principal.library_id)
    return JSONResponse({"libraries": [library_json(lib) for lib in await query]})


@requires(Policy.ADMIN)
async def create_library(request: Request) -> Response:
    data = await read_json_object(request, allowed=("name", "slug"))
    library = await accounts.create_library(
        text_field(data, "name") or "",
        text_field(data, "slug", required=False),
        actor=require_principal(request),
        ip=client_ip(request),
    )
    return JSONResponse(library_json(library), status_code=201)


@requires(Policy.LIBRARY_ADMIN)
async def list_users(request: Request) -> Response:
    users = await accounts.visible_users(require_principal(request))
    return JSONResponse({"users": [user_json(u, u.library) for u in users]})


@requires(Policy.LIBRARY_ADMIN)
async def update_user(request: Request) -> Response:
    data = await read_json_object(request, allowed=("role", "is_active"))
    role = text_field(data, "role", required=False)
    is_active = data.get("is_active")
    if is_active is not None and not isinstance(is_active, bool):
        raise Unprocessable("is_active: true or false")
    user = await accounts.update_user(
        require_principal(request),
        _int_param(request, "user_id"),
        role=accounts.parse_role(role) if role is not None else None,
        is_active=is_active,
        ip=client_ip(request),
    )
    return JSONResponse(user_json(user, user.library))


@requires(Policy.LIBRARY_ADMIN)
async def create_invitation(request: Request) -> Response:
    data = await read_json_object(request, allowed=("email", "role", "library"))
    principal = require_principal(request)
    user = await accounts.invite(
        request.state.settings,
        principal,
        text_field(data, "email") or "",
        accounts.parse_role(text_field(data, "role") or ""),
        text_field(data, "library", required=False),
        ip=client_ip(request),
    )
    library = await Library.get_or_none(id=user.library_id) if user.library_id else None
    return JSONResponse(user_json(user, library), status_code=201)


@requires(Policy.SIGNED_IN)
async def list_tokens(request: Request) -> Response:
    principal = require_principal(request)
    rows = await ApiToken.filter(user_id=principal.user_id).order_by("-id")
    return JSONResponse({"tokens": [token_json(row) for row in rows]})


@requires(Policy.SIGNED_IN)
async def create_token(request: Request) -> Response:
    data = await read_json_object(request, allowed=("name", "expires_days"))
    expires = data.get("expires_days")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise Unprocessable("expires_days: a whole number of days")
    principal = require_principal(request)
    user = await User.get(id=principal.user_id)
    token, row = await tokens.create_token(user, text_field(data, "name") or "", expires)
    await audit.record(
        "token_created",
        actor=user,
        target_type="token",
        target_id=row.id,
        library_id=user.library_id,
        ip=client_ip(request),
        name=row.name,
    )
    body = token_json(row)
    body["token"] = token  # shown this once only
    return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})


@requires(Policy.SIGNED_IN)
async def revoke_token(request: Request) -> Response:
    principal = require_principal(request)
    row = await tokens.revoke_token(principal, _int_param(request, "token_id"))
    await audit.record(
        "token_revoked",
        actor_email=principal.email,
        target_type="token",
        target_id=row.id,
        library_id=principal.library_id,
        ip=client_ip(request),
    )
    return JSONResponse(token_json(row))


@requires(Policy.AUDIT)
async def list_audit(request: Request) -> Response:
    principal = require_principal(request)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        raise BadRequest("page must be a whole number") from None
    found = await audit.page_for(principal, page, request.query_params.get("action", ""))
    body = {"events": [audit_json(e) for e in found.events] if found.page == page else []}
    return JSONResponse({**body, "page": page, "pages": found.pages})


def _int_param(request: Request, name: str) -> int:
    try:
        return int(request.path_params[name])
    except ValueError:
        raise NotFound("Nothing with that id.") from None
