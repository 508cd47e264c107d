"""The `assets-hub` command: serve, migrate, demo, check."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

from assets_hub.backends import Backends, describe_startup_error, open_backends
from assets_hub.errors import AppError, BackendUnavailable, ConfigError, Conflict, Unprocessable
from assets_hub.observability.request_log import configure_logging, quiet_noisy_loggers
from assets_hub.settings import Settings

T = TypeVar("T")
DEFAULT_BASE_URL = Settings.__dataclass_fields__["base_url"].default


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


@contextlib.asynccontextmanager
async def _backends(settings: Settings, *, migrate: bool = False) -> AsyncIterator[Backends]:
    """open_backends for a command: it writes the search index only if no service does
    (then it also applies what it queued before exiting); beside a running service it
    reads the index and leaves its changes in the outbox for the service's writer."""
    from assets_hub.search.outbox import writer_if_free

    async with open_backends(settings, migrate=migrate) as backends:
        async with writer_if_free(backends.indexer):
            yield backends


def _check_port(host: str, port: int) -> None:
    """One clear line, before anything starts, if the address is taken (or not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                _fail(
                    f"cannot listen on {host}:{port}: the address is in use (is another "
                    "`assets-hub serve` running? choose another --port)"
                )
            _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@click.group()
def main() -> None:
    """assets hub: national campaign materials, branded by each local library."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    quiet_noisy_loggers()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes sharing the database, storage and search index (docs/processes.md).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web interface and API (checks every backend first)."""
    import uvicorn

    from assets_hub.app import create_app
    from assets_hub.auth.throttle import shared_across_processes

    settings = _settings()
    _check_port(host, port)
    settings = settings.replace(base_url=served_base_url(settings.base_url, host, port))
    configure_logging(settings)
    if workers > 1 and not shared_across_processes(settings.rate_limit_url):
        logging.getLogger("assets_hub.cli").warning(
            "ASSETS_HUB_RATE_LIMIT_URL=%s keeps sign-in, upload and render counters in each "
            "process: with --workers %d every worker counts on its own (up to %d times the "
            "limits); set it to async+redis://HOST:6379 to share them",
            settings.rate_limit_url,
            workers,
            workers,
        )

    async def check() -> None:
        async with open_backends(settings):
            pass

    _run(check)  # fail fast with one clear line instead of a traceback inside uvicorn
    # Our request log replaces uvicorn's access log, whose raw paths carry tokens.
    if workers > 1:
        from assets_hub.observability.metrics import prepare_multiprocess

        prepare_multiprocess(settings.metrics_dir)  # before the workers start
        # Each worker builds its app from the environment it inherits: the same settings.
        os.environ["ASSETS_HUB_BASE_URL"] = settings.base_url
        uvicorn.run(
            "assets_hub.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,
        )
        return
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
    )


def served_base_url(base_url: str, host: str, port: int) -> str:
    """ASSETS_HUB_BASE_URL when it was set, else the address `serve` listens on (this
    machine's loopback when it listens on every interface)."""
    if base_url != DEFAULT_BASE_URL:
        return base_url
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@main.command()
@click.option("--concurrency", default=2, show_default=True, type=int, help="Tasks run at once.")
def worker(concurrency: int) -> None:
    """Run background tasks (packs, pre-renders, sweeps, reconcile, gc) until stopped."""
    from assets_hub.tasks import run_worker_process

    if concurrency < 1:
        _fail("--concurrency must be 1 or more")
    _run(lambda: run_worker_process(_settings(), concurrency=concurrency))


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
    from assets_hub.demo import load_demo, load_demo_accounts

    settings = _settings()
    if settings.environment == "production":
        _fail("the demo creates accounts with published passwords; not in production")

    async def run() -> tuple[int, list[tuple[str, str, str, str]]]:
        async with _backends(settings, migrate=True) as backends:
            people = await load_demo_accounts()
            return await load_demo(backends, photos), people

    added, people = _run_app(run)
    click.echo(f"demo loaded: {added} new asset(s)")
    click.echo(f"sign in at {settings.base_url}/signin with one of these demo accounts:")
    for email, role, library, password in people:
        click.echo(f"  {email:<34} {password:<22} {role} ({library})")


