"""`assets-hub check`: each backend, whether it answers, and the search outbox lag."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from assets_hub import db
from assets_hub.errors import ConfigError
from assets_hub.media.storage import open_storage
from assets_hub.search import open_search
from assets_hub.search.meili import MeilisearchBackend
from assets_hub.search.outbox import Indexer
from assets_hub.settings import Settings

TIMEOUT_S = 5.0


def _redacted(url: str) -> str:
    """The URL without credentials or query string (which may carry an API key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


async def _meili_checks(search: MeilisearchBackend, echo: Callable[[str], object]) -> bool:
    """The key's permissions and the index's pending or failed setup task (issue 21)."""
    ok = True
    try:
        problems = await asyncio.wait_for(search.key_problems(), timeout=TIMEOUT_S)
    except (Exception, TimeoutError) as exc:  # noqa: BLE001 - report, never crash
        problems, ok = [f"could not be checked: {exc}"], False
    for problem in problems:
        # Only a named lack is a failure; "could not read itself" is a note.
        if problem.startswith(("lacks", "not allowed")):
            ok = False
        echo(f"search    API key {problem}")
    if not problems:
        echo("search    API key ok for search and rebuild")
    try:
        pending = await asyncio.wait_for(search.setup_status(), timeout=TIMEOUT_S)
    except (Exception, TimeoutError) as exc:  # noqa: BLE001
        echo(f"search    setup FAILED {exc}")
        return False
    echo(f"search    setup {pending or 'done'}")
    return ok


async def run_checks(settings: Settings, echo: Callable[[str], object]) -> bool:
    """Print one line per backend; True when all answer."""
    ok = True

    async def report(name: str, url: str, probe: Callable[[], object]) -> None:
        nonlocal ok
        try:
            await asyncio.wait_for(probe(), timeout=TIMEOUT_S)  # type: ignore[arg-type]
            echo(f"{name:<9} ok           {_redacted(url)}")
        except (Exception, TimeoutError) as exc:  # noqa: BLE001 - report, never crash
            ok = False
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            echo(f"{name:<9} UNAVAILABLE  {_redacted(url)}: {reason}")

    contexts = []

    async def database() -> None:
        contexts.append(await db.open_database(settings.database_url))

    await report("database", settings.database_url, database)
    try:
        storage = open_storage(settings.storage_url)
    except ConfigError as exc:
        echo(f"storage   MISCONFIGURED {exc}")
        ok = False
    else:
        await report("storage", settings.storage_url, storage.ping)
        await storage.aclose()
    try:
        search = open_search(settings.search_url, timeout_s=settings.search_timeout_s)
    except ConfigError as exc:
        echo(f"search    MISCONFIGURED {exc}")
        ok = False
    else:
        await report("search", settings.search_url, search.ping)
        if isinstance(search, MeilisearchBackend):
            ok = await _meili_checks(search, echo) and ok
        if contexts:
            with db.activate(contexts[0]):
                lag = await Indexer(search).lag()
            echo(f"outbox    {lag.pending} pending, oldest {lag.oldest_age_s:.0f} s")
        await search.aclose()
    for context in contexts:
        await db.close_database(context)
    return ok
