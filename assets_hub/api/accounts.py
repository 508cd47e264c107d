"""JSON endpoints for the caller, libraries, users, invitations, API tokens and the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.bodies import text_field
from assets_hub.api.operations import JsonBody, Param, args_of, body_of, operation
from assets_hub.api.schemas import (
    BOOL,
    PAGE,
    json_reply,
    listing,
    obj,
    ref,
)
from assets_hub.api.serializers_accounts import audit_json, library_json, token_json, user_json
from assets_hub.auth import tokens
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.errors import Unprocessable
from assets_hub.models import ApiToken, Library, Role, User
from assets_hub.services import accounts, audit

ROLE = {"type": "string", "enum": [role.value for role in Role]}
USER = json_reply(200, "The user", ref("User"))
TOKEN = json_reply(200, "The token (never its secret)", ref("Token"))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@requires(Policy.SIGNED_IN)
@operation("Who is calling", USER)
async def me(request: Request) -> Response:
    principal = require_principal(request)
    user = await User.get(id=principal.user_id).prefetch_related("library")
    return JSONResponse(user_json(user, user.library))


@requires(Policy.SIGNED_IN)
@operation(
    "Libraries (library staff: their own)",
    json_reply(200, "Libraries", listing("libraries", ref("Library"))),
)
async def list_libraries(request: Request) -> Response:
    principal = require_principal(request)
    query = Library.all().order_by("name")
    if not principal.is_staff:
        query = query.filter(id=principal.library_id)
    return JSONResponse({"libraries": [library_json(lib) for lib in await query]})


@requires(Policy.ADMIN)
@operation(
    "Create a library",
    json_reply(201, "The library", ref("Library")),
    body=JsonBody(
        obj(
            ("name",),
            name={"type": "string", "minLength": 1, "maxLength": 200},
            slug={
                "type": ["string", "null"],
                "pattern": "^[a-z0-9][a-z0-9-]{0,99}$",
                "description": "lower-case letters, digits and hyphens, at most 100 characters",
            },
        )
    ),
)
async def create_library(request: Request) -> Response:
    data = body_of(request)
    library = await accounts.create_library(
        text_field(data, "name") or "",
        text_field(data, "slug", required=False),
        actor=require_principal(request),
        ip=client_ip(request),
    )
    return JSONResponse(library_json(library), status_code=201)


@requires(Policy.LIBRARY_ADMIN)
@operation("Users the caller manages", json_reply(200, "Users", listing("users", ref("User"))))
async def list_users(request: Request) -> Response:
    users = await accounts.visible_users(require_principal(request))
    return JSONResponse({"users": [user_json(u, u.library) for u in users]})


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Change a user's role, or disable or enable them",
    USER,
    body=JsonBody(obj(role=ROLE, is_active=BOOL)),
)
async def update_user(request: Request) -> Response:
    data = body_of(request)
    role = text_field(data, "role", required=False)
    is_active = data.get("is_active")
    if is_active is not None and not isinstance(is_active, bool):
        raise Unprocessable("is_active: true or false")
    user = await accounts.update_user(
        require_principal(request),
        request.path_params["user_id"],
        role=accounts.parse_role(role) if role is not None else None,
        is_active=is_active,
        ip=client_ip(request),
    )
    return JSONResponse(user_json(user, user.library))


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Invite someone by e-mail",
    json_reply(201, "The invited user", ref("User")),
    body=JsonBody(
        obj(
            ("email", "role"),
            email={"type": "string", "maxLength": 254},
            role=ROLE,
            library={"type": ["string", "null"], "maxLength": 100, "description": "A slug"},
        )
    ),
    errors=[409, 429],
)
async def create_invitation(request: Request) -> Response:
    data = body_of(request)
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
@operation("The caller's API tokens", json_reply(200, "Tokens", listing("tokens", ref("Token"))))
async def list_tokens(request: Request) -> Response:
    principal = require_principal(request)
    rows = await ApiToken.filter(user_id=principal.user_id).order_by("-id")
    return JSONResponse({"tokens": [token_json(row) for row in rows]})


@requires(Policy.SIGNED_IN)
@operation(
    "Create an API token (its secret is shown once)",
    json_reply(201, "The token and its secret", ref("Token")),
    body=JsonBody(
        obj(
            ("name",),
            name={"type": "string", "minLength": 1, "maxLength": tokens.MAX_TOKEN_NAME},
            expires_days={
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": tokens.MAX_EXPIRY_DAYS,
            },
        )
    ),
)
async def create_token(request: Request) -> Response:
    data = body_of(request)
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
@operation("Revoke one of the caller's tokens", TOKEN)
async def revoke_token(request: Request) -> Response:
    principal = require_principal(request)
    row = await tokens.revoke_token(principal, request.path_params["token_id"])
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
@operation(
    "The audit log, newest first",
    json_reply(
        200,
        "One page of events",
        listing("events", ref("AuditEvent"), page={"type": "integer"}, pages={"type": "integer"}),
    ),
    params=[PAGE, Param("action", {"type": "string", "maxLength": 100}, "Only this action")],
)
async def list_audit(request: Request) -> Response:
    principal = require_principal(request)
    args = args_of(request)
    page = args.get("page", 1)
    found = await audit.page_for(principal, page, args.get("action", ""))
    body = {"events": [audit_json(e) for e in found.events] if found.page == page else []}
    return JSONResponse({**body, "page": page, "pages": found.pages})
