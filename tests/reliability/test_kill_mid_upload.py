"""F13 (a, c): the app process is killed with SIGKILL while an upload's body is streaming,
or while a branded rendition is being made.

The app runs as a real server process on loopback. The client sees a connection error, never
a 2xx; after a restart on the same database and storage the same upload succeeds exactly once,
and the auditor finds nothing half-written (I1-I6, I8): the spool is anonymous temp files
the kernel frees with the process, and nothing had reached storage or the database.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from assets_hub import db
from assets_hub.auth import tokens
from assets_hub.backends import open_backends
from assets_hub.models import Role
from assets_hub.services import accounts
from assets_hub.settings import Settings
from tests.conftest import make_jpeg
from tests.reliability.auditor import Ledger, audit

PORTS = range(8600, 8700)  # this suite's loopback range on the shared machine
BODY_MB = 40
BOUNDARY = "reliability-boundary"


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8600-8699")


def environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ASSETS_HUB_DATABASE_URL": settings.database_url,
        "ASSETS_HUB_STORAGE_URL": settings.storage_url,
        "ASSETS_HUB_SEARCH_URL": settings.search_url,
        "ASSETS_HUB_TMP_DIR": settings.tmp_dir,
        "ASSETS_HUB_LOG_LEVEL": "WARNING",
    }


@contextmanager
def server(settings: Settings, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "assets_hub", "serve", "--port", str(port)],
            env=environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def multipart_head() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()


def stream_and_kill(port: int, token: str, process: subprocess.Popen[bytes]) -> str:
    """Send 30% of a 40 MB upload, SIGKILL the server, and say what the client saw."""
    file_bytes = BODY_MB * 1024 * 1024
    head = multipart_head()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + file_bytes + len(tail)
    request = (
        f"POST /api/v1/assets HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    chunk = os.urandom(256 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request + head + b"\xff\xd8\xff\xe0" + chunk[4:])
        sent = len(chunk)
        while sent < 0.3 * file_bytes:
            sock.sendall(chunk)
            sent += len(chunk)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        try:
            answer = sock.recv(4096)
        except OSError as exc:
            return f"connection error: {exc}"
        return "connection closed" if not answer else answer.decode(errors="replace")


async def test_kill_during_the_body_then_restart_loses_nothing(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    context = await db.open_database(settings.database_url)
    with db.activate(context):
        editor = await accounts.create_user("editor@example.org", Role.EDITOR, None)
        token, _ = await tokens.create_token(editor, "kill test", None)
    await db.close_database(context)
    port = free_port()
    log = tmp_path / "server.log"
    with server(settings, port, log) as process:
        seen = await asyncio.to_thread(stream_and_kill, port, token, process)
    assert not seen.startswith("HTTP/1.1 2"), seen  # never acknowledged
    ledger = Ledger()
    ledger.refused += 1
    with server(settings, port, log):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            again = await http.post(
                "/api/v1/assets",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("big.jpg", make_jpeg((1200, 900)), "image/jpeg")},
            )
            ledger.record(again)
            assert again.status_code == 201, again.text
    async with open_backends(settings) as backends:
        with db.activate(backends.database):
            assert await audit(backends, ledger) == []


async def _render_started(port: int) -> None:
    """Wait until the server has counted a rendition cache miss (it renders next), read from
    /metrics, so the kill lands during the render however fast the machine is."""
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        while time.monotonic() < deadline:
            scraped = (await http.get("/metrics")).text
            if re.search(
                r'^assets_hub_rendition_cache_total\{result="miss"\} [1-9]', scraped, re.M
            ):
                return
            await asyncio.sleep(0.005)
    raise AssertionError("the render never started")


async def test_kill_during_a_render_then_restart_loses_nothing(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """F13 (c): SIGKILL while a branded rendition is being made: no half-written rendition
    (object or row) survives, and after a restart the same URL renders it once."""
    from tests.reliability.rigs import noisy_jpeg

    settings = make_settings()
    context = await db.open_database(settings.database_url)
    with db.activate(context):
        editor = await accounts.create_user("editor@example.org", Role.EDITOR, None)
        library = await accounts.create_library("Leeds", "leeds")
        admin = await accounts.create_user("admin@leeds.example", Role.LIBRARY_ADMIN, library)
        editor_token, _ = await tokens.create_token(editor, "kill test", None)
        admin_token, _ = await tokens.create_token(admin, "kill test", None)
    await db.close_database(context)
    port = free_port()
    log = tmp_path / "server.log"
    ledger = Ledger()
    with server(settings, port, log) as process:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            made = await http.post(
                "/api/v1/assets",
                headers={"Authorization": f"Bearer {editor_token}"},
                data={"alt_text": "Noise.", "licence": "cc0", "status": "published"},
                files={"file": ("big.jpg", noisy_jpeg(3000, 3000), "image/jpeg")},
            )
            ledger.record(made)
            assert made.status_code == 201, made.text
            auth = {"Authorization": f"Bearer {admin_token}"}
            profile = await http.post(
                "/api/v1/libraries/leeds/profiles",
                json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Library"},
                headers=auth,
            )
            assert profile.status_code == 201, profile.text
        url = f"http://127.0.0.1:{port}/api/v1/assets/{made.json()['id']}/render"
        params = {"preset": "instagram-square", "profile": str(profile.json()["id"])}
        rendering = asyncio.create_task(
            asyncio.to_thread(httpx.get, url, params=params, headers=auth, timeout=60)
        )
        await _render_started(port)  # a rendition cache miss: the render is under way
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        with pytest.raises(httpx.HTTPError):
            await rendering  # never an answer, let alone a 2xx
    with server(settings, port, log):
        again = await asyncio.to_thread(httpx.get, url, params=params, headers=auth, timeout=60)
        assert again.status_code == 200, again.text
    async with open_backends(settings) as backends:
        with db.activate(backends.database):
            assert await audit(backends, ledger) == []
            renditions = [k async for k in backends.storage.list_keys("renditions/")]
            assert len(renditions) == 1
