"""/healthz (the process answers) and /readyz (every backend answers, within 2 s)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from assets_hub.auth.policy import Policy, requires
from assets_hub.backends import Backends
from assets_hub.db import ping_database
from assets_hub.search import SearchBackend
from assets_hub.search.meili import MeilisearchBackend

READY_TIMEOUT_S = 2.0
MIB = 1024 * 1024


@requires(Policy.PUBLIC)
async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _check(coro: object) -> str | None:
    try:
        await asyncio.wait_for(coro, timeout=READY_TIMEOUT_S)  # type: ignore[arg-type]
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_S:.0f} s"
    except Exception as exc:  # noqa: BLE001 - readiness reports every failure as text
        return str(exc) or type(exc).__name__
    return None


async def _free_space_warning(backends: Backends) -> None:
    """Raise (a warning, not a failure: writes still work) when storage is nearly full."""
    threshold = backends.settings.storage_min_free_mb * MIB
    free = await backends.storage.free_bytes()
    if free is not None and free < threshold:
        raise RuntimeError(
            f"only {free // MIB} MiB free (below {backends.settings.storage_min_free_mb} MiB)"
        )


async def _search_answers(search: SearchBackend, notes: dict[str, object]) -> None:
    """Ping; for Meilisearch also its setup tasks, which start-up enqueues without waiting.

    A pending one is a note (searches use the previous settings meanwhile), a failed one
    makes search unavailable with Meilisearch's error code.
    """
    await search.ping()
    if isinstance(search, MeilisearchBackend):
        pending = await search.setup_status()
        if pending is not None:
            notes["search_setup"] = pending


@requires(Policy.PUBLIC)
async def readyz(request: Request) -> JSONResponse:
    """200 when database, storage and search answer; 503 naming each one that does not.

    Storage must take a write to count as answering; little free space is a warning.
    """
    backends: Backends = request.state.backends
    notes: dict[str, object] = {}
    checks = await asyncio.gather(
        _check(ping_database(backends.database)),
        _check(backends.storage.ping()),
        _check(_search_answers(backends.search, notes)),
    )
    results = dict(zip(("database", "storage", "search"), checks, strict=True))
    lag = await backends.indexer.lag() if results["database"] is None else None
    body: dict[str, object] = {
        "status": "ok" if not any(checks) else "unavailable",
        "checks": {name: problem or "ok" for name, problem in results.items()},
    }
    body.update(notes)
    if lag is not None:
        body["search_outbox"] = {"pending": lag.pending, "oldest_age_s": round(lag.oldest_age_s, 1)}
    if results["storage"] is None:
        warning = await _check(_free_space_warning(backends))
        if warning:
            body["warnings"] = {"storage": warning}
    if any(checks):
        failing = ", ".join(name for name, problem in results.items() if problem)
        body["error"] = f"not ready: {failing} unavailable"
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
