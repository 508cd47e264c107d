"""Resolve the caller once per request: a Bearer token, else the session cookie, else nobody.

Identity comes only from the session record or the token, never from the path, query, body or
other headers (SECURITY.md section 2).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assets_hub.auth.policy import PRINCIPAL_KEY, is_metrics_bearer
from assets_hub.auth.sessions import COOKIE_NAME, resolve_session
from assets_hub.auth.tokens import resolve_token

# Probes answer without looking at credentials: a load balancer's stale token must never make
# a healthy process look down.
UNAUTHENTICATED_PATHS = frozenset({"/healthz", "/readyz"})


class AuthMiddleware:
    """Puts the Principal (or None) in the scope for the route policies to check."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state", {})
        if (
            scope["type"] != "http"
            or "settings" not in state
            or scope["path"] in UNAUTHENTICATED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        principal = None
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization and is_metrics_bearer(state["settings"].metrics_token, authorization):
            pass  # the metrics scraper: nobody signed in; /metrics' policy accepts the token
        elif authorization:
            scheme, _, token = authorization.partition(" ")
            principal = await resolve_token(token.strip()) if scheme.lower() == "bearer" else None
            if principal is None:
                response = JSONResponse(
                    {"error": "The API token is invalid, expired or revoked."},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
                await response(scope, receive, send)
                return
        else:
            cookie = _cookie(headers.get(b"cookie", b"").decode("latin-1"))
            if cookie:
                principal = await resolve_session(state["settings"], cookie)
        scope[PRINCIPAL_KEY] = principal
        await self.app(scope, receive, send)


def _cookie(header: str) -> str | None:
    if COOKIE_NAME not in header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001 - a malformed Cookie header just means "no session"
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel is not None else None
