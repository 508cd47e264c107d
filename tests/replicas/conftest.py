"""The replica stack, started once for tests/replicas/: one PostgreSQL database, one SeaweedFS
bucket, Redis, two `assets-hub serve` processes and nginx in front of them."""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.replicas.stack import Stack, find_nginx, nginx, processes, run_cli
from tests.servers import REGION, SeaweedFS, free_ports

REDIS_URL = os.environ.get("ASSETS_HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _forget_counters(url: str, prefix: str) -> None:
    """Delete this run's throttle counters (one EVAL over a plain socket: a client library's
    pooled connection would outlive the test session)."""
    parts = urlsplit(url)
    script = "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end"
    args = ["EVAL", script, "0", f"{prefix}*"]
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection((parts.hostname or "", parts.port or 6379), timeout=5) as conn:
        conn.sendall(payload.encode())
        answer = conn.recv(1024)
    assert not answer.startswith(b"-"), answer  # a Redis error reply


@pytest.fixture(scope="session")
def stack(
    new_postgres_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Stack]:
    """The whole deployment on loopback, for every test of this folder."""
    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed (make replica-deps installs Debian's nginx-light)")
    if not _redis_answers(REDIS_URL):
        pytest.skip(f"no Redis at {REDIS_URL} (set ASSETS_HUB_TEST_REDIS_URL)")
    database = new_postgres_database()
    seaweedfs: SeaweedFS = request.getfixturevalue("seaweedfs")
    bucket = seaweedfs.new_bucket()
    base = tmp_path_factory.mktemp("replicas")
    balancer_port, *replica_ports = free_ports(3)
    balancer = f"http://127.0.0.1:{balancer_port}"
    prefix = f"assets-hub-test-{uuid.uuid4().hex[:12]}"
    rate_limit_url = f"async+{REDIS_URL}?key_prefix={prefix}"
    common = {k: v for k, v in os.environ.items() if not k.startswith("ASSETS_HUB_")}
    common.update(
        {
            "ASSETS_HUB_DATABASE_URL": database,
            "ASSETS_HUB_STORAGE_URL": (
                f"s3://{bucket}?endpoint_url={seaweedfs.endpoint_url}&region={REGION}"
            ),
            "ASSETS_HUB_RATE_LIMIT_URL": rate_limit_url,
            # Shared, or a link signed by one replica would not open on the other.
            "ASSETS_HUB_SECRET_KEY": secrets.token_hex(32),
            "ASSETS_HUB_BASE_URL": balancer,
            "ASSETS_HUB_LOG_LEVEL": "warning",
            "ASSETS_HUB_PACK_SYNC_MAX_RENDITIONS": "1",  # two images make a background pack
        }
    )

    def replica_env(index: int) -> dict[str, str]:
        search = base / "search"  # one index: one writer (a lease), every process reads
        return {
            **common,
            "ASSETS_HUB_SEARCH_URL": f"embedded://{search}",
            "ASSETS_HUB_TMP_DIR": str(base / f"tmp-{index}"),
            "ASSETS_HUB_METRICS_DIR": str(base / f"metrics-{index}"),
        }

    email = f"admin.{uuid.uuid4().hex[:8]}@example.org"
    password = secrets.token_urlsafe(16)
    setup = replica_env(0)
    run_cli(setup, "migrate")
    # An admin: editors' and library admins' rights both (campaigns, libraries, profiles).
    run_cli(setup, "create-user", "--email", email, "--role", "admin", "--password", password)
    token = run_cli(setup, "create-token", "--email", email).strip().splitlines()[-1]
    # Before serving: a CLI command opens the search index, which a replica then holds.
    target = f"target.{uuid.uuid4().hex[:8]}@example.org"
    run_cli(setup, "create-user", "--email", target, "--role", "editor", "--password", password)
    envs = [replica_env(0), replica_env(1)]
    try:
        with (
            processes(envs, replica_ports, base),
            nginx(binary, base / "nginx", balancer_port, replica_ports) as url,
        ):
            yield Stack(
                balancer=url,
                replicas=(
                    f"http://127.0.0.1:{replica_ports[0]}",
                    f"http://127.0.0.1:{replica_ports[1]}",
                ),
                email=email,
                password=password,
                token=token,
                target=target,
                env=envs[0],
                logs=base,
            )
    finally:
        _forget_counters(REDIS_URL, prefix)
