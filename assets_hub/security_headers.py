"""Security headers on every response (SECURITY.md DL-01), as a pure ASGI middleware."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assets_hub.auth.policy import PRINCIPAL_KEY

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Anything else the app serves (JSON, user files) may not run or embed anything at all.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


class SecurityHeadersMiddleware:
    """Adds nosniff, a CSP fitting the content type, a referrer policy and frame denial."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["X-Frame-Options"] = "DENY"
                is_page = headers.get("content-type", "").startswith("text/html")
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_CSP if is_page else DEFAULT_CSP
                if is_page and _carries_csrf_token(scope):
                    # A page for a signed-in session embeds its CSRF token: no cache may keep it.
                    headers["Cache-Control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _carries_csrf_token(scope: Scope) -> bool:
    principal = scope.get(PRINCIPAL_KEY)
    return bool(principal is not None and principal.csrf_token)
