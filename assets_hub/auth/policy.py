"""One policy place: every route declares who may call it, and a route without a declared
policy stops the app from starting (deny by default)."""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from assets_hub.auth.principal import Principal
from assets_hub.errors import AppError, Forbidden, PayloadTooLarge, Unauthorized
from assets_hub.models import Role
from assets_hub.services.visibility import utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRINCIPAL_KEY = "assets_hub.principal"
REAUTH_WINDOW = timedelta(minutes=15)
MAX_FORM_BYTES = 1024 * 1024
Endpoint = Callable[[Request], Awaitable[Response]]


class Policy(Enum):
    """Who may call a route. Object-level rules (own library) live in the services."""

    PUBLIC = "anyone"
    CATALOGUE = "signed in, or anyone when the public catalogue is on"
    SIGNED_IN = "signed in"
    EDITOR = "editor or admin"
    LIBRARY_ADMIN = "library admin or admin"
    AUDIT = "editor, admin or library admin"
    ADMIN = "admin"
    METRICS = "loopback, or the metrics bearer token (ASSETS_HUB_METRICS_TOKEN)"


_ROLES: dict[Policy, frozenset[Role]] = {
    Policy.EDITOR: frozenset({Role.EDITOR, Role.ADMIN}),
    Policy.LIBRARY_ADMIN: frozenset({Role.LIBRARY_ADMIN, Role.ADMIN}),
    Policy.AUDIT: frozenset({Role.EDITOR, Role.ADMIN, Role.LIBRARY_ADMIN}),
    Policy.ADMIN: frozenset({Role.ADMIN}),
}


def principal_of(request: Request) -> Principal | None:
    """The caller resolved by the auth middleware (None when not signed in)."""
    found: Principal | None = request.scope.get(PRINCIPAL_KEY)
    return found


def require_principal(request: Request) -> Principal:
    principal = principal_of(request)
    if principal is None:
        raise Unauthorized("Please sign in.")
    return principal


def requires(policy: Policy, *, csrf_in_multipart: bool = False) -> Callable[[Endpoint], Endpoint]:
    """Declare and enforce a route's policy, plus CSRF on state-changing requests.

    ``csrf_in_multipart``: the route reads a multipart body itself and must call
    ``verify_csrf_field`` with its parsed fields before it changes anything.
    """

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            principal = principal_of(request)
            _authorise(policy, principal, request)
            if request.method not in SAFE_METHODS:
                # Public forms (sign-in, invitation, reset) act on no session's authority:
                # the same-origin check is their defence; everything else needs the token too.
                acting = None if policy is Policy.PUBLIC else principal
                await _check_csrf(request, acting, csrf_in_multipart)
            return await endpoint(request)

        guarded.__policy__ = policy  # type: ignore[attr-defined]
        return guarded

    return decorate


def _authorise(policy: Policy, principal: Principal | None, request: Request) -> None:
    if policy is Policy.PUBLIC:
        return
    if policy is Policy.METRICS:
        settings = request.state.settings
        if _direct_from_loopback(request) or is_metrics_bearer(
            settings.metrics_token, request.headers.get("authorization", "")
        ):
            return
        raise Forbidden(
            "Metrics are served to this machine (loopback), or with the metrics token "
            "(ASSETS_HUB_METRICS_TOKEN) as a bearer token."
        )
    if principal is None:
        if policy is Policy.CATALOGUE and request.state.settings.public_catalogue:
            return
        raise Unauthorized("Please sign in.")
    if policy in (Policy.CATALOGUE, Policy.SIGNED_IN):
        return
    if principal.role not in _ROLES[policy]:
        raise Forbidden("Your account cannot do that.")
    if policy is Policy.ADMIN and principal.uses_cookie:
        signed_in = principal.authenticated_at
        if signed_in is None or utcnow() - signed_in > REAUTH_WINDOW:
            raise Forbidden(
                "For admin changes, sign in again first (it has been more than 15 minutes)."
            )


def is_metrics_bearer(metrics_token: str, authorization: str) -> bool:
    """True when ``authorization`` is ``Bearer <the metrics token>`` (and one is set)."""
    scheme, _, supplied = authorization.partition(" ")
    if not metrics_token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(supplied.strip().encode(), metrics_token.encode())


def _direct_from_loopback(request: Request) -> bool:
    """A client on this machine that is not a proxy relaying someone else's request."""
    if "forwarded" in request.headers or "x-forwarded-for" in request.headers:
        return False
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc != request.headers.get("host", ""):
            return False
    return True


async def _check_csrf(request: Request, principal: Principal | None, deferred: bool) -> None:
    if principal is not None and not principal.uses_cookie:
        return  # bearer tokens are sent deliberately; no ambient authority to abuse
    if request.headers.get("authorization"):
        return  # resolved as a bearer token by the auth middleware
    if not _same_origin(request):
        raise Forbidden("This request came from another site and was refused.")
    if principal is None:
        return  # public forms (sign-in, reset): the origin check above is the defence
    expected = principal.csrf_token or ""
    supplied = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if supplied is None and content_type.startswith("application/x-www-form-urlencoded"):
        form = await read_small_form(request)
        supplied = str(form.get("csrf_token", ""))
    elif supplied is None and content_type.startswith("multipart/form-data") and deferred:
        request.state.csrf_deferred = True
        return
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise Forbidden("The form has expired or came from another site; reload the page.")


def verify_csrf_field(request: Request, fields: dict[str, str]) -> None:
    """For multipart routes: check the csrf_token field once the body has been parsed."""
    if not getattr(request.state, "csrf_deferred", False):
        return
    principal = require_principal(request)
    supplied = fields.get("csrf_token", "")
    if not supplied or not hmac.compare_digest(supplied, principal.csrf_token or ""):
        raise Forbidden("The form has expired or came from another site; reload the page.")


async def read_small_form(request: Request) -> Any:
    """A url-encoded form of at most 1 MiB (larger bodies are refused, not read into memory)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise PayloadTooLarge("The form is too large.")
    if length is None:
        raise AppError("Send forms with a Content-Length header.", status_code=411)
    return await request.form(max_files=0, max_fields=200)


def undeclared_routes(routes: Iterable[BaseRoute], prefix: str = "") -> list[str]:
    """Paths of routes without a declared policy (static files excepted)."""
    missing: list[str] = []
    for route in routes:
        if isinstance(route, Mount):
            if route.name == "static":
                continue
            missing += undeclared_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            if not hasattr(route.endpoint, "__policy__"):
                missing.append(prefix + route.path)
    return missing


def route_policy(route: Route) -> Policy:
    policy: Policy = route.endpoint.__policy__  # type: ignore[attr-defined]
    return policy
