"""Run every request against its own app's database context (several apps may share a process)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assets_hub.db import activate, is_unavailable


class DatabaseContextMiddleware:
    """Activates the lifespan's Tortoise context for each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        backends = scope.get("state", {}).get("backends")
        if scope["type"] != "http" or backends is None:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        with activate(backends.database):
            try:
                await self.app(scope, receive, tracked)
            except Exception as exc:
                # The database went away outside a route (e.g. resolving the caller's token):
                # a 503 like inside one, not a 500 with a traceback (F10, F11).
                if started or not is_unavailable(exc):
                    raise
                from assets_hub.app import database_error  # late: app imports this module

                response = await database_error(Request(scope), exc)
                await response(scope, receive, send)
