"""Page benchmark: server time for the search page (10,000 assets, facets) and the asset page,
and the bytes a browser transfers per page (HTML + CSS + JS, images excluded).

    .venv/bin/python bench/pages.py            # 10,000 assets, 200 requests per page
    .venv/bin/python bench/pages.py --n 2000 --requests 50

Assets are inserted straight into the database and the search index (ingesting 10,000 images
would measure the upload pipeline, not the pages); every asset shares one stored thumbnail.
Requests go through the whole ASGI app in-process (httpx ASGITransport), signed in as library
staff, so the numbers are server time without network. The target from issue 9: pages under
150 KB transferred, excluding images.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assets_hub import db  # noqa: E402
from assets_hub.app import create_app  # noqa: E402
from assets_hub.auth.tokens import create_token  # noqa: E402
from assets_hub.models import Asset, AssetVersion, Campaign, Kind, Role, Status, Tag  # noqa: E402
from assets_hub.search.documents import build_document  # noqa: E402
from assets_hub.services import accounts  # noqa: E402
from assets_hub.settings import Settings  # noqa: E402

WORDS = (
    "summer reading challenge library week digital skills storytime rhyme time coding club "
    "makerspace health wellbeing author talk family history poetry comics science craft "
    "baby bounce homework help book club local history jobs support"
).split()
TAGS = ("children", "families", "adults", "older people", "teens", "reading", "digital", "events")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def seed(n: int, backends: object) -> list[str]:
    rng = random.Random(7)
    campaigns = [
        await Campaign.create(slug=f"campaign-{i}", name=f"Campaign {i}") for i in range(8)
    ]
    tags = [await Tag.create(name=t) for t in TAGS]
    now = datetime.now(UTC)
    ids = []
    for start in range(0, n, 1000):
        batch = []
        for _ in range(start, min(n, start + 1000)):
            title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
            batch.append(
                Asset(
                    id=uuid.uuid4(),
                    title=title,
                    description=f"{title} for libraries",
                    kind=rng.choice([Kind.IMAGE, Kind.IMAGE, Kind.DOCUMENT]),
                    status=Status.PUBLISHED,
                    campaign=rng.choice(campaigns),
                    published_at=now - timedelta(days=rng.randint(0, 300)),
                    alt_text="A picture",
                    licence="cc0",
                )
            )
        await Asset.bulk_create(batch)
        versions = [
            AssetVersion(
                asset_id=a.id,
                number=1,
                storage_key="originals/00/" + "0" * 64,
                sha256="0" * 64,
                size=1000,
                media_type="image/jpeg",
                width=1600,
                height=1000,
                filename="x.jpg",
                thumbnail_key=None,
            )
            for a in batch
        ]
        await AssetVersion.bulk_create(versions)
        for asset in batch:
            asset._saved_in_db = True  # bulk_create does not mark instances as saved
            await asset.tags.add(*rng.sample(tags, 2))
        documents = [await build_document(a) for a in batch]
        await backends.search.upsert(documents)  # type: ignore[attr-defined]
        ids += [str(a.id) for a in batch]
    return ids


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    database = f"sqlite://{tmp / 'db.sqlite3'}"
    await db.migrate(database)
    settings = Settings(
        database_url=database,
        storage_url=f"file://{tmp / 'storage'}",
        search_url=f"embedded://{tmp / 'search'}",
        tmp_dir=str(tmp / "tmp"),
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        backends = manager._state["backends"]
        with db.activate(backends.database):
            started = time.perf_counter()
            ids = await seed(args.n, backends)
            seeded = time.perf_counter() - started
            member = await accounts.create_user(
                "bench@example.org",
                Role.LIBRARY_MEMBER,
                await accounts.create_library("Bench Libraries", "bench"),
            )
            token, _ = await create_token(member, "bench", None)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="https://testserver",
            headers={"Authorization": f"Bearer {token}"},
        ) as http:
            rng = random.Random(11)
            pages = {
                "search (words + facets)": lambda: f"/?q={rng.choice(WORDS)}+{rng.choice(WORDS)}",
                "search (filtered)": lambda: (
                    f"/?q={rng.choice(WORDS)}&kind=image&campaign=campaign-3"
                ),
                "asset page": lambda: f"/assets/{rng.choice(ids)}",
            }
            # What the browser transfers for the static files: they are served gzipped.
            css = sum(
                len(gzip.compress(p.read_bytes()))
                for p in (ROOT / "static" / "build").glob("*.css")
            )
            js = sum(
                len(gzip.compress(p.read_bytes())) for p in (ROOT / "static" / "js").glob("*js")
            )
            print(
                f"assets: {args.n:,} (seeded in {seeded:.1f} s); requests per page: {args.requests}"
            )
            print(f"load average before: {os.getloadavg()[0]:.2f}")
            print(f"{'page':<26}{'p50 ms':>9}{'p95 ms':>9}{'HTML KB':>9}{'+CSS+JS KB':>12}")
            for name, url in pages.items():
                timings, sizes = [], []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    response = await http.get(url())
                    timings.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                    sizes.append(len(response.content))
                html = statistics.mean(sizes) / 1024
                print(
                    f"{name:<26}{percentile(timings, 0.5):>9.1f}{percentile(timings, 0.95):>9.1f}"
                    f"{html:>9.1f}{html + (css + js) / 1024:>12.1f}"
                )
            print(
                f"static: CSS {css / 1024:.1f} KB, JS {js / 1024:.1f} KB (uncompressed, cached "
                "after the first page); target under 150 KB per page"
            )
            print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
