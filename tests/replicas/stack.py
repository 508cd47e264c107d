"""Two `assets-hub serve` processes behind Debian's nginx, sharing PostgreSQL, SeaweedFS's S3
and Redis: the deployment deploy/README.md describes, on loopback, for tests/replicas/."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 30.0

# deploy/README.md shows this file (the test writes it with real ports): round robin over the
# replicas, no stickiness, the client's address passed on, uploads streamed to the app.
NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    upstream assets_hub {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 110m;  # above ASSETS_HUB_MAX_PDF_UPLOAD_MB: the app says why
        location / {{
            proxy_pass http://assets_hub;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;  # uploads reach the app as they arrive
            proxy_buffering off;  # and downloads leave it so
            add_header X-Upstream $upstream_addr always;  # which replica answered
        }}
    }}
}}
"""


def cli() -> list[str]:
    """The `assets-hub` command of this virtualenv."""
    beside = Path(sys.executable).parent / "assets-hub"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "assets_hub"]


def find_nginx() -> str | None:
    """Debian's nginx (`make replica-deps` installs nginx-light), or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None
    )


def run_cli(env: Mapping[str, str], *args: str) -> str:
    """One `assets-hub` command to completion; its standard output."""
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*cli(), *args], env=dict(env), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"assets-hub {args[0]} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited at start:\n{log.read_text()[-3000:]}")
        assert time.monotonic() < deadline, f"{url} did not answer /healthz in time"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def processes(
    envs: list[dict[str, str]], ports: list[int], logs: Path, command: str = "serve"
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One `assets-hub serve` per (env, port), all started before any is waited for."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for index, (env, port) in enumerate(zip(envs, ports, strict=True)):
            with (logs / f"{command}-{index}.log").open("wb") as log:
                started.append(
                    subprocess.Popen(  # noqa: S603 - our own CLI
                        [*cli(), command, "--host", "127.0.0.1", "--port", str(port)],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        for index, (process, port) in enumerate(zip(started, ports, strict=True)):
            _wait_healthy(f"http://127.0.0.1:{port}", process, logs / f"{command}-{index}.log")
        yield started
    finally:
        for process in started:
            _stop(process)


def nginx_config(directory: Path, port: int, upstreams: list[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    return NGINX_CONF.format(dir=directory, port=port, servers=servers)


@contextlib.contextmanager
def nginx(binary: str, directory: Path, port: int, upstreams: list[int]) -> Iterator[str]:
    """nginx in the foreground on ``port``, balancing over ``upstreams``; its URL."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(nginx_config(directory, port, upstreams))
    command = [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    check = subprocess.run(  # noqa: S603 - fixed argument list
        [*command, "-t"], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stderr
    with (directory / "stderr.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list
            [*command, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, (directory / "stderr.log").read_text()
            assert time.monotonic() < deadline, "nginx did not answer in time"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        _stop(process)


@dataclass(frozen=True)
class Stack:
    """The running deployment: nginx's URL, each replica's URL, and who can sign in."""

    balancer: str
    replicas: tuple[str, str]
    email: str
    password: str
    token: str
    target: str  # the throttling test's own account (same password)
    env: dict[str, str]
    logs: Path


@contextlib.contextmanager
def worker(env: Mapping[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`assets-hub worker` beside the replicas (same settings) until the block ends."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*cli(), "worker"], env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        time.sleep(1.0)
        assert process.poll() is None, f"the worker exited:\n{log_path.read_text()[-3000:]}"
        yield process
    finally:
        _stop(process)
