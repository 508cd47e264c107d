"""What the request log and metrics cost per request: the same app with and without
ObservabilityMiddleware, requests interleaved so both see the same machine load.

    .venv/bin/python bench/observability.py               # 2,000 requests per variant
    .venv/bin/python bench/observability.py --requests 500

Requests go through the whole ASGI app in-process (httpx ASGITransport): /healthz (the
cheapest route, so the middleware's share is as large as it gets) and a signed-in
/api/v1/me (one token look-up in the database). The access line is formatted as JSON and
written to /dev/null, as `serve` writes it to its log stream.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assets_hub import db  # noqa: E402
from assets_hub.app import create_app  # noqa: E402
from assets_hub.auth.tokens import create_token  # noqa: E402
from assets_hub.models import Role  # noqa: E402
from assets_hub.observability.middleware import ObservabilityMiddleware  # noqa: E402
from assets_hub.observability.request_log import configure_logging  # noqa: E402
from assets_hub.services import accounts  # noqa: E402
from assets_hub.settings import Settings  # noqa: E402


def without_observability(app: Starlette) -> Starlette:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not ObservabilityMiddleware]
    return app


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-observability-"))
    database = f"sqlite://{tmp / 'db.sqlite3'}"
    await db.migrate(database)
    settings = Settings(
        database_url=database,
        storage_url=f"file://{tmp / 'storage'}",
        search_url=f"embedded://{tmp / 'search'}",
        tmp_dir=str(tmp / "tmp"),
    )
    with open(os.devnull, "w") as sink:
        configure_logging(settings, sink)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the bench's own client
        # One database; a search index each (the embedded index has one writer per folder).
        other = settings.replace(search_url=f"embedded://{tmp / 'search-2'}")
        apps = {"with": create_app(settings), "without": without_observability(create_app(other))}
        managers = {name: LifespanManager(app) for name, app in apps.items()}
        for manager in managers.values():
            await manager.__aenter__()
        try:
            backends = managers["with"]._state["backends"]
            with db.activate(backends.database):
                user = await accounts.create_user("bench@example.org", Role.EDITOR, None)
                token, _ = await create_token(user, "bench", None)
            clients = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app),
                    base_url="https://testserver",
                    headers={"Authorization": f"Bearer {token}"},
                )
                for name, manager in managers.items()
            }
            print(f"requests per route and variant: {args.requests}")
            print(f"load average before: {os.getloadavg()[0]:.2f}")
            print(f"{'route':<16}{'variant':<10}{'p50 µs':>9}{'p95 µs':>9}{'mean µs':>9}")
            for path in ("/healthz", "/api/v1/me"):
                times: dict[str, list[float]] = {name: [] for name in clients}
                for _ in range(50):  # warm-up
                    for client in clients.values():
                        await client.get(path)
                for _ in range(args.requests):
                    for name, client in clients.items():
                        started = time.perf_counter()
                        response = await client.get(path)
                        times[name].append((time.perf_counter() - started) * 1e6)
                        assert response.status_code == 200, response.text
                for name, measured in times.items():
                    ordered = sorted(measured)
                    p95 = ordered[int(len(ordered) * 0.95)]
                    print(
                        f"{path:<16}{name:<10}{statistics.median(ordered):>9.0f}{p95:>9.0f}"
                        f"{statistics.fmean(ordered):>9.0f}"
                    )
                cost = statistics.median(times["with"]) - statistics.median(times["without"])
                print(f"{path:<16}{'cost':<10}{cost:>9.0f}  (p50 with - p50 without)")
            print(f"load average after: {os.getloadavg()[0]:.2f}")
            for client in clients.values():
                await client.aclose()
        finally:
            for manager in managers.values():
                await manager.__aexit__(None, None, None)


if __name__ == "__main__":
    asyncio.run(main())
