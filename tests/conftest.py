"""Shared fixtures: settings on temp dirs, the app through httpx, test images, live backends."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from assets_hub import db
from assets_hub.app import create_app
from assets_hub.backends import Backends
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
    """The app with embedded backends, called in-process with its lifespan running."""
    async with app_client(settings) as http:
        yield http


class app_client:
    """`async with app_client(settings) as http:` runs the lifespan and yields an httpx client."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.manager = LifespanManager(self.app, startup_timeout=30)

    async def __aenter__(self) -> httpx.AsyncClient:
        await self.manager.__aenter__()
        transport = httpx.ASGITransport(app=self.manager.app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        _BACKENDS[id(self.http)] = self.manager._state["backends"]
        return self.http

    async def __aexit__(self, *exc: object) -> None:
        _BACKENDS.pop(id(self.http), None)
        await self.http.aclose()
        await self.manager.__aexit__(*exc)


_BACKENDS: dict[int, Backends] = {}


def http_state(http: httpx.AsyncClient) -> Backends:
    """The live backends behind a client from app_client (to inspect storage, DB, index)."""
    return _BACKENDS[id(http)]


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