@main.command("create-library")
@click.option("--name", required=True, help="The library service's name, e.g. 'Leeds Libraries'.")
@click.option("--slug", default=None, help="Short id for URLs (default: from the name).")
def create_library(name: str, slug: str | None) -> None:
    """Create a library service."""
    from assets_hub.services import accounts

    settings = _settings()

    async def run() -> str:
        async with _backends(settings):
            library = await accounts.create_library(name, slug)
            return library.slug

    click.echo(f"library created: {_run_app(run)}")


@main.command("create-user")
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "editor", "library_admin", "library_member"]),
)
@click.option("--library", "library_slug", default=None, help="Library slug (library staff).")
@click.option(
    "--password", default=None, help="Set this password; without it an invitation link is printed."
)
def create_user(email: str, role: str, library_slug: str | None, password: str | None) -> None:
    """Create a user with a password, or print an invitation link for them."""
    from assets_hub.models import Library, LinkPurpose, Role
    from assets_hub.services import accounts

    settings = _settings()

    async def run() -> str | None:
        async with _backends(settings):
            library = None
            if library_slug:
                library = await Library.get_or_none(slug=library_slug)
                if library is None:
                    raise Unprocessable(f"library: no library with the slug {library_slug!r}")
            user = await accounts.create_user(email, Role(role), library, password=password)
            if password is None:
                return await accounts.issue_link(settings, user, LinkPurpose.INVITATION)
            return None

    link = _run_app(run)
    click.echo(f"user created: {email.strip().lower()} ({role})")
    if link:
        click.echo(f"invitation link (valid {settings.invitation_expiry_h} h): {link}")


@main.command("create-token")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True)
@click.option("--expires-days", type=int, default=None)
def create_token(email: str, name: str, expires_days: int | None) -> None:
    """Create an API token; the token alone is printed on the last line."""
    from assets_hub.auth.tokens import create_token as make_token
    from assets_hub.models import User
    from assets_hub.services import audit

    settings = _settings()

    async def run() -> str:
        async with _backends(settings):
            user = await User.get_or_none(email=email.strip().lower())
            if user is None:
                raise Unprocessable(f"email: no user {email!r}")
            token, row = await make_token(user, name, expires_days)
            await audit.record(
                "token_created",
                actor_email="cli",
                target_type="token",
                target_id=row.id,
                library_id=user.library_id,
                name=row.name,
            )
            return token

    token = _run_app(run)
    click.echo(f"token for {email.strip().lower()} (shown once):")
    click.echo(token)


