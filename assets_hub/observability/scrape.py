"""GET /metrics: Prometheus text, from this process or (multiprocess mode) every worker.

Queue depths are read from the database at scrape time, so any worker answers with the same
numbers and none has to keep a gauge up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from assets_hub.auth.policy import Policy, requires
from assets_hub.backends import Backends
from assets_hub.models import PackJob, PackStatus
from assets_hub.observability import metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queues:
    """Work waiting in the database when the scrape came."""

    outbox_rows: int
    outbox_oldest_age_s: float
    packs_queued: int
    packs_building: int


async def read_queues(backends: Backends) -> Queues:
    """The search outbox and the pack queue, as the database holds them now."""
    lag = await backends.indexer.lag()
    queued = await PackJob.filter(status=PackStatus.QUEUED).count()
    building = await PackJob.filter(status=PackStatus.BUILDING).count()
    return Queues(lag.pending, lag.oldest_age_s, queued, building)


class _QueueCollector(Collector):
    def __init__(self, queues: Queues) -> None:
        self.queues = queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        q = self.queues
        yield GaugeMetricFamily(
            "assets_hub_search_outbox_rows",
            "Asset changes not yet applied to the search index.",
            value=q.outbox_rows,
        )
        yield GaugeMetricFamily(
            "assets_hub_search_outbox_oldest_age_seconds",
            "Age of the oldest change waiting for the search index (0 when none waits).",
            value=q.outbox_oldest_age_s,
        )
        packs = GaugeMetricFamily(
            "assets_hub_pack_jobs", "Campaign packs waiting or being built.", labels=["status"]
        )
        packs.add_metric(["queued"], q.packs_queued)
        packs.add_metric(["building"], q.packs_building)
        yield packs


def exposition(queues: Queues | None) -> bytes:
    """The text a scrape gets: this process's (or every worker's) instruments, then queues."""
    source = metrics.aggregate_registry() if metrics.multiprocess_enabled() else REGISTRY
    text = generate_latest(source)
    if queues is not None:
        extra = CollectorRegistry()
        extra.register(_QueueCollector(queues))
        text += generate_latest(extra)
    return text


@requires(Policy.METRICS)
async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format; the queue gauges are left out while the database is down."""
    backends: Backends = request.state.backends
    try:
        queues: Queues | None = await read_queues(backends)
    except Exception as exc:  # noqa: BLE001 - a scrape still reports everything else
        metrics.BACKEND_ERRORS.labels("database").inc()
        log.warning("metrics: queue depths unavailable: %s", type(exc).__name__)
        queues = None
    return Response(exposition(queues), media_type=CONTENT_TYPE_LATEST)
