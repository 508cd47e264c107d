"""Near-duplicate check at upload: the indexed hash-quarter lookup against the full scan it
replaced, on N stored versions with random perceptual hashes (a benchmark, not a test).

Prints, per check, the p50/p95 of both ways side by side, and that both find the same
near-duplicate (a planted hash 5 bits away from the probe).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from pathlib import Path

from assets_hub import db
from assets_hub.media.inspect import hamming
from assets_hub.models import Asset, AssetVersion, Kind, Status
from assets_hub.services import ingest


async def scan(phash: str) -> str | None:
    """What ingest did before this change: every stored hash, compared in Python."""
    rows = await AssetVersion.filter(
        phash__isnull=False, asset__deleted_at__isnull=True
    ).values_list("asset_id", "phash")
    for asset_id, other in rows:
        if other and hamming(phash, str(other)) <= ingest.NEAR_DUPLICATE_BITS:
            return str(asset_id)
    return None


async def indexed(phash: str) -> str | None:
    _, similar = await ingest._duplicate_warnings("f" * 64, phash)
    return similar[0] if similar else None


def version_row(asset_id: uuid.UUID, phash: str) -> AssetVersion:
    """A stored version with this perceptual hash and its quarters, as ingest writes them."""
    return AssetVersion(
        asset_id=asset_id,
        number=1,
        storage_key="originals/00/" + "0" * 64,
        sha256=uuid.uuid4().hex * 2,
        size=1000,
        media_type="image/jpeg",
        width=800,
        height=600,
        filename="x.jpg",
        phash=phash,
        **ingest.quarter_fields(phash),
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="stored versions")
    parser.add_argument("--checks", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-duplicates-"))
    database = f"sqlite://{tmp / 'db.sqlite3'}"
    await db.migrate(database)
    context = await db.open_database(database)
    rng = random.Random(11)
    with db.activate(context):
        started = time.perf_counter()
        for start in range(0, args.n, 2000):
            assets = [
                Asset(id=uuid.uuid4(), title="x", kind=Kind.IMAGE, status=Status.PUBLISHED)
                for _ in range(start, min(args.n, start + 2000))
            ]
            await Asset.bulk_create(assets)
            versions = []
            for asset in assets:
                phash = f"{rng.getrandbits(64):016x}"
                versions.append(version_row(asset.id, phash))
            await AssetVersion.bulk_create(versions)
        print(f"{args.n:,} stored versions (seeded in {time.perf_counter() - started:.1f} s)")
        probes = []
        for _ in range(args.checks):
            probe = rng.getrandbits(64)
            planted = probe
            for bit in rng.sample(range(64), 5):
                planted ^= 1 << bit
            asset = await Asset.create(title="twin", kind=Kind.IMAGE, status=Status.PUBLISHED)
            text = f"{planted:016x}"
            await version_row(asset.id, text).save()
            probes.append((f"{probe:016x}", str(asset.id)))
        timings: dict[str, list[float]] = {"full scan (before)": [], "indexed quarters": []}
        agree = 0
        for probe, twin in probes:
            found = []
            for name, way in (("full scan (before)", scan), ("indexed quarters", indexed)):
                started = time.perf_counter()
                found.append(await way(probe))
                timings[name].append(time.perf_counter() - started)
            agree += found[0] == twin == found[1]
        print(f"{'check':24}{'p50 ms':>10}{'p95 ms':>10}")
        for name, values in timings.items():
            p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
            print(f"{name:24}{p50:10.1f}{p95:10.1f}")
        print(f"both found a near-duplicate in {agree} of {len(probes)} checks")
    await db.close_database(context)


if __name__ == "__main__":
    asyncio.run(main())