def _run_app(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Like _run, and also turns a refusal (bad input) into one line and exit code 2."""
    try:
        return _run(coro_factory)
    except AppError as exc:
        _fail(exc.message)


@main.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CSV with a filename column and asset fields (title, tags, licence, …).",
)
@click.option("--as", "as_email", default=None, help="Record this editor as the uploader.")
def import_command(folder: str, metadata: str | None, as_email: str | None) -> None:
    """Import a folder of files as draft assets; rerunning skips what is already in."""
    from pathlib import Path

    from tqdm import tqdm

    from assets_hub.models import User
    from assets_hub.services.bulk import files_in, import_folder, read_metadata_csv

    settings = _settings()
    root = Path(folder)

    async def run() -> Any:
        async with _backends(settings) as backends:
            rows = read_metadata_csv(Path(metadata)) if metadata else None
            uploader = None
            if as_email:
                uploader = await User.get_or_none(email=as_email.strip().lower())
                if uploader is None:
                    raise Unprocessable(f"--as: no user {as_email!r}")
            with tqdm(total=len(files_in(root)), unit="file", file=sys.stderr) as bar:
                return await import_folder(
                    backends,
                    root,
                    metadata=rows,
                    metadata_path=Path(metadata) if metadata else None,
                    uploader=uploader,
                    progress=lambda _: bar.update(),
                )

    report = _run_app(run)
    click.echo(
        f"imported {len(report.imported)}, already there {len(report.skipped)}, "
        f"rejected {len(report.rejected)}"
    )
    for name in report.metadata:
        click.echo(f"  metadata {name}: read as the files' details, not imported")
    for name, reason in report.rejected:
        click.echo(f"  rejected {name}: {reason}")
    sys.exit(1 if report.rejected else 0)


@main.command()
@click.option(
    "--grace-minutes",
    type=int,
    default=None,
    help="Keep unreferenced files younger than this (default: the setting).",
)
def gc(grace_minutes: int | None) -> None:
    """Purge assets deleted longer ago than the undo window and unreferenced stored files."""
    from datetime import timedelta

    from assets_hub.services.gc import collect_garbage

    settings = _settings()

    async def run() -> Any:
        async with _backends(settings) as backends:
            grace = timedelta(minutes=grace_minutes) if grace_minutes is not None else None
            return await collect_garbage(backends, grace=grace)

    report = _run_app(run)
    click.echo(
        f"purged {report.purged_assets} asset(s), removed {report.deleted_objects} "
        f"file(s), kept {report.kept_young_orphans} recent unreferenced file(s)"
    )


@main.command()
@click.option("--repair", is_flag=True, help="Mend what can be mended (see the report).")
@click.option(
    "--grace-minutes",
    type=int,
    default=None,
    help="Unreferenced files younger than this are not drift (default: the orphan setting).",
)
def verify(repair: bool, grace_minutes: int | None) -> None:
    """Compare storage, database and search index; report drift (exit 1), --repair mends it."""
    from datetime import timedelta

    from assets_hub.services.verify import verify as run_verify

    settings = _settings()

    async def run() -> Any:
        async with _backends(settings) as backends:
            grace = timedelta(minutes=grace_minutes) if grace_minutes is not None else None
            return await run_verify(backends, repair=repair, grace=grace)

    report = _run_app(run)
    for finding in report.findings:
        state = " [repaired]" if finding.repaired else ""
        state = " [queued for the running service's search writer]" if finding.queued else state
        click.echo(f"{finding.kind}: {finding.subject} {finding.detail}".rstrip() + state)
    click.echo(
        f"checked {report.checked_objects} version(s): {len(report.findings)} difference(s), "
        f"{len(report.unrepaired)} not repaired"
    )
    if report.unrepaired:
        sys.exit(1)


@main.command()
def reindex() -> None:
    """Rebuild the whole search index from the database, aside, then swap it in."""
    from tqdm import tqdm

    from assets_hub.models import Asset
    from assets_hub.services.search_admin import apply_synonyms, rebuild_index

    settings = _settings()

    async def run() -> int:
        async with _backends(settings) as backends:
            total = await Asset.filter(deleted_at=None).count()
            with tqdm(total=total, unit="asset", file=sys.stderr) as bar:
                try:
                    count = await rebuild_index(backends, progress=bar.update)
                except RuntimeError as exc:  # another rebuild is running: one line, not a trace
                    raise Conflict(f"{exc}; nothing changed") from exc
            await apply_synonyms(backends)
            return count

    click.echo(f"search index rebuilt: {_run_app(run)} asset(s)")


@main.command()
def reconcile() -> None:
    """Compare the search index with the database and queue repairs for any difference."""
    from assets_hub.services.search_admin import reconcile as run_reconcile

    settings = _settings()

    async def run() -> tuple[Any, bool]:
        async with _backends(settings) as backends:
            drift = await run_reconcile(backends, full=True)
            return drift, backends.indexer.writer  # a writer applies the repairs on leaving

    drift, here = _run_app(run)
    done = "repaired" if here else "repairs queued for the running service's search writer"
    if not (drift.missing or drift.stale or drift.extra):
        done = "nothing to repair"
    click.echo(f"missing {drift.missing}, stale {drift.stale}, extra {drift.extra}: {done}")


@main.command("import-libraries")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def import_libraries(csv_file: str) -> None:
    """Pre-fill libraries and branch profiles from the public libraries open data CSV."""
    from pathlib import Path

    from assets_hub.services.library_import import import_libraries as run_import

    settings = _settings()
    data = Path(csv_file).read_bytes()

    async def run() -> Any:
        async with _backends(settings):
            return await run_import(data)

    report = _run_app(run)
    click.echo(
        f"libraries created {len(report.libraries_created)}, profiles created "
        f"{report.profiles_created}, already there {report.profiles_skipped}, "
        f"rejected {len(report.rejected)}"
    )
    for line, reason in report.rejected:
        click.echo(f"  line {line}: {reason}")
