"""Sign-in, sign-out, invitation and password-reset pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assets_hub.api.accounts import client_ip
from assets_hub.auth import sessions
from assets_hub.auth.policy import (
    Policy,
    principal_of,
    read_small_form,
    require_principal,
    requires,
)
from assets_hub.backends import Backends
from assets_hub.errors import AppError, NotFound, TooManyRequests, Unauthorized
from assets_hub.models import LinkPurpose, User
from assets_hub.services import accounts, audit
from assets_hub.web.templating import templates


def safe_next(target: str | None) -> str:
    """Only a path on this site: ``//evil``, ``/\\evil`` and absolute URLs become ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\r\n\t\\") or len(target) > 2000:
        return "/"
    return target


async def _signed_in_response(request: Request, user: User, target: str) -> Response:
    token, _ = await sessions.start_session(request.state.settings, user, client_ip(request))
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(value=token, **sessions.cookie_attributes(request.state.settings, None))  # type: ignore[arg-type]
    return response


@requires(Policy.PUBLIC)
async def signin(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if principal_of(request) is not None:
            return RedirectResponse(target, status_code=303)
        return templates.TemplateResponse(
            request, "account/signin.html", {"email": "", "error": None, "next": target}
        )
    form = await read_small_form(request)
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    backends: Backends = request.state.backends
    try:
        user = await accounts.sign_in(backends.throttle, email, password, client_ip(request))
    except (Unauthorized, TooManyRequests) as exc:
        headers = (
            {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequests) else None
        )
        return templates.TemplateResponse(
            request,
            "account/signin.html",
            {"email": email, "error": exc.message, "next": target},
            status_code=exc.status_code,
            headers=headers,
        )
    old = principal_of(request)
    if old is not None and old.session_id:
        await sessions.end_session(old.session_id)  # never carry a session id across sign-in
    return await _signed_in_response(request, user, target)


@requires(Policy.SIGNED_IN)
async def signout(request: Request) -> Response:
    principal = require_principal(request)
    if principal.session_id:
        await sessions.end_session(principal.session_id)
    await audit.record(
        "sign_out",
        actor_email=principal.email,
        target_type="user",
        target_id=principal.email,
        library_id=principal.library_id,
        ip=client_ip(request),
    )
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(
        sessions.COOKIE_NAME, path="/", secure=True, httponly=True, samesite="lax"
    )
    return response


async def _set_password_page(request: Request, purpose: LinkPurpose) -> Response:
    token = request.path_params["token"]
    page = "account/set_password.html"
    heading = (
        "Create your password" if purpose is LinkPurpose.INVITATION else "Choose a new password"
    )
    try:
        user = await accounts.check_link(token, purpose)
    except NotFound as exc:
        return templates.TemplateResponse(
            request,
            "account/message.html",
            {"heading": "This link does not work", "message": exc.message},
            status_code=404,
        )
    context = {"heading": heading, "email": user.email, "error": None}
    if request.method == "GET":
        return templates.TemplateResponse(request, page, context)
    form = await read_small_form(request)
    password = str(form.get("password", ""))
    if password != str(form.get("confirm", "")):
        context["error"] = "The two passwords are not the same."
        return templates.TemplateResponse(request, page, context, status_code=422)
    try:
        user = await accounts.set_password_with_link(token, purpose, password, client_ip(request))
    except AppError as exc:
        context["error"] = exc.message.removeprefix("password: ").capitalize()
        return templates.TemplateResponse(request, page, context, status_code=exc.status_code)
    return await _signed_in_response(request, user, "/")


@requires(Policy.PUBLIC)
async def accept_invitation(request: Request) -> Response:
    return await _set_password_page(request, LinkPurpose.INVITATION)


@requires(Policy.PUBLIC)
async def reset_password(request: Request) -> Response:
    return await _set_password_page(request, LinkPurpose.PASSWORD_RESET)


@requires(Policy.PUBLIC)
async def request_reset(request: Request) -> Response:
    if request.method == "GET":
        return templates.TemplateResponse(request, "account/reset_request.html", {})
    form = await read_small_form(request)
    await accounts.request_password_reset(
        request.state.settings, str(form.get("email", ""))[:254], client_ip(request)
    )
    return templates.TemplateResponse(
        request,
        "account/message.html",
        {
            "heading": "Check your e-mail",
            "message": "If that address has an account, we have sent it a link to choose a new "
            "password. The link works once, for 30 minutes.",
        },
    )
