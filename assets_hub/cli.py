"""The `assets-hub` command: serve, migrate, demo, check."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import click

from assets_hub.backends import describe_startup_error, open_backends
from assets_hub.errors import BackendUnavailable, ConfigError
from assets_hub.settings import Settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except ConfigError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    click.echo(f"assets-hub: {message}", err=True)
    sys.exit(2)


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(coro_factory())  # type: ignore[arg-type]
    except (ConfigError, BackendUnavailable) as exc:
        _fail(describe_startup_error(exc) or str(exc))


@click.group()
def main() -> None:
    """assets hub: national campaign materials, branded by each local library."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
def serve(host: str, port: int) -> None:
    """Serve the web interface and API (checks every backend first)."""
    import uvicorn

    from assets_hub.app import create_app

    settings = _settings()

    async def check() -> None:
        async with open_backends(settings):
            pass

    _run(check)  # fail fast with one clear line instead of a traceback inside uvicorn
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@main.command()
def migrate() -> None:
    """Apply database migrations (safe to run again)."""
    from assets_hub import db

    settings = _settings()

    async def run() -> None:
        try:
            await db.migrate(settings.database_url)
        except ConfigError:
            raise
        except Exception as exc:
            raise BackendUnavailable("database", f"ASSETS_HUB_DATABASE_URL: {exc}") from exc

    _run(run)
    click.echo("database is up to date")


@main.command()
def check() -> None:
    """Report each backend and whether it answers (exit 1 if any does not)."""
    from assets_hub.checks import run_checks

    settings = _settings()
    ok = _run(lambda: run_checks(settings, click.echo))
    sys.exit(0 if ok else 1)


@main.command()
@click.option(
    "--photos",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of JPEG photos (default: ../shared/bench-data/photos if present).",
)
def demo(photos: str | None) -> None:
    """Load a demo campaign (idempotent): real photos when present, generated images otherwise."""
    from assets_hub.demo import load_demo

    settings = _settings()

    async def run() -> int:
        async with open_backends(settings, migrate=True) as backends:
            return await load_demo(backends, photos)

    added = _run(run)
    click.echo(f"demo loaded: {added} new asset(s)")
