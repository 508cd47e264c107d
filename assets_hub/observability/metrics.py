"""The service's Prometheus instruments, and multiprocess mode for several worker processes.

Counters and histograms live in process memory, or, once :func:`prepare_multiprocess` has run
in the parent before the workers start, in per-process files that any worker's ``/metrics``
adds up. Depends on prometheus_client only, so any module may import it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
    values,
)

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own switch, read at import
disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: twice the count

HTTP_REQUESTS = Counter(
    "assets_hub_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "assets_hub_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response body.",
    ["method", "route", "status"],
)
HTTP_IN_FLIGHT = Gauge(
    "assets_hub_http_requests_in_flight",
    "Requests being answered now.",
    multiprocess_mode="livesum",
)
RENDER_DURATION = Histogram(
    "assets_hub_render_duration_seconds",
    "Time to render one branded image (reading the source included).",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RENDITION_CACHE = Counter(
    "assets_hub_rendition_cache_total",
    "Rendition look-ups: hit (already stored) or miss (rendered, or joined a render under way).",
    ["result"],
)
BACKEND_ERRORS = Counter(
    "assets_hub_backend_errors_total",
    "Failures of a backend (storage, search, database) that a request or the indexer met.",
    ["backend"],
)
UPLOAD_BYTES = Counter(
    "assets_hub_upload_bytes_total",
    "Bytes of upload bodies received.",
)

_prepared: list[Path] = []  # the directory prepare_multiprocess made in this (parent) process

for _result in ("hit", "miss"):
    RENDITION_CACHE.labels(_result)
for _backend in ("storage", "search", "database"):
    BACKEND_ERRORS.labels(_backend)


def multiprocess_enabled() -> bool:
    """True when this process writes its metrics to the shared multiprocess directory."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def prepare_multiprocess(directory: str | Path) -> Path:
    """Call in the parent before starting several worker processes: empties ``directory`` (old
    workers' files would be counted again) and points prometheus_client there, through the
    environment the workers inherit. Their ``/metrics`` then reports every worker's sum."""
    path = Path(directory).resolve()
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_VARIABLE] = str(path)
    _prepared.append(path)
    return path


def mark_worker_dead(pid: int) -> None:
    """Call in the parent when a worker exits: its in-flight gauge stops counting (its counters
    stay, as Prometheus expects of counters)."""
    if _prepared:
        multiprocess.mark_process_dead(pid, str(_prepared[-1]))  # type: ignore[no-untyped-call]


def aggregate_registry() -> CollectorRegistry:
    """A registry that reads every worker's files (multiprocess mode only)."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
