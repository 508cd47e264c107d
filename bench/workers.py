"""Worker benchmark: HTTP latency through a real `assets-hub serve`, with 1 and with 2 workers.

    .venv/bin/python bench/workers.py                       # 20,000 assets, workers 1 and 2
    .venv/bin/python bench/workers.py --n 5000 --concurrency 1 4 --queries 300

One temporary var/ (SQLite, local storage, the embedded index) is filled once: bench/search.py's
generated assets (index built with ``rebuild()``, matching database rows) plus one uploaded
photo branded by a library profile. Then, for each worker count, the service is started as a
subprocess on a free port and two request kinds are timed over real TCP on 127.0.0.1 from
``--concurrency`` clients at once:

* search mix   ``GET /api/v1/assets`` for bench/search.py's query mix (one word, two words,
               prefix, typo, filters, facets), anonymous public catalogue;
* branded GET  ``GET /api/v1/assets/ID/render?preset=…&profile=…`` of a rendition already
               rendered and stored (warm: streamed from storage), as a library member.

It prints p50/p99 per row and the throughput. The machine is shared (2 cores): the load
average is printed before and after, and the 1-worker run is the baseline in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search as search_bench  # noqa: E402  (bench/search.py)

from assets_hub import db  # noqa: E402
from assets_hub.search.embedded import EmbeddedSearchBackend  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "bench-data" / "photos"
PRESETS = ("instagram-square", "facebook-link", "story")
PASSWORD = "bench password long enough"  # noqa: S105 - a throwaway bench account


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assets_hub", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"assets-hub {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


class Serve:
    """`assets-hub serve --workers N` as a subprocess, stopped on exit."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "assets_hub", "serve"),
                    *("--port", str(self.port), "--workers", str(workers)),
                ],
                env={**env, "ASSETS_HUB_LOG_LEVEL": "warning"},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def __enter__(self) -> Serve:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("serve exited early")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise SystemExit("serve did not become ready")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (400, 160), (29, 60, 110, 255)).save(out, format="PNG")
    return out.getvalue()


def photo_bytes() -> bytes:
    photos = sorted(PHOTOS.glob("*.jpg")) if PHOTOS.is_dir() else []
    if photos:
        return photos[0].read_bytes()
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), "#4477aa").save(out, format="JPEG", quality=90)
    return out.getvalue()


def prepare_branding(url: str, env: dict[str, str]) -> tuple[str, int, dict[str, str]]:
    """Upload a photo as an editor, brand it for a library; (asset id, profile id, auth)."""
    cli(env, "create-library", "--name", "Bench Libraries", "--slug", "bench")
    tokens = {}
    for role, library in (
        ("editor", None),
        ("library_admin", "bench"),
        ("library_member", "bench"),
    ):
        email = f"{role}@bench.example.org"
        extra = ["--library", library] if library else []
        cli(env, "create-user", "--email", email, "--role", role, "--password", PASSWORD, *extra)
        tokens[role] = {
            "Authorization": f"Bearer {cli(env, 'create-token', '--email', email).splitlines()[-1]}"
        }
    with httpx.Client(base_url=url, timeout=300) as http:
        made = http.post(
            "/api/v1/assets",
            headers=tokens["editor"],
            data={"alt_text": "A photo.", "licence": "cc0", "status": "published"},
            files={"file": ("photo.jpg", photo_bytes(), "image/jpeg")},
        )
        assert made.status_code == 201, made.text
        profile = http.post(
            "/api/v1/libraries/bench/profiles",
            headers=tokens["library_admin"],
            json={
                "name": "Main",
                "primary": "#1d3c6e",
                "text": "#ffd700",
                "library_name": "Bench Libraries",
                "website": "https://library.example.org.uk",
            },
        )
        assert profile.status_code == 201, profile.text
        profile_id = int(profile.json()["id"])
        logo = http.put(
            f"/api/v1/profiles/{profile_id}/logo",
            headers=tokens["library_admin"],
            files={"file": ("logo.png", logo_png(), "image/png")},
        )
        assert logo.status_code == 200, logo.text
        asset = str(made.json()["id"])
        for preset in PRESETS:  # rendered and stored once: every later GET is warm
            first = http.get(
                f"/api/v1/assets/{asset}/render",
                headers=tokens["library_member"],
                params={"preset": preset, "profile": profile_id},
            )
            assert first.status_code == 200, first.text
    return asset, profile_id, tokens["library_member"]


