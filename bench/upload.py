"""Upload benchmark: memory and throughput of a large PDF through the API to S3 on SeaweedFS.

    .venv/bin/python bench/upload.py                  # a 1 GiB PDF
    .venv/bin/python bench/upload.py --size-mb 200
    .venv/bin/python bench/upload.py --py-spy /tmp/upload.speedscope.json

Starts SeaweedFS the way the test suite does (tests/servers.py), then the real app with uvicorn
in a subprocess on loopback (S3 storage in a fresh bucket of that SeaweedFS, SQLite and the
embedded search engine in a temporary directory, ASSETS_HUB_MAX_PDF_UPLOAD_MB=2048), migrated
first, with an editor's API token made by ``assets-hub create-token``.

It writes a valid PDF of about ``--size-mb`` MiB cheaply (a few text pages, then pages each
showing a 16 MiB greyscale image of random pixels in stored, i.e. uncompressed, Flate blocks),
uploads it once with plain boto3 ``upload_fileobj`` to the same SeaweedFS as the baseline, then
once through ``POST /api/v1/assets`` as a streamed multipart body, and prints both side by side:

* throughput: file size / wall-clock time of the whole request (the API also checks the PDF,
  extracts its text, renders the preview and stores a metadata-free copy next to the original);
* memory: the server's resident set (VmRSS) when idle, at start and after a 16 MiB warm-up
  upload (which loads pdfium and warms the pools), and its peak while the large file is
  uploaded (VmHWM, reset through /proc/PID/clear_refs before the upload, checked against VmRSS
  polled every 20 ms).

Goals (issue 4): peak RSS less than 100 MB above idle (judged against the idle RSS at start,
the stricter of the two); throughput at least 70% of boto3's. PDFs this large store only the
original at upload (the metadata-free copy for library members is made on first download), so
both sides write one object of the same size. Every temporary file (the PDF,
SeaweedFS's data, the database, spooled uploads) is removed at the end. Other work on the
machine skews the timings: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from boto3.s3.transfer import TransferConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

MIB = 1024 * 1024
MB = 1_000_000
IMAGE_SIDE = 4096  # each image page holds 4096 x 4096 grey pixels: 16 MiB of stream data
TEXT_PAGES = 3
SEND_CHUNK = MIB
RSS_GOAL_MB = 100
THROUGHPUT_GOAL = 0.70
BIN = Path(sys.executable).parent
BASELINE_KEY = "baseline/boto3.pdf"


# --- a large, valid PDF, written as a stream ------------------------------------------------


def write_pdf(path: Path, size: int) -> int:
    """Write a PDF of about ``size`` bytes to ``path``; its page count.

    Hand-written so that generating 1 GiB takes seconds and no memory: objects are streamed
    out one by one with a correct cross-reference table. The document information dictionary
    carries an author and producer, so the server's metadata stripping has work to do.
    """
    raw = IMAGE_SIDE * IMAGE_SIDE
    images = max(1, round(size / (raw + raw // 65_535 * 5 + 400)))
    pages = TEXT_PAGES + images
    pool = random.Random(4).randbytes(8 * MIB)
    offsets: dict[int, int] = {}
    with open(path, "wb") as out:

        def start(number: int) -> None:
            offsets[number] = out.tell()
            out.write(b"%d 0 obj\n" % number)

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        # 1 catalog, 2 page tree, 3 font, 4 info; page n uses objects 5+4n .. 8+4n.
        first = 5
        kids = b" ".join(b"%d 0 R" % (first + 4 * n) for n in range(pages))
        start(1)
        out.write(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
        start(2)
        out.write(b"<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n" % (pages, kids))
        start(3)
        out.write(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n")
        start(4)
        out.write(b"<< /Author (Bench Author) /Producer (bench/upload.py) >>\nendobj\n")
        for n in range(pages):
            page, contents, image, length = range(first + 4 * n, first + 4 * n + 4)
            if n < TEXT_PAGES:
                text = b"BT /F1 18 Tf 72 760 Td (Library campaign fact sheet, page %d) Tj ET" % (
                    n + 1
                )
                resources = b"/Font << /F1 3 0 R >>"
            else:
                text = b"q 500 0 0 500 47 171 cm /Im0 Do Q"
                resources = b"/XObject << /Im0 %d 0 R >>" % image
            start(page)
            out.write(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << %s >> "
                b"/Contents %d 0 R >>\nendobj\n" % (resources, contents)
            )
            start(contents)
            out.write(b"<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(text), text))
            if n < TEXT_PAGES:
                continue
            start(image)
            out.write(
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d 0 R >>\nstream\n"
                % (IMAGE_SIDE, IMAGE_SIDE, length)
            )
            # Level 0: stored blocks, so the data stays as incompressible as the pixels.
            deflate = zlib.compressobj(0)
            written = 0
            for offset in range(0, raw, MIB):
                at = (offset + n * 7919) % (len(pool) - MIB)
                written += out.write(deflate.compress(pool[at : at + MIB]))
            written += out.write(deflate.flush())
            out.write(b"\nendstream\nendobj\n")
            start(length)
            out.write(b"%d\nendobj\n" % written)
        count = first + 4 * pages
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
        for number in range(1, count):
            found = offsets.get(number)
            out.write(b"0000000000 65535 f \n" if found is None else b"%010d 00000 n \n" % found)
        out.write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (count, xref)
        )
    return pages


# --- SeaweedFS, reusing the test suite's fixture ---------------------------------------------


class _TmpPathFactory:
    """The one method of pytest's TempPathFactory the SeaweedFS fixture uses."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.base))


