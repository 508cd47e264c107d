"""Garbage collection over a million stored keys: time and peak memory of the sweep as it is
now (one compact snapshot, an indexed re-check per orphan) beside the ways before it
(a benchmark, not a test).

The database holds --versions asset versions of five keys each (a million keys by default);
the storage lists those keys plus --orphans unreferenced ones. The storage is synthetic: it
makes each key from its number as it is listed, so its own memory does not count, as with S3's
paged listing. Every way runs in a fresh child process, so each peak RSS is its own.

* "before: re-read per orphan" is the old loop (every referenced key read again for each
  orphan candidate); quadratic, so it only runs on a small slice (--small).
* "set of keys" is the obvious fix (one snapshot as a Python set of strings), shown for memory.
* "now" is services.gc.collect_garbage itself.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assets_hub import db
from assets_hub.media.keys import derived_key, original_key
from assets_hub.media.storage import StoredObject
from assets_hub.models import Asset, AssetVersion, Kind, Status
from assets_hub.services import gc
from assets_hub.settings import Settings

DERIVED = ("thumb-400.webp", "preview-1200.webp", "master.jpg", "original-stripped.jpg")
OLD = datetime(2020, 1, 1, tzinfo=UTC)


def digest(n: int, kind: str = "v") -> str:
    return hashlib.sha256(f"{kind}{n}".encode()).hexdigest()


def version_keys(n: int) -> list[str]:
    sha = digest(n)
    return [original_key(sha)] + [derived_key(sha, name) for name in DERIVED]


class SyntheticStorage:
    """Lists the versions' keys and the orphans' keys, made on the fly; counts deletions."""

    name = "synthetic"

    def __init__(self, versions: int, orphans: int) -> None:
        self.versions, self.orphans, self.deleted = versions, orphans, 0

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        for n in range(self.versions):
            for key in version_keys(n):
                if key.startswith(prefix):
                    yield key
            if n % 1000 == 0:
                await asyncio.sleep(0)
        for n in range(self.orphans):
            key = original_key(digest(n, "orphan"))
            if key.startswith(prefix):
                yield key

    async def head(self, key: str) -> StoredObject:
        return StoredObject(key, 1, "image/jpeg", modified_at=OLD)

    async def delete(self, key: str) -> None:
        self.deleted += 1

    async def sweep_incomplete(self, before: datetime) -> int:
        return 0


@dataclass
class FakeBackends:
    settings: Settings
    storage: SyntheticStorage


async def old_referenced_keys() -> set[str]:
    """services.gc.referenced_keys before this change: every key, as a set of strings."""
    keys: set[str] = set()
    rows: list[tuple[Any, ...]] = await AssetVersion.all().values_list(*gc._KEY_COLUMNS)
    for row in rows:
        keys.update(str(k) for k in row if k)
    return keys


async def sweep_before(storage: SyntheticStorage) -> None:
    """The old loop: the whole reference set read again for every orphan candidate."""
    keep = await old_referenced_keys()
    for prefix in gc.PREFIXES:
        async for key in storage.list_keys(prefix):
            if key in keep:
                continue
            await storage.head(key)
            if key in await old_referenced_keys():
                continue
            await storage.delete(key)


async def sweep_set(storage: SyntheticStorage) -> None:
    """One snapshot as a set of strings, then the indexed per-key check."""
    keep = await old_referenced_keys()
    for prefix in gc.PREFIXES:
        async for key in storage.list_keys(prefix):
            if key not in keep and not await gc.is_referenced(key):
                await storage.delete(key)


async def child(way: str, database: str, versions: int, orphans: int) -> None:
    context = await db.open_database(database)
    storage = SyntheticStorage(versions, orphans)
    with db.activate(context):
        await Asset.first()  # connection opened: its memory is part of the base line
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if way == "before":
            await sweep_before(storage)
        elif way == "set":
            await sweep_set(storage)
        else:
            backends: Any = FakeBackends(Settings(database_url=database), storage)
            await gc.collect_garbage(backends, grace=timedelta(0))
        seconds = time.perf_counter() - started
    await db.close_database(context)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"s": seconds, "base_kib": base, "peak_kib": peak, "deleted": storage.deleted})
    )


async def seed(database: str, versions: int) -> None:
    await db.migrate(database)
    context = await db.open_database(database)
    with db.activate(context):
        asset = await Asset.create(title="x", kind=Kind.IMAGE, status=Status.PUBLISHED)
        for start in range(0, versions, 5000):
            rows = []
            for n in range(start, min(versions, start + 5000)):
                keys = version_keys(n)
                rows.append(
                    AssetVersion(
                        asset_id=asset.id,
                        number=n + 1,
                        storage_key=keys[0],
                        sha256=digest(n),
                        size=1000,
                        media_type="image/jpeg",
                        filename="x.jpg",
                        thumbnail_key=keys[1],
                        preview_key=keys[2],
                        master_key=keys[3],
                        stripped_key=keys[4],
                    )
                )
            await AssetVersion.bulk_create(rows)
    await db.close_database(context)


def run_child(way: str, database: str, versions: int, orphans: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", way, "--db", database]
    out = subprocess.run(
        [*command, "--versions", str(versions), "--orphans", str(orphans)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=200_000, help="5 keys each")
    parser.add_argument("--orphans", type=int, default=2_000)
    parser.add_argument("--small", type=int, default=10_000, help="versions for 'before'")
    parser.add_argument("--child", choices=("before", "set", "now"))
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.db, args.versions, args.orphans))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-gc-"))
    sizes = {"small": args.small, "large": args.versions}
    databases = {}
    for name, versions in sizes.items():
        database = f"sqlite://{tmp / f'{name}-{uuid.uuid4().hex[:6]}.sqlite3'}"
        started = time.perf_counter()
        asyncio.run(seed(database, versions))
        print(f"seeded {versions * 5:,} referenced keys in {time.perf_counter() - started:.1f} s")
        databases[name] = database
    small_orphans = max(1, args.orphans * args.small // args.versions)
    runs = [
        ("before: re-read per orphan", "before", "small", small_orphans),
        ("now", "now", "small", small_orphans),
        ("set of keys", "set", "large", args.orphans),
        ("now", "now", "large", args.orphans),
    ]
    print(f"{'way':28}{'stored keys':>12}{'orphans':>9}{'time s':>9}{'peak MiB':>10}{'+MiB':>7}")
    for label, way, size, orphans in runs:
        result = run_child(way, databases[size], sizes[size], orphans)
        assert result["deleted"] == orphans, result  # every way removes exactly the orphans
        stored = sizes[size] * 5 + orphans
        peak, grown = result["peak_kib"] / 1024, (result["peak_kib"] - result["base_kib"]) / 1024
        print(f"{label:28}{stored:>12,}{orphans:>9,}{result['s']:>9.1f}{peak:>10.0f}{grown:>7.0f}")


if __name__ == "__main__":
    main()
