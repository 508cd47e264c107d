"""F10/F11 (fast variants) on PostgreSQL through the fault proxy.

The connections of the app's pool are reset (what a restart of PostgreSQL or
pg_terminate_backend does to them), or the server is unreachable for a moment. Requests that
meet the fault answer 503 (never a 500); once PostgreSQL answers again the app serves reads
and writes without a restart, on fresh connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from assets_hub import db
from assets_hub.models import Campaign, Role
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state
from tests.reliability.faultproxy import FaultProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_proxy(migrated_postgres_url: str) -> Iterator[tuple[FaultProxy, str]]:
    parts = urlsplit(migrated_postgres_url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    user = f"{parts.username}@" if parts.username else ""
    netloc = f"{user}127.0.0.1:{proxy.port}"
    yield proxy, urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    proxy.stop()


async def _recovers(http: httpx.AsyncClient, attempts: int = 5) -> list[int]:
    """Statuses of reads until the first 200 (each failure must be a 503, never a 500)."""
    seen = []
    for _ in range(attempts):
        response = await http.get("/api/v1/campaigns")
        seen.append(response.status_code)
        if response.status_code == 200:
            break
        assert response.status_code == 503, response.text
    return seen


@pytest.mark.parametrize("mode", ["reset", "refuse"])
async def test_database_connections_lost_then_back(
    make_settings: Callable[..., Settings], pg_proxy: tuple[FaultProxy, str], mode: str
) -> None:
    proxy, url = pg_proxy
    async with app_client(make_settings(database_url=url)) as http:
        await authorise(http, Role.EDITOR)
        assert (await http.get("/api/v1/campaigns")).status_code == 200
        with proxy.fault(mode):
            down = await http.post("/api/v1/campaigns", json={"slug": "down", "name": "Down"})
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"].isdigit()
        assert (await _recovers(http))[-1] == 200
        made = await http.post("/api/v1/campaigns", json={"slug": "back", "name": "Back"})
        assert made.status_code == 201, made.text
        with db.activate(http_state(http).database):
            assert await Campaign.filter(slug__in=["down", "back"]).values_list(
                "slug", flat=True
            ) == ["back"]