def start_seaweedfs(base: Path) -> contextlib.AbstractContextManager[servers.SeaweedFS]:
    """tests/servers.py's session fixture, run as a context manager (sets AWS_* meanwhile)."""
    fixture = servers.seaweedfs.__wrapped__  # type: ignore[attr-defined]
    return contextlib.contextmanager(fixture)(_TmpPathFactory(base))


# --- the app in a subprocess -------------------------------------------------------------------


@dataclass
class App:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    log: Path

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def app_environment(base: Path, weed: servers.SeaweedFS, bucket: str) -> dict[str, str]:
    env = dict(os.environ)  # AWS_* credentials of SeaweedFS come from the fixture
    env.update(
        ASSETS_HUB_DATABASE_URL=f"sqlite://{base / 'db.sqlite3'}",
        ASSETS_HUB_STORAGE_URL=(
            f"s3://{bucket}?endpoint_url={weed.endpoint_url}&region={servers.REGION}"
        ),
        ASSETS_HUB_SEARCH_URL=f"embedded://{base / 'search'}",
        ASSETS_HUB_TMP_DIR=str(base / "tmp"),
        ASSETS_HUB_MAX_PDF_UPLOAD_MB="2048",
        ASSETS_HUB_LOG_LEVEL="warning",
    )
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "assets-hub"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"assets-hub {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def start_app(base: Path, env: dict[str, str]) -> Iterator[App]:
    cli(env, "migrate")
    email = "bench.editor@example.org"
    cli(env, "create-user", "--email", email, "--role", "editor", "--password", secrets.token_hex())
    token = cli(env, "create-token", "--email", email, "--name", "bench").strip().splitlines()[-1]
    port = servers.free_ports(1)[0]
    log_path = base / "uvicorn.log"
    command = [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "--factory",
        "assets_hub.app:app_from_environment",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    app = App(process, f"http://127.0.0.1:{port}", token, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the app did not start:\n{app.tail()}")
            try:
                if httpx.get(f"{app.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- measuring -----------------------------------------------------------------------------


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile … of ``pid`` in KiB (all threads share them)."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                values[name] = int(rest.split()[0])
    return values


@dataclass
class RssSampler:
    """Polls VmRSS of a process every ``interval`` seconds in a thread; keeps the largest."""

    pid: int
    interval: float = 0.02
    peak_kib: int = 0
    peak_anon_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            values = status_kib(self.pid)
            self.peak_kib = max(self.peak_kib, values["VmRSS"])
            self.peak_anon_kib = max(self.peak_anon_kib, values.get("RssAnon", 0))
            time.sleep(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def idle_rss_kib(pid: int, settle_s: float = 1.0) -> int:
    """VmRSS once the process has been quiet for a moment (the median of a few samples)."""
    time.sleep(settle_s)
    samples = []
    for _ in range(10):
        samples.append(status_kib(pid)["VmRSS"])
        time.sleep(0.05)
    return sorted(samples)[len(samples) // 2]


def multipart_body(path: Path, boundary: str, title: str) -> tuple[Iterator[bytes], int]:
    """A streamed multipart/form-data body with a title field and the file; and its length."""
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        f"{title}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        yield head
        with open(path, "rb") as file:
            while chunk := file.read(SEND_CHUNK):
                yield chunk
        yield tail

    return chunks(), len(head) + size + len(tail)


def api_upload(app: App, path: Path, title: str) -> tuple[float, dict[str, object]]:
    """POST the file to /api/v1/assets as a streamed body; (seconds, response JSON)."""
    boundary = secrets.token_hex(16)
    body, length = multipart_body(path, boundary, title)
    headers = {
        "Authorization": f"Bearer {app.token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
    }
    with httpx.Client(timeout=httpx.Timeout(600.0)) as client:
        started = time.perf_counter()
        response = client.post(f"{app.url}/api/v1/assets", content=body, headers=headers)
        elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise SystemExit(f"upload failed: {response.status_code} {response.text}\n{app.tail()}")
    result: dict[str, object] = response.json()
    return elapsed, result


def boto3_upload(weed: servers.SeaweedFS, bucket: str, path: Path, key: str) -> float:
    """Plain boto3 upload_fileobj (its default transfer settings); seconds."""
    client = weed.client()
    try:
        with open(path, "rb") as file:
            started = time.perf_counter()
            client.upload_fileobj(file, bucket, key, Config=TransferConfig())
            return time.perf_counter() - started
    finally:
        client.close()


@contextlib.contextmanager
def py_spy(pid: int, output: str | None) -> Iterator[None]:
    """Optionally profile the server with py-spy (not a project dependency) meanwhile."""
    if output is None:
        yield
        return
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    command = [spy, "record", "--pid", str(pid), "--threads", "--idle", "--nonblocking"]
    command += ["--format", "speedscope", "--output", output]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(1)
    try:
        yield
    finally:
        process.send_signal(2)  # SIGINT: py-spy writes its output and exits
        process.wait(timeout=60)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="PDF size in MiB (1024)")
    parser.add_argument(
        "--tmp-dir", default=None, help="where the temporary files go (default: system temp)"
    )
    parser.add_argument("--py-spy", default=None, help="profile the server's upload to FILE")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="assets-hub-bench-", dir=args.tmp_dir))
    try:
        return run(base, args.size_mb, args.py_spy)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run(base: Path, size_mb: int, profile: str | None) -> int:
    pdf = base / "campaign-pack.pdf"
    started = time.perf_counter()
    pages = write_pdf(pdf, size_mb * MIB)
    size = pdf.stat().st_size
    print(
        f"PDF: {size / MIB:.0f} MiB, {pages} pages, written in {time.perf_counter() - started:.1f}s"
    )
    warm = base / "warm-up.pdf"
    write_pdf(warm, 16 * MIB)  # one image page: every code path of the big upload, once

    with start_seaweedfs(base) as weed:
        print(f"SeaweedFS: {weed.endpoint_url} (started in {weed.startup_s:.1f}s)")
        bucket = weed.new_bucket()
        env = app_environment(base, weed, bucket)
        with start_app(base, env) as app:
            pid = app.process.pid
            idle_cold = idle_rss_kib(pid)
            api_upload(app, warm, "Warm-up")  # loads pikepdf, pdfium, thread pools, clients
            idle = idle_rss_kib(pid)

            baseline_s = boto3_upload(weed, bucket, pdf, BASELINE_KEY)

            peak_reset = reset_peak(pid)
            with RssSampler(pid) as sampler, py_spy(pid, profile):
                api_s, body = api_upload(app, pdf, "Campaign pack")
            hwm = status_kib(pid)["VmHWM"] if peak_reset else sampler.peak_kib
            peak = max(hwm, sampler.peak_kib)
            after = idle_rss_kib(pid, settle_s=0.5)
            leftovers = list((base / "tmp").glob("*")) if (base / "tmp").exists() else []

        client = weed.client()
        try:
            listed = client.list_objects_v2(Bucket=bucket)
            stored = {item["Key"]: item["Size"] for item in listed.get("Contents", [])}
            etags = {item["Key"]: item["ETag"] for item in listed.get("Contents", [])}
        finally:
            client.close()

    boto3_mbs = size / baseline_s / MB
    api_mbs = size / api_s / MB
    ratio = api_mbs / boto3_mbs
    growth_mb = (peak - idle_cold) * 1024 / MB
    growth_warm_mb = (peak - idle) * 1024 / MB
    version = body.get("version")
    pages_seen = version.get("page_count") if isinstance(version, dict) else None
    body_sha = str(version.get("sha256")) if isinstance(version, dict) else ""
    print(f"asset {body['id']}: {pages_seen} pages")
    big = sorted((key, value) for key, value in stored.items() if value > MIB)
    for key, value in big:
        print(f"  stored {key}: {value / MIB:.0f} MiB")
    # Same 8 MiB parts, so the same multipart ETag means the same bytes.
    original = f"originals/{body_sha[:2]}/{body_sha}"
    same = etags.get(original) == etags.get(BASELINE_KEY)
    print(
        f"  the stored original has boto3's multipart ETag (same bytes): {'yes' if same else 'NO'}"
    )
    print()
    print(f"{'':32}{'seconds':>9}{'MB/s':>9}")
    print(f"{'boto3 upload_fileobj':32}{baseline_s:9.1f}{boto3_mbs:9.1f}")
    print(f"{'POST /api/v1/assets':32}{api_s:9.1f}{api_mbs:9.1f}")
    print(
        f"throughput: {ratio:.0%} of boto3 (goal ≥ {THROUGHPUT_GOAL:.0%}): "
        f"{verdict(ratio >= THROUGHPUT_GOAL)}"
    )
    print()
    print(f"server RSS idle at start:           {idle_cold / 1024:7.1f} MiB")
    print(f"server RSS idle after warm-up:      {idle / 1024:7.1f} MiB")
    print(
        f"server RSS peak during the upload:  {peak / 1024:7.1f} MiB "
        f"(VmHWM{'' if peak_reset else ' unavailable'}; polled VmRSS max "
        f"{sampler.peak_kib / 1024:.1f} MiB, of it anonymous {sampler.peak_anon_kib / 1024:.1f})"
    )
    print(f"server RSS idle after the upload:   {after / 1024:7.1f} MiB")
    print(
        f"peak growth over idle at start: {growth_mb:.1f} MB (goal < {RSS_GOAL_MB} MB): "
        f"{verdict(growth_mb < RSS_GOAL_MB)}; over idle after warm-up: {growth_warm_mb:.1f} MB"
    )
    print(f"spooled files left in tmp_dir: {len(leftovers)}")
    if profile:
        print(f"py-spy profile of the server: {profile}")
    ok = ratio >= THROUGHPUT_GOAL and growth_mb < RSS_GOAL_MB and not leftovers and same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
