"""Gaps 3, 5 and 7: gc sweeps what crashed writers leave, and checks each orphan once.

* kill -9 of a process writing through the local backend leaves a partial file in
  ``storage/.tmp/``; gc removes it once it is older than the grace period.
* a multipart upload abandoned by a crash (of the app or of S3) is aborted by gc once it is
  older than the grace period; a fresh one may still be in flight and is kept.
* gc takes one snapshot of the referenced keys and checks only the orphan candidates again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assets_hub import db
from assets_hub.models import Role
from assets_hub.services import gc
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, authorise, http_state, make_jpeg
from tests.servers import SeaweedFS

# A writer that streams its stdin into the local storage backend, as an upload would.
WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from assets_hub.media.storage.local import LocalStorage

    async def main() -> None:
        storage = LocalStorage(sys.argv[1])
        await storage.put("originals/aa/partial", sys.stdin.buffer, content_type="image/jpeg")

    asyncio.run(main())
    """
)


def _tmp_files(root: Path) -> list[Path]:
    tmp = root / ".tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


async def test_gc_sweeps_what_a_killed_local_writer_left(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    root = tmp_path / "storage"
    writer = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WRITER, str(root)], stdin=subprocess.PIPE
    )
    assert writer.stdin is not None
    try:
        writer.stdin.write(os.urandom(3 * 1024 * 1024))
        writer.stdin.flush()
        deadline = time.monotonic() + 20
        while not any(p.stat().st_size >= 1024 * 1024 for p in _tmp_files(root)):
            assert time.monotonic() < deadline, "the writer never started writing"
            assert writer.poll() is None, "the writer exited early"
            time.sleep(0.05)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        writer.stdin.close()
    partial = _tmp_files(root)
    assert len(partial) == 1  # the debris the kill left: the bug's precondition
    async with app_client(make_settings(storage_url=f"file://{root}")) as http:
        backends = http_state(http)
        with db.activate(backends.database):
            kept = await gc.collect_garbage(backends)  # default grace: it may be a live write
            assert kept.swept_incomplete == 0 and _tmp_files(root) == partial
            report = await gc.collect_garbage(backends, grace=timedelta(0))
        assert report.swept_incomplete == 1
        assert _tmp_files(root) == []
        assert [key async for key in backends.storage.list_keys("")] == []


@pytest.mark.s3
async def test_gc_aborts_abandoned_multipart_uploads(
    make_settings: Callable[..., Settings], seaweedfs: SeaweedFS, s3_storage_url: str
) -> None:
    bucket = urlsplit(s3_storage_url).netloc
    s3 = seaweedfs.client()
    try:
        # What a crash between CreateMultipartUpload and Complete leaves: parts, no object.
        upload = s3.create_multipart_upload(Bucket=bucket, Key="originals/ab/crashed")
        s3.upload_part(
            Bucket=bucket,
            Key="originals/ab/crashed",
            UploadId=upload["UploadId"],
            PartNumber=1,
            Body=os.urandom(64 * 1024),
        )
        async with app_client(make_settings(storage_url=s3_storage_url)) as http:
            backends = http_state(http)
            with db.activate(backends.database):
                kept = await gc.collect_garbage(backends)  # within the grace: maybe in flight
                assert kept.swept_incomplete == 0
                assert len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1
                report = await gc.collect_garbage(backends, grace=timedelta(0))
            assert report.swept_incomplete == 1
            assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    finally:
        s3.close()


async def test_gc_reads_the_references_once_and_rechecks_only_candidates(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        for colour in ("#112233", "#445566", "#778899"):
            made = await http.post(
                "/api/v1/assets",
                data=PUBLISHABLE,
                files={"file": ("a.jpg", make_jpeg((400, 300), colour), "image/jpeg")},
            )
            assert made.status_code == 201, made.text
        backends = http_state(http)
        for n in range(5):
            await backends.storage.put_bytes(f"derived/zz/orphan-{n}", b"x", content_type="x/y")
        snapshots, checks = 0, []
        real_snapshot, real_check = gc.referenced_snapshot, gc.is_referenced

        async def counted_snapshot() -> gc.KeySnapshot:
            nonlocal snapshots
            snapshots += 1
            return await real_snapshot()

        async def counted_check(key: str) -> bool:
            checks.append(key)
            return await real_check(key)

        monkeypatch.setattr(gc, "referenced_snapshot", counted_snapshot)
        monkeypatch.setattr(gc, "is_referenced", counted_check)
        stored = [key async for key in backends.storage.list_keys("")]
        with db.activate(backends.database):
            report = await gc.collect_garbage(backends, grace=timedelta(0))
        assert report.deleted_objects == 5
        assert snapshots == 1  # not once per orphan
        assert sorted(checks) == [f"derived/zz/orphan-{n}" for n in range(5)]
        left = [key async for key in backends.storage.list_keys("")]
        assert sorted(left) == sorted(k for k in stored if "orphan" not in k)
        with db.activate(backends.database):
            for key in left:
                assert await real_check(key)  # every survivor is referenced by a row
