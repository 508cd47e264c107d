"""Campaign pack streaming benchmark: peak memory growth and throughput (issue 8, DL-09).

    .venv/bin/python bench/packs.py                        # 500 entries of ~1 MB
    .venv/bin/python bench/packs.py --entries 2048         # a 2 GiB pack
    .venv/bin/python bench/packs.py --verify               # also stream to a temp file and
                                                           # check every CRC with zipfile

Builds a campaign pack of ``--entries`` JPEG-like renditions (SOI/APP0 header, incompressible
body, EOI trailer; each entry different) produced on the fly by async iterators in 64 KiB
chunks, through ``build_campaign_pack`` + ``stream_pack``, and consumes the stream discarding
the bytes (or writing them to a temp file with ``--verify``). Prints the peak RSS growth
(VmHWM after minus before, from /proc/self/status; ru_maxrss as a cross-check) against the
100 MB target, the throughput, and that the byte count equals the plan's ``archive_size``.
This is a benchmark, not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

from assets_hub.social.packs import (
    ByteSource,
    PackFile,
    PackImage,
    PackLimits,
    PackPlan,
    PackPost,
    build_campaign_pack,
    stream_pack,
)

CHUNK = 64 * 1024
PRESETS = ("instagram-square", "instagram-portrait", "story", "x-post", "linkedin")
TARGET_MB = 100


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def jpeg_like(index: int, size: int, noise: bytes) -> ByteSource:
    """An async source of ``size`` bytes shaped like a JPEG; ``noise`` is shared, not copied."""
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    header += index.to_bytes(4, "big")
    body = size - len(header) - 2

    async def chunks() -> AsyncIterator[bytes]:
        yield header
        view = memoryview(noise)
        left = body
        offset = (index * 7919) % len(noise)
        while left:
            take = min(CHUNK, left, len(noise) - offset)
            yield bytes(view[offset : offset + take])
            left -= take
            offset = (offset + take) % len(noise)
            await asyncio.sleep(0)  # let the loop breathe, as a storage read would
        yield b"\xff\xd9"

    return chunks


def build(entries: int, size: int, noise: bytes) -> tuple[int, PackPlan]:
    images = [
        PackImage(
            f"Libraries Week {i:03d}: read more!",
            [PackFile(PRESETS[i % len(PRESETS)], "jpg", jpeg_like(i, size, noise), size)],
            alt_text=f"Poster {i} for Libraries Week",
            credit="Photo: Jane Doe, CC BY 4.0" if i % 3 == 0 else None,
        )
        for i in range(entries)
    ]
    posts = [
        PackPost(f"Post {i}", {"X": f"Pop in #{i}", "Bluesky": "📚"}, images[i : i + 1])
        for i in range(0, entries, 10)
    ]
    rest = [img for i, img in enumerate(images) if i % 10]
    limits = PackLimits(max_entries=entries + 10, max_total_bytes=entries * size + 10**7)
    plan = build_campaign_pack(
        "Libraries Week 2026", "Anytown Library", posts=posts, assets=rest, limits=limits
    )
    return len(plan.entries), plan


async def consume(plan: PackPlan, sink: Path | None) -> int:
    total = 0
    handle = sink.open("wb") if sink else None
    try:
        async for chunk in stream_pack(plan):
            total += len(chunk)
            if handle:
                handle.write(chunk)
    finally:
        if handle:
            handle.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes per entry")
    parser.add_argument("--verify", action="store_true", help="write to a temp file and check")
    args = parser.parse_args()

    noise = os.urandom(4 * 1024 * 1024)  # allocated before the baseline: not pack memory
    entry_count, plan = build(args.entries, args.size, noise)
    hwm_before = status_kb("VmHWM")
    rss_before = status_kb("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    sink = Path(tempfile.mkstemp(suffix=".zip")[1]) if args.verify else None
    started = time.perf_counter()
    produced = asyncio.run(consume(plan, sink))
    elapsed = time.perf_counter() - started

    hwm_after = status_kb("VmHWM")
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    growth_mb = (hwm_after - hwm_before) / 1024
    expected = plan.archive_size or 0
    print(f"entries           {entry_count} ({args.entries} renditions + 4 text files)")
    print(
        f"archive bytes     {produced:,} (plan.archive_size {expected:,}: "
        f"{'match' if produced == expected else 'MISMATCH'})"
    )
    print(f"elapsed           {elapsed:.2f} s")
    print(
        f"throughput        {produced / elapsed / 1e6:.0f} MB/s, "
        f"{args.entries / elapsed:.0f} renditions/s"
    )
    print(f"RSS before        {rss_before / 1024:.1f} MB (VmHWM {hwm_before / 1024:.1f} MB)")
    print(
        f"peak RSS growth   {growth_mb:.1f} MB (VmHWM), "
        f"{(maxrss_after - maxrss_before) / 1024:.1f} MB (ru_maxrss); "
        f"target < {TARGET_MB} MB: {'PASS' if growth_mb < TARGET_MB else 'FAIL'}"
    )
    if sink:
        try:
            with zipfile.ZipFile(sink) as archive:
                bad = archive.testzip()
                print(
                    f"verify            {len(archive.infolist())} entries, "
                    f"{'all CRCs OK' if bad is None else f'BAD {bad}'}"
                )
        finally:
            sink.unlink()


if __name__ == "__main__":
    main()