async def timed(
    calls: Sequence[Callable[[httpx.AsyncClient], Awaitable[None]]], concurrency: int, url: str
) -> tuple[list[float], float]:
    """Run ``calls`` from ``concurrency`` clients at once; (latencies ms, requests/s)."""
    latencies: list[float] = []
    queue = list(reversed(calls))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while queue:
                call = queue.pop()
                started = time.perf_counter()
                await call(http)
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, len(calls) / (time.perf_counter() - started)


def search_calls(
    mix: Sequence[search_bench.Mix],
) -> list[Callable[[httpx.AsyncClient], Awaitable[None]]]:
    def one(item: search_bench.Mix) -> Callable[[httpx.AsyncClient], Awaitable[None]]:
        query = item.query
        params: list[tuple[str, str | int]] = [("q", query.text), ("per_page", query.per_page)]
        params += [("kind", v) for v in query.kinds]
        params += [("campaign", v) for v in query.campaigns]
        params += [("tag", v) for v in query.tags]

        async def call(http: httpx.AsyncClient) -> None:
            response = await http.get("/api/v1/assets", params=params)
            response.raise_for_status()

        return call

    return [one(item) for item in mix]


def branded_calls(
    asset: str, profile: int, auth: dict[str, str], count: int
) -> list[Callable[[httpx.AsyncClient], Awaitable[None]]]:
    def one(preset: str) -> Callable[[httpx.AsyncClient], Awaitable[None]]:
        async def call(http: httpx.AsyncClient) -> None:
            response = await http.get(
                f"/api/v1/assets/{asset}/render",
                headers=auth,
                params={"preset": preset, "profile": profile},
            )
            response.raise_for_status()
            assert response.content

        return call

    return [one(PRESETS[i % len(PRESETS)]) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="assets to generate")
    parser.add_argument("--queries", type=int, default=500, help="search requests per run")
    parser.add_argument("--branded", type=int, default=300, help="branded GETs per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4])
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    env = {
        **os.environ,
        "ASSETS_HUB_DATABASE_URL": f"sqlite://{tmp / 'db.sqlite3'}",
        "ASSETS_HUB_STORAGE_URL": f"file://{tmp / 'storage'}",
        "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp / 'search'}",
        "ASSETS_HUB_TMP_DIR": str(tmp / "tmp"),
        "ASSETS_HUB_PUBLIC_CATALOGUE": "true",
        "ASSETS_HUB_SECRET_KEY": "bench-workers-secret-key-0123456789abcdef",
    }
    started = time.perf_counter()
    docs = search_bench.generate(args.n)
    mix = search_bench.query_mix(docs)[: args.queries]
    asyncio.run(db.migrate(env["ASSETS_HUB_DATABASE_URL"]))
    search_bench.fill_database(tmp / "db.sqlite3", docs)
    backend = EmbeddedSearchBackend(tmp / "search")
    asyncio.run(backend.rebuild(docs))
    asyncio.run(backend.aclose())
    with Serve(env, 1, tmp / "setup.log") as service:
        asset, profile, auth = prepare_branding(service.url, env)
    print(
        f"assets: {args.n:,} (prepared in {time.perf_counter() - started:.0f} s); search "
        f"requests per run: {len(mix)}; branded GETs per run: {args.branded}; cores: "
        f"{os.cpu_count()}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'row':<34}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for workers in args.workers:
        with Serve(env, workers, tmp / f"serve-{workers}.log") as service:
            warm = search_calls(mix[:50]) + branded_calls(asset, profile, auth, 30)
            asyncio.run(timed(warm, 2, service.url))  # imports, caches, both workers
            for concurrency in args.concurrency:
                rows = (
                    ("search mix", search_calls(mix)),
                    ("warm branded GET", branded_calls(asset, profile, auth, args.branded)),
                )
                for name, calls in rows:
                    latencies, rate = asyncio.run(timed(calls, concurrency, service.url))
                    label = f"{name}, {workers} worker(s), c={concurrency}"
                    print(
                        f"{label:<34}{percentile(latencies, 0.5):>9.1f}"
                        f"{percentile(latencies, 0.99):>9.1f}{rate:>9.0f}"
                    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
