"""create_app(settings): routes, middleware, error handlers and the lifespan that opens backends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.exceptions import DBConnectionError, OperationalError

from assets_hub import api, db, health, leases, web
from assets_hub.api.feeds import campaign_feed
from assets_hub.api.openapi import allowed_methods, openapi
from assets_hub.api.renders import follow_link
from assets_hub.auth.middleware import AuthMiddleware
from assets_hub.auth.policy import undeclared_routes
from assets_hub.backends import Backends, open_backends
from assets_hub.db_middleware import DatabaseContextMiddleware
from assets_hub.errors import (
    AppError,
    BackendUnavailable,
    InvalidKey,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from assets_hub.jobs import run_every, run_once
from assets_hub.observability import metrics
from assets_hub.observability.middleware import ObservabilityMiddleware, route_template
from assets_hub.observability.scrape import metrics_endpoint
from assets_hub.security_headers import SecurityHeadersMiddleware
from assets_hub.services.analytics import retention_job
from assets_hub.services.ingest import backfill_phash_quarters
from assets_hub.services.notice_mail import mail_pending_notices
from assets_hub.services.presets import seed_presets
from assets_hub.services.search_admin import apply_synonyms
from assets_hub.settings import Settings
from assets_hub.tasks import run_in_web
from assets_hub.web.templating import STATIC_DIR, templates

log = logging.getLogger(__name__)
NOTICE_MAIL_S = 30.0  # takedown notices reach the library admins' inboxes within a minute

_HEADINGS = {
    400: "There is a problem with the request",
    401: "Please sign in",
    429: "Too many attempts",
    403: "You cannot do that",
    404: "Page not found",
    405: "That is not allowed here",
    413: "The upload is too large",
    415: "That type of file is not accepted",
    422: "There is a problem with what was sent",
    503: "Sorry, the service is unavailable",
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if _browser_navigation(request):
        return False  # a link a page offered: a person reads the answer, never raw JSON
    return path.startswith(("/api/", "/r/", "/feeds/")) or path in (
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/metrics",
    )


def _browser_navigation(request: Request) -> bool:
    """A browser following a link (download buttons point at the API), not a program."""
    if request.headers.get("sec-fetch-mode") == "navigate":
        return True
    return request.headers.get("accept", "").startswith("text/html")


def _error_response(
    request: Request, status: int, message: str, *, reference: str | None = None
) -> Response:
    headers = {"Retry-After": "30"} if status == 503 else None
    if _wants_json(request):
        body: dict[str, Any] = {"error": message}
        if reference:
            body["reference"] = reference
        return JSONResponse(body, status_code=status, headers=headers)
    heading = _HEADINGS.get(status, "Sorry, there is a problem with the service")
    return templates.TemplateResponse(
        request,
        "errors/error.html",
        {"heading": heading, "message": message, "reference": reference},
        status_code=status,
        headers=headers,
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, AppError):  # pragma: no cover - registered for AppError only
        raise exc
    if isinstance(exc, Unauthorized) and not _wants_json(request):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/signin?next={target}", status_code=303)
    if isinstance(exc, TooManyRequests):
        response = _error_response(request, 429, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if isinstance(exc, BackendUnavailable):
        metrics.BACKEND_ERRORS.labels(exc.backend).inc()
        log.warning("backend unavailable on %s: %s", route_template(request.scope), exc.detail)
        return _error_response(
            request,
            503,
            f"The {exc.backend} service is temporarily "
            "unavailable; nothing was changed. Please try again shortly.",
        )
    if isinstance(exc, ServiceUnavailable):
        return _error_response(request, 503, exc.message)
    return _error_response(request, exc.status_code, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for it only
        raise exc
    messages = {
        404: "There is nothing at this address.",
        405: "This address does not accept that method.",
    }
    response = _error_response(
        request, exc.status_code, messages.get(exc.status_code, str(exc.detail)) or "Error"
    )
    if exc.status_code == 405:  # every method the address takes, from all its routes
        response.headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.url.path))
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    reference = uuid.uuid4().hex[:12]
    where = route_template(request.scope)
    log.error("unhandled error ref=%s on %s", reference, where, exc_info=exc)
    return _error_response(
        request, 500, "Something went wrong on our side; nothing was saved.", reference=reference
    )


async def database_error(request: Request, exc: Exception) -> Response:
    """503 when the database is busy or unreachable (F10-F12); anything else stays a 500.

    Also used by DatabaseContextMiddleware for failures outside the routes (authentication).
    """
    if not db.is_unavailable(exc):
        raise exc
    log.warning("database unavailable on %s: %s", request.url.path, exc)
    return _error_response(
        request,
        503,
        "The database is busy or temporarily unavailable; nothing was changed. "
        "Please try again shortly.",
    )


async def _invalid_key(request: Request, exc: Exception) -> Response:
    return _error_response(request, 404, "There is nothing at this address.")


async def _background_jobs(settings: Settings, backends: Backends) -> None:
    """The periodic work of the deployment, run by the holder of the background lease."""
    log.info("this process runs the background jobs (lease %s)", leases.BACKGROUND)
    jobs = [
        # Expiry sweep, reconcile, gc, pack and pre-render sweeps: periodic tasks on the queue
        # (assets_hub/tasks; procrastinate schedules them itself, so this returns at once).
        backends.queue.run_scheduler(backends),
        run_every(*retention_job(settings)),
        run_every(NOTICE_MAIL_S, lambda: mail_pending_notices(settings), "notice-mail"),
        run_once(backfill_phash_quarters, "phash-quarters"),
    ]
    await asyncio.gather(*jobs)


def create_app(settings: Settings) -> Starlette:
    """The ASGI app. Backends open in the lifespan; start-up fails if any of them cannot."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with open_backends(settings) as backends:
            await seed_presets()
            await apply_synonyms(backends)
            # Once per deployment, not per process (docs/processes.md): each process asks
            # for both leases, and runs the work of those it holds until it loses them.
            holder = leases.holder_id("serve")
            writer = leases.LeaseKeeper(leases.SEARCH_WRITER, holder)
            background = leases.LeaseKeeper(leases.BACKGROUND, holder)
            # Taken before the first request, so a lone process indexes uploads at once.
            backends.indexer.writer = await writer.try_once()
            backends.indexer.follow_writer = True
            await background.try_once()
            tasks = [
                asyncio.create_task(
                    writer.run(backends.indexer.run_as_writer), name="search-writer"
                ),
                asyncio.create_task(
                    background.run(lambda: _background_jobs(settings, backends)), name="background"
                ),
                # Every process runs its share of queued tasks (ASSETS_HUB_WEB_TASK_WORKERS).
                asyncio.create_task(run_in_web(backends), name="task-workers"),
            ]
            try:
                yield {"settings": settings, "backends": backends}
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    routes = [
        Route("/healthz", health.healthz, methods=["GET"], name="healthz"),
        Route("/readyz", health.readyz, methods=["GET"], name="readyz"),
        Route("/openapi.json", openapi, methods=["GET"], name="openapi"),
        Route("/metrics", metrics_endpoint, methods=["GET"], name="metrics"),
        Route("/r/{token}", follow_link, methods=["GET"], name="render_link"),
        Route("/feeds/{token}/{name}", campaign_feed, methods=["GET"], name="feed"),
        Mount("/api/v1", routes=api.routes, name="api"),
        # Only static files are compressed: pages carry CSRF tokens next to reflected text
        # (search words), and compressing both together is what BREACH-style attacks need.
        Mount(
            "/static",
            app=GZipMiddleware(StaticFiles(directory=STATIC_DIR), minimum_size=1024),
            name="static",
        ),
        *web.routes,
    ]
    app = Starlette(
        debug=settings.debug,
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            AppError: _app_error,
            HTTPException: _http_error,
            InvalidKey: _invalid_key,
            OperationalError: database_error,
            DBConnectionError: database_error,
            Exception: _unexpected,
        },
    )
    missing = undeclared_routes(app.routes)
    if missing:
        raise RuntimeError(f"routes without a declared policy (deny by default): {missing}")
    app.add_middleware(AuthMiddleware)
    app.add_middleware(DatabaseContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ObservabilityMiddleware)  # last added runs first: it sees every answer
    return app


def app_from_environment() -> Starlette:
    """uvicorn --factory entry point (and each worker process's): settings from the process
    environment, and our logging in place of uvicorn's access log."""
    import os

    from assets_hub.observability.request_log import configure_logging

    settings = Settings.from_env(os.environ)
    configure_logging(settings)
    return create_app(settings)
