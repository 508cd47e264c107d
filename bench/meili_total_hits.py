"""What raising Meilisearch's maxTotalHits costs (issue 21, mismatch 8): the same documents in
two indexes that differ only in ``pagination.maxTotalHits`` (10,000, the old value, and the
adapter's MAX_TOTAL_HITS), the same query mix against both, interleaved A/B.

    ASSETS_HUB_TEST_MEILISEARCH_URL='meilisearch+http://127.0.0.1:7700?api_key=KEY' \\
        .venv/bin/python bench/meili_total_hits.py --n 100000

Needs a Meilisearch server (none runs in the development container, so no figures are
recorded in the docs yet). Prints p50/p95/p99 per index and how many queries had a total
above 10,000 (exact only on the raised index). The two indexes are deleted afterwards.

Expectation from the source (meilisearch/src/search/mod.rs, milli search/new/bucket_sort.rs):
totalHits is ``min(candidates.len(), maxTotalHits)``, the cardinality of a bitmap computed
for every search anyway; maxTotalHits otherwise bounds only how deep offset + limit may
reach (the adapter never asks past 10,000) and, with a rankingScoreThreshold (not used),
how many documents are ranked. So the two rows should agree within noise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import Timings, generate, query_mix, report

from assets_hub.search.meili import MeilisearchBackend, parse_meili_url
from assets_hub.search.meili_translate import MAX_TOTAL_HITS

OLD_MAX_TOTAL_HITS = 10_000


async def _index(url: str, max_total_hits: int) -> MeilisearchBackend:
    base, key, _ = parse_meili_url(url)
    backend = MeilisearchBackend(
        base, api_key=key, index_uid=f"bench_hits_{uuid.uuid4().hex[:8]}", timeout_s=30.0
    )
    backend.task_timeout_s = 3_600.0
    await backend.setup(wait=True)
    _, task = await backend._request(
        "PATCH",
        f"indexes/{backend.index_uid}/settings",
        {"pagination": {"maxTotalHits": max_total_hits}},
    )
    await backend._wait(task)
    return backend


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("ASSETS_HUB_TEST_MEILISEARCH_URL")
    if not url:
        sys.exit("set ASSETS_HUB_TEST_MEILISEARCH_URL to a Meilisearch server to run this")
    docs = generate(args.n)
    mix = query_mix(docs)
    old, raised = await _index(url, OLD_MAX_TOTAL_HITS), await _index(url, MAX_TOTAL_HITS)
    try:
        for backend in (old, raised):
            start = time.perf_counter()
            await backend.rebuild(docs)
            print(
                f"{backend.index_uid}: {args.n:,} documents in {time.perf_counter() - start:.1f} s"
            )
        timings = {OLD_MAX_TOTAL_HITS: Timings(), MAX_TOTAL_HITS: Timings()}
        over: dict[int, int] = {OLD_MAX_TOTAL_HITS: 0, MAX_TOTAL_HITS: 0}
        for item in mix[:50]:  # warm-up, not measured
            await old.search(item.query)
            await raised.search(item.query)
        for i, item in enumerate(mix):
            pair: list[tuple[int, MeilisearchBackend]] = [
                (OLD_MAX_TOTAL_HITS, old),
                (MAX_TOTAL_HITS, raised),
            ]
            for limit, backend in pair if i % 2 else pair[::-1]:  # alternate who goes first
                start = time.perf_counter()
                page: Any = await backend.search(item.query)
                timings[limit].add(item.kind, time.perf_counter() - start, bool(page.hits))
                over[limit] += page.total > OLD_MAX_TOTAL_HITS
        print(f"load average {os.getloadavg()}")
        report([(f"maxTotalHits {limit:,}", t) for limit, t in timings.items()])
        for limit, count in over.items():
            print(f"maxTotalHits {limit:,}: {count} of {len(mix)} totals above 10,000")
    finally:
        for backend in (old, raised):
            await backend.drop_index()
            await backend.aclose()


if __name__ == "__main__":
    asyncio.run(main())
