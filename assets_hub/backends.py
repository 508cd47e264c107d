"""Backends: open, check and close the database, storage and search together (app and CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from tortoise.context import TortoiseContext

from assets_hub import db
from assets_hub.auth.throttle import LoginThrottle
from assets_hub.errors import BackendUnavailable, ConfigError
from assets_hub.media.storage import Storage, open_storage
from assets_hub.search import SearchBackend, open_search
from assets_hub.search.outbox import Indexer
from assets_hub.services.mail import check_smtp_url
from assets_hub.settings import Settings
from assets_hub.tasks import TaskQueue, open_queue

PING_TIMEOUT_S = 5.0


@dataclass
class Backends:
    """The live backends of one app instance, passed explicitly to services."""

    settings: Settings
    database: TortoiseContext
    storage: Storage
    search: SearchBackend
    indexer: Indexer
    throttle: LoginThrottle
    queue: TaskQueue  # background tasks (ASSETS_HUB_QUEUE_URL)
    signing_key: bytes = b""  # HMAC key for signed render links (settings or per process)
    # Renders in progress in this process, by rendition key: identical requests share one.
    renders: dict[str, asyncio.Future[Any]] = field(default_factory=dict)


async def _ping(name: str, variable: str, check: object) -> None:
    try:
        await asyncio.wait_for(check, timeout=PING_TIMEOUT_S)  # type: ignore[arg-type]
    except TimeoutError:
        raise BackendUnavailable(
            name, f"{variable}: no answer within {PING_TIMEOUT_S:.0f} s"
        ) from None


@contextlib.asynccontextmanager
async def open_backends(settings: Settings, *, migrate: bool = False) -> AsyncIterator[Backends]:
    """Open and ping every backend; ConfigError or BackendUnavailable names the variable."""
    check_smtp_url(settings.smtp_url)
    from assets_hub.services.posts import configure_caption_limits  # late: posts needs us

    configure_caption_limits(settings.caption_limits)
    from assets_hub.services.lifecycle import configure_four_eyes  # late, as above

    configure_four_eyes(settings.four_eyes)
    # Pillow's own bomb guard at the policy value too (never None), behind the header checks.
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    LoginThrottle(settings.rate_limit_url)  # a bad URL fails here, before anything opens
    storage = open_storage(settings.storage_url)
    search = open_search(settings.search_url, timeout_s=settings.search_timeout_s)
    queue = open_queue(settings)
    try:
        if migrate:
            await db.migrate(settings.database_url)
        database = await db.open_database(settings.database_url)
        try:
            await _storage_ready(storage)
            await _search_ready(search)
            await _queue_ready(queue)
            with db.activate(database):
                yield Backends(
                    settings=settings,
                    database=database,
                    storage=storage,
                    search=search,
                    indexer=Indexer(search, interval_s=settings.indexer_interval_s),
                    throttle=LoginThrottle(settings.rate_limit_url),
                    queue=queue,
                    signing_key=_signing_key(settings),
                )
        finally:
            await queue.aclose()
            await db.close_database(database)
    finally:
        await search.aclose()
        await storage.aclose()


async def _storage_ready(storage: Storage) -> None:
    try:
        await _ping("storage", "ASSETS_HUB_STORAGE_URL", storage.ping())
    except BackendUnavailable as exc:
        raise BackendUnavailable("storage", f"ASSETS_HUB_STORAGE_URL: {exc.detail}") from exc


async def _search_ready(search: SearchBackend) -> None:
    try:
        await _ping("search", "ASSETS_HUB_SEARCH_URL", search.ping())
        await search.setup()
    except BackendUnavailable as exc:
        raise BackendUnavailable("search", f"ASSETS_HUB_SEARCH_URL: {exc.detail}") from exc


async def _queue_ready(queue: TaskQueue) -> None:
    await _ping("queue", "ASSETS_HUB_QUEUE_URL", queue.open())


def _signing_key(settings: Settings) -> bytes:
    """The configured secret, or (development only) a random one for this process."""
    if settings.secret_key:
        return settings.secret_key.encode()
    return secrets.token_bytes(32)


def describe_startup_error(exc: BaseException) -> str | None:
    """The one line printed when start-up fails for a configuration or backend reason."""
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, BackendUnavailable):
        return exc.detail
    return None
