"""Run every request against its own app's database context (several apps may share a process)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from assets_hub.db import activate


class DatabaseContextMiddleware:
    """Activates the lifespan's Tortoise context for each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        backends = scope.get("state", {}).get("backends")
        if scope["type"] != "http" or backends is None:
            await self.app(scope, receive, send)
            return
        with activate(backends.database):
            await self.app(scope, receive, send)
