"""Several processes on one var/: the running service, its workers, and every README command.

Each test starts the real service (``assets-hub serve``) as a subprocess on a free port, with
its own temporary var/ given through the settings' environment variables, and runs commands
as further subprocesses on the same var/, as an operator would beside the demo.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_jpeg

START_TIMEOUT_S = 60.0
PASSWORD = "a long enough password"
# The background jobs announce themselves once in the process holding the background lease.
BACKGROUND_LINE = "this process runs the background jobs"
PHASH_LINE = "background job phash-quarters done"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    """One `assets-hub serve` process (with its workers) and where its log goes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Var:
    """A temporary var/ and the environment naming it, shared by every process of a test."""

    root: Path
    env: dict[str, str]
    services: list[Service] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own command, no shell
            [sys.executable, "-m", "assets_hub", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        return done.stdout

    def serve(self, *args: str) -> Service:
        port = free_port()
        log = self.root / f"serve-{port}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(  # noqa: S603 - our own command, no shell
                [sys.executable, "-m", "assets_hub", "serve", "--port", str(port), *args],
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        service = Service(process, port, log)
        self.services.append(service)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited early:\n{service.output()}"
            try:
                if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                    return service
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not become ready:\n{service.output()}")

    def token(self, email: str) -> str:
        return self.ok("create-token", "--email", email).splitlines()[-1]


@pytest.fixture
def var(tmp_path: Path) -> Iterator[Var]:
    env = {
        **os.environ,
        "ASSETS_HUB_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
        "ASSETS_HUB_STORAGE_URL": f"file://{tmp_path / 'storage'}",
        "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp_path / 'search'}",
        "ASSETS_HUB_TMP_DIR": str(tmp_path / "tmp"),
        "ASSETS_HUB_BASE_URL": "https://assets.example.org",
        "ASSETS_HUB_SECRET_KEY": "processes-test-secret-key-0123456789abcdef",
        "ASSETS_HUB_INDEXER_INTERVAL_S": "0.2",
    }
    shared = Var(tmp_path, env)
    shared.ok("migrate")
    shared.ok(
        "create-user", "--email", "ed@example.org", "--role", "editor", "--password", PASSWORD
    )
    yield shared
    for service in shared.services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGINT)
    for service in shared.services:
        try:
            service.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()


def upload(base: str, token: str, title: str, colour: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/assets",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("poster.jpg", make_jpeg(colour=colour), "image/jpeg")},
        data={"title": title},
        timeout=30,
    )


