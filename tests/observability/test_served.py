"""`assets-hub serve` as a real process: its log stream (no secret path, no uvicorn access
line) and /metrics adding up several processes in multiprocess mode."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assets_hub.observability import metrics
from tests.observability.test_metrics import parse, value
from tests.servers import free_ports

STARTUP_TIMEOUT_S = 30.0


def _cli() -> list[str]:
    beside = Path(sys.executable).parent / "assets-hub"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "assets_hub"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated data directory of the test's own, in the environment `serve` reads."""
    values = {k: v for k, v in os.environ.items() if not k.startswith("ASSETS_HUB_")}
    values.update(
        {
            "ASSETS_HUB_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
            "ASSETS_HUB_STORAGE_URL": f"file://{tmp_path / 'storage'}",
            "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp_path / 'search'}",
            "ASSETS_HUB_TMP_DIR": str(tmp_path / "tmp"),
        }
    )
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*_cli(), "migrate"], env=values, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return values


def test_a_cli_command_does_not_print_pikepdfs_start_up_line(env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own CLI; this command loads pikepdf
        [*_cli(), "create-library", "--name", "Leeds Libraries"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "library created: leeds-libraries", done.stderr
    assert "pikepdf" not in done.stderr


@contextlib.contextmanager
def served(env: dict[str, str], logs: Path) -> Iterator[str]:
    """`assets-hub serve` on a free loopback port; stdout and stderr kept in ``logs``."""
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, (logs / "stderr").read_text()[-3000:]
            assert time.monotonic() < deadline, "serve did not answer in time"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_served_log_is_json_lines_by_route_template_with_no_secret_in_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    secret = secrets.token_urlsafe(24)
    with served(env, tmp_path) as url, httpx.Client(base_url=url) as http:
        assert http.get("/healthz", headers={"X-Request-ID": "probe-1"}).status_code == 200
        for path in (
            f"/feeds/ahf_{secret}/libraries-week.atom?t={secret}",
            f"/r/{secret}.{secret}",
            f"/invitation/{secret}",
            f"/reset-password/{secret}",
            f"/no/such/{secret}",
        ):
            assert http.get(path).status_code == 404, path
    stdout = (tmp_path / "stdout").read_text()
    stderr = (tmp_path / "stderr").read_text()
    assert secret not in stdout and secret not in stderr
    assert "logger bridge initialized" not in stdout + stderr
    assert "HTTP/1.1" not in stdout + stderr  # uvicorn's access line: the raw request line
    lines = [json.loads(line) for line in stdout.splitlines()]
    access = [line for line in lines if line["logger"] == "assets_hub.request"]
    assert {(line["route"], line["status"]) for line in access} >= {
        ("/healthz", 200),
        ("/feeds/{token}/{name}", 404),
        ("/r/{token}", 404),
        ("/invitation/{token}", 404),
        ("/reset-password/{token}", 404),
        ("(unmatched)", 404),
    }
    assert any(line.get("request_id") == "probe-1" for line in access)
    assert any("Uvicorn running" in line["message"] for line in lines)  # uvicorn's own, as JSON


def _record_elsewhere(requests: int) -> int:
    """Another process records ``requests`` requests and one it never finished; its pid."""
    script = (
        "import os; from assets_hub.observability import metrics as m; "
        f"m.HTTP_REQUESTS.labels('GET', '/elsewhere', '200').inc({requests}); "
        "m.HTTP_IN_FLIGHT.inc(); print(os.getpid())"
    )
    done = subprocess.run(  # noqa: S603 - the test's own interpreter
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout.strip())


def test_metrics_add_up_every_process_in_multiprocess_mode(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_VARIABLE, "")  # put back as it was afterwards
    monkeypatch.setattr(metrics, "_prepared", [])
    directory = metrics.prepare_multiprocess(tmp_path / "metrics")
    (directory / "gauge_livesum_999999.db").write_bytes(b"left by a worker of the last run")
    metrics.prepare_multiprocess(directory)  # a new start empties it
    assert list(directory.iterdir()) == []
    pids = [_record_elsewhere(3), _record_elsewhere(4)]
    env = {**env, metrics.MULTIPROC_VARIABLE: str(directory)}
    with served(env, tmp_path) as url, httpx.Client(base_url=url) as http:
        http.get("/healthz")
        first = parse(http.get("/metrics").text)
        for pid in pids:
            metrics.mark_worker_dead(pid)
        second = parse(http.get("/metrics").text)
    elsewhere = {"method": "GET", "route": "/elsewhere", "status": "200"}
    assert value(first, "assets_hub_http_requests_total", **elsewhere) == 7
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(first, "assets_hub_http_requests_total", **healthz) >= 2  # ours and the probe
    # Two dead processes' unfinished requests, and this scrape; then this scrape only.
    assert value(first, "assets_hub_http_requests_in_flight") == 3
    assert value(second, "assets_hub_http_requests_in_flight") == 1
    assert value(second, "assets_hub_http_requests_total", **elsewhere) == 7  # counters stay
