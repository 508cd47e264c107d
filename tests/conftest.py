"""Shared fixtures: settings on temp dirs, the app through httpx, test images, live backends."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image
from starlette.applications import Starlette

from assets_hub import db
from assets_hub.app import create_app
from assets_hub.auth import tokens
from assets_hub.backends import Backends
from assets_hub.models import Library, Role, User
from assets_hub.services import accounts
from assets_hub.settings import Settings

pytest_plugins = ["tests.servers", "tests.postgres"]

PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data" / "photos"


@dataclass(frozen=True)
class TestUrls:
    """Optional real services, read once: the suites that need them skip without them."""

    postgres: str | None = os.environ.get("ASSETS_HUB_TEST_POSTGRES_URL") or None
    meilisearch: str | None = os.environ.get("ASSETS_HUB_TEST_MEILISEARCH_URL") or None


TEST_URLS = TestUrls()


def pytest_report_header() -> list[str]:
    return [
        f"postgres: {'yes' if TEST_URLS.postgres else 'no (ASSETS_HUB_TEST_POSTGRES_URL unset)'}",
        "meilisearch: "
        + ("yes" if TEST_URLS.meilisearch else "no (ASSETS_HUB_TEST_MEILISEARCH_URL unset)"),
        f"bench photos: {PHOTOS if PHOTOS.is_dir() else 'absent (generated images used)'}",
    ]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file made once; each test copies it (migrating per test is slow)."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(db.migrate(f"sqlite://{path}"))
    return path


@pytest.fixture
def make_settings(tmp_path: Path, migrated_sqlite: Path) -> Callable[..., Settings]:
    """Settings on this test's temp dir; keyword arguments override fields."""

    def factory(**overrides: object) -> Settings:
        database = tmp_path / "db.sqlite3"
        if not database.exists():
            shutil.copy(migrated_sqlite, database)
        values: dict[str, object] = {
            "database_url": f"sqlite://{database}",
            "storage_url": f"file://{tmp_path / 'storage'}",
            "search_url": f"embedded://{tmp_path / 'search'}",
            "tmp_dir": str(tmp_path / "tmp"),
            "indexer_interval_s": 0.05,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with embedded backends, called in-process as an editor with an API token."""
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        yield http


async def make_user(
    http: httpx.AsyncClient,
    role: Role,
    *,
    library: str | None = None,
    email: str | None = None,
    password: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A user in the app behind ``http`` (its library is created when missing).

    ``password_hash`` skips hashing (Argon2 is deliberately slow) when a fixture reuses one.
    """
    backends = http_state(http)
    with db.activate(backends.database):
        lib = None
        if library is not None:
            lib = await Library.get_or_none(slug=library) or await accounts.create_library(
                library.replace("-", " ").title(), library
            )
        address = email or f"{role.value}.{uuid.uuid4().hex[:8]}@example.org"
        user = await accounts.create_user(address, role, lib, password=password)
        if password_hash is not None:
            user.password_hash = password_hash
            await user.save(update_fields=["password_hash"])
        return user


async def token_for(http: httpx.AsyncClient, user: User) -> str:
    with db.activate(http_state(http).database):
        token, _ = await tokens.create_token(user, "tests", None)
    return token


async def authorise(http: httpx.AsyncClient, role: Role, *, library: str | None = None) -> User:
    """Make ``http`` call as a new user of ``role`` (Authorization: Bearer)."""
    if role in (Role.LIBRARY_ADMIN, Role.LIBRARY_MEMBER) and library is None:
        library = "leeds"
    user = await make_user(http, role, library=library)
    http.headers["Authorization"] = f"Bearer {await token_for(http, user)}"
    return user


class app_client:
    """`async with app_client(settings) as http:` runs the lifespan and yields an httpx client."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.manager = LifespanManager(self.app, startup_timeout=30)

    async def __aenter__(self) -> httpx.AsyncClient:
        await self.manager.__aenter__()
        transport = httpx.ASGITransport(app=self.manager.app)
        # https: the session cookie is __Host- and Secure, so it only travels over https.
        self.http = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        _BACKENDS[id(self.http)] = self.manager._state["backends"]
        _APPS[id(self.http)] = self.app
        return self.http

    async def __aexit__(self, *exc: object) -> None:
        _BACKENDS.pop(id(self.http), None)
        _APPS.pop(id(self.http), None)
        await self.http.aclose()
        await self.manager.__aexit__(*exc)


# Fields that let an upload be published straight away (alt text and a licence are required).
PUBLISHABLE = {"alt_text": "A test picture.", "licence": "cc0", "status": "published"}

_BACKENDS: dict[int, Backends] = {}
_APPS: dict[int, Starlette] = {}


def http_app(http: httpx.AsyncClient) -> Starlette:
    """The Starlette app behind a client from app_client (for its route table)."""
    return _APPS[id(http)]


def http_state(http: httpx.AsyncClient) -> Backends:
    """The live backends behind a client from app_client (to inspect storage, DB, index)."""
    return _BACKENDS[id(http)]


class Crew:
    """People of several roles calling one app, each with their own API token.

    ``crew.call("editor", "POST", url, ...)`` sends the request as that person; extra
    ``headers`` are merged with theirs. Fixtures store what they create as attributes.
    """

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.auth: dict[str, dict[str, str]] = {}

    async def add(self, name: str, role: Role, library: str | None = None) -> None:
        user = await make_user(self.http, role, library=library)
        self.auth[name] = {"Authorization": f"Bearer {await token_for(self.http, user)}"}

    async def call(self, who: str, method: str, url: str, **kw: object) -> httpx.Response:
        headers = {**self.auth.get(who, {}), **kw.pop("headers", {})}  # type: ignore[dict-item]
        return await self.http.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]


def make_jpeg(size: tuple[int, int] = (640, 480), colour: str = "#1d70b8", **save: object) -> bytes:
    """A JPEG made in memory; extra keyword arguments go to Image.save (e.g. exif=...)."""
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, **save)
    return out.getvalue()


@pytest.fixture
def real_photo() -> bytes:
    """The CC0 photograph from shared/bench-data (a generated photo-sized JPEG if absent)."""
    photos = sorted(PHOTOS.glob("*.jpg")) if PHOTOS.is_dir() else []
    if photos:
        return photos[0].read_bytes()
    return make_jpeg((4000, 3000), "#446688")
