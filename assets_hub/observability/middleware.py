"""Every HTTP request measured and logged once, by its route template, with a request id."""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assets_hub.auth.policy import PRINCIPAL_KEY
from assets_hub.observability import metrics
from assets_hub.observability.request_log import (
    ACCESS_LOGGER,
    accept_request_id,
    access_record_fields,
    current_request_id,
)

access_log = logging.getLogger(ACCESS_LOGGER)
UNMATCHED = "(unmatched)"  # no route: the raw path is never a label or a log field
REQUEST_ID_HEADER = "X-Request-ID"
# Any other method a client makes up is counted as "other" (a label per word would be unbounded).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_TEMPLATES: weakref.WeakKeyDictionary[object, dict[int, str]] = weakref.WeakKeyDictionary()


def _templates(routes: Iterable[BaseRoute], prefix: str = "") -> dict[int, str]:
    found: dict[int, str] = {}
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                found.update(_templates(route.routes, prefix + route.path))
            found[id(route)] = prefix + route.path + "/{path}"
        elif isinstance(route, Route):
            found[id(route)] = prefix + route.path_format  # {id}, not {id:id}
    return found


def route_template(scope: Scope) -> str:
    """The matched route's declared path (``/feeds/{token}/{name}``), never the raw path."""
    route = scope.get("route")
    app = scope.get("app")
    if route is None or app is None:
        return UNMATCHED
    templates = _TEMPLATES.get(app)
    if templates is None:
        templates = _TEMPLATES[app] = _templates(getattr(app, "routes", []))
    return templates.get(id(route), UNMATCHED)


class ObservabilityMiddleware:
    """Outermost app middleware: request id in and out, metrics, and one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        request_id = accept_request_id(supplied)
        status = 500  # unless a response starts: an exception escaped every handler
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = current_request_id.set(request_id)
        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            metrics.HTTP_IN_FLIGHT.dec()
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            labels = (method, route, str(status))
            metrics.HTTP_REQUESTS.labels(*labels).inc()
            metrics.HTTP_DURATION.labels(*labels).observe(elapsed)
            principal = scope.get(PRINCIPAL_KEY)
            user_id = principal.user_id if principal is not None and principal.user_id else None
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra=access_record_fields(request_id, method, route, status, elapsed, user_id),
            )
            current_request_id.reset(token)