def found(base: str, token: str, words: str) -> set[str]:
    answer = httpx.get(
        f"{base}/api/v1/assets",
        params={"q": words, "per_page": "100"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {hit["id"] for hit in answer.json()["hits"]}


def eventually(check: Callable[[], bool], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_every_operating_command_runs_beside_the_service(var: Var, tmp_path: Path) -> None:
    service = var.serve()
    # The README's "Operating it", in order, each beside the running service.
    var.ok("migrate")
    assert "search" in var.ok("check")
    assert var.ok("create-library", "--name", "Leeds Libraries", "--slug", "leeds").strip() == (
        "library created: leeds"
    )
    var.ok(
        "create-user", "--email", "m@leeds.example.org", "--role", "library_member",
        "--library", "leeds",
    )  # fmt: skip
    token = var.token("ed@example.org")
    mine = httpx.get(f"{service.url}/api/v1/assets", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200  # a token made by the CLI works on the running service

    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "lighthouse.jpg").write_bytes(make_jpeg(colour="#225588"))
    sheet = tmp_path / "meta.csv"
    sheet.write_text("filename,title\nlighthouse.jpg,Lighthouse storytime poster\n")
    assert "imported 1," in var.ok("import", str(folder), "--metadata", str(sheet))
    # Queued by the CLI, applied by the service's writer, found through the service.
    assert eventually(lambda: len(found(service.url, token, "lighthouse")) == 1, 5)

    libraries = tmp_path / "libraries.csv"
    libraries.write_text(
        "Local authority,Library name,Address 1,Postcode\nKent,Margate Library,High St,CT9 1AA\n"
    )
    assert "profiles created 1" in var.ok("import-libraries", str(libraries))
    assert var.ok("reindex").strip().startswith("search index rebuilt: 1 asset(s)")
    assert len(found(service.url, token, "lighthouse")) == 1  # the service swapped it in
    assert var.ok("reconcile").strip() == "missing 0, stale 0, extra 0: nothing to repair"
    # Drift (the index lost a document) is queued for the service's writer and repaired.
    shutil.rmtree(var.root / "search")  # as if the index directory were lost...
    assert "repairs queued for the running service" in var.ok("reconcile")
    assert eventually(lambda: len(found(service.url, token, "lighthouse")) == 1, 5)
    assert var.ok("gc").startswith("purged 0 asset(s)")
    assert " 0 difference(s), 0 not repaired" in var.ok("verify")
    # Drift again: verify --repair leaves the index repairs to the service's writer.
    shutil.rmtree(var.root / "search")
    repaired = var.ok("verify", "--repair")
    assert "[queued for the running service's search writer]" in repaired, repaired
    assert eventually(lambda: len(found(service.url, token, "lighthouse")) == 1, 5)

    # Nothing the commands did left the service unable to write: an upload is found at once.
    made = upload(service.url, token, "Harbour festival flyer", "#884422")
    assert made.status_code == 201, made.text
    assert found(service.url, token, "harbour") == {made.json()["id"]}
    assert "LockBusy" not in service.output() and "Traceback" not in service.output()


def test_a_second_serve_on_the_same_port_says_so_in_one_line(var: Var) -> None:
    service = var.serve()
    second = var.run("serve", "--port", str(service.port), timeout=60)
    assert second.returncode == 2
    # (pikepdf's start-up line may come before it: issue #14 removes it elsewhere.)
    assert second.stderr.strip().splitlines()[-1] == (
        f"assets-hub: cannot listen on 127.0.0.1:{service.port}: the address is in use (is "
        "another `assets-hub serve` running? choose another --port)"
    )
    assert "Traceback" not in second.stderr
    assert httpx.get(f"{service.url}/healthz").status_code == 200  # the first one carries on


def test_a_reindex_while_the_service_and_the_cli_write_loses_no_change(
    var: Var, tmp_path: Path
) -> None:
    service = var.serve()
    token = var.token("ed@example.org")
    first = upload(service.url, token, "Rebuild poster first", "#010203")
    assert first.status_code == 201  # the service now holds the writer: the swap is its
    folder = tmp_path / "incoming"
    folder.mkdir()
    for n in range(3):
        (folder / f"cli-{n}.jpg").write_bytes(make_jpeg(colour=f"#{n * 60:02x}9900"))
    sheet = tmp_path / "meta.csv"
    sheet.write_text(
        "filename,title\n" + "".join(f"cli-{n}.jpg,Rebuild poster cli\n" for n in range(3))
    )
    with ThreadPoolExecutor(4) as pool:
        reindex = pool.submit(var.run, "reindex")
        imported = pool.submit(var.run, "import", str(folder), "--metadata", str(sheet))
        made = [
            pool.submit(upload, service.url, token, f"Rebuild poster {n}", f"#{n:02x}4466")
            for n in range(12)
        ]
        ids = {first.json()["id"]}
        for future in made:
            answer = future.result()
            assert answer.status_code == 201, answer.text
            ids.add(answer.json()["id"])
        done, cli = reindex.result(), imported.result()
    assert done.returncode == 0, done.stdout + done.stderr
    assert cli.returncode == 0 and "imported 3," in cli.stdout, cli.stdout + cli.stderr
    # Every change made during the rebuild is in the swapped-in index, or comes back to it
    # through the outbox within a moment.
    assert eventually(lambda: len(found(service.url, token, "rebuild poster")) == 16, 5)
    assert ids <= found(service.url, token, "rebuild poster")
    assert "Traceback" not in service.output()


def test_a_second_reindex_at_once_is_refused_in_one_line(var: Var) -> None:
    service = var.serve()
    token = var.token("ed@example.org")
    assert upload(service.url, token, "Only poster", "#abcdef").status_code == 201
    # Another reindex holds the rebuild lock (as a running one does, until its swap).
    with (var.root / "search" / "rebuild.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        refused = var.run("reindex")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        "assets-hub: a rebuild of this search index is already running in another process; "
        "nothing changed"
    )
    assert "search index rebuilt: 1 asset(s)" in var.ok("reindex")  # once the other is done


def _count(service: Service, text: str) -> int:
    return service.output().count(text)


def test_two_processes_share_the_index_and_the_background_runs_once(var: Var) -> None:
    first = var.serve()
    second = var.serve()
    token = var.token("ed@example.org")

    # A change through either is searchable through the other within 2 s.
    for writer, reader, colour in ((first, second, "#113355"), (second, first, "#553311")):
        made = upload(writer.url, token, f"Crossing poster {colour}", colour)
        assert made.status_code == 201, made.text
        asset, there = made.json()["id"], reader.url
        assert eventually(lambda: asset in found(there, token, "crossing"), 2)  # noqa: B023
        # Whichever of them answered, the upload was searchable when the answer came.
        assert asset in found(writer.url, token, "crossing")

    # Concurrent writes through both succeed (SQLite waits its turn: never "database is locked").
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda n: upload(
                    (first, second)[n % 2].url, token, f"Burst flyer {n}", f"#{n:02x}8844"
                ),
                range(16),
            )
        )
    assert [a.status_code for a in answers] == [201] * 16, [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert eventually(lambda: found(first.url, token, "burst") == ids, 2)
    assert eventually(lambda: found(second.url, token, "burst") == ids, 2)

    # The background jobs ran once in the deployment, not once per process.
    assert eventually(lambda: _count(first, PHASH_LINE) + _count(second, PHASH_LINE) == 1, 5)
    assert _count(first, BACKGROUND_LINE) + _count(second, BACKGROUND_LINE) == 1
    for service in (first, second):
        assert "database is locked" not in service.output()
        assert "Traceback" not in service.output()

    # The holder dies without letting go: the other takes the leases over within seconds.
    holder, other = (first, second) if _count(first, BACKGROUND_LINE) else (second, first)
    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait()
    assert eventually(lambda: _count(other, BACKGROUND_LINE) == 1, 20), other.output()
    made = upload(other.url, token, "Survivor poster", "#777777")
    assert made.status_code == 201
    assert eventually(lambda: made.json()["id"] in found(other.url, token, "survivor"), 15)


def test_serve_with_two_workers(var: Var) -> None:
    service = var.serve("--workers", "2")
    token = var.token("ed@example.org")
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda n: upload(service.url, token, f"Worker flyer {n}", f"#{n:02x}2299"),
                range(12),
            )
        )
    assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    # Whichever worker answers each search (several per worker, likely), all are there.
    assert eventually(lambda: all(found(service.url, token, "worker") == ids for _ in range(8)), 2)
    output = service.output()
    workers = set(re.findall(r"Started server process \[(\d+)\]", output))
    assert len(workers) == 2, output
    assert eventually(lambda: _count(service, PHASH_LINE) == 1, 5), output
    assert _count(service, BACKGROUND_LINE) == 1
    assert "memory" in output and "--workers 2" in output  # the throttle's warning
    assert "database is locked" not in output and "Traceback" not in output


def test_sqlite_waits_for_another_process_instead_of_failing(var: Var) -> None:
    service = var.serve()
    token = var.token("ed@example.org")
    # Another process holds the write lock for a moment (F12): the upload waits, then works.
    lock = sqlite3.connect(var.root / "db.sqlite3", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(upload, service.url, token, "Patient poster", "#123456")
        time.sleep(1.5)
        lock.execute("COMMIT")
        answer = pending.result()
    lock.close()
    assert answer.status_code == 201, answer.text
