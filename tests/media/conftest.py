"""Fixtures for the media tests: ``storage`` runs each test against every storage backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from assets_hub.media.storage import Storage, open_storage
from assets_hub.media.storage.s3 import S3Storage

_WRITES = frozenset({"PutObject", "CompleteMultipartUpload", "CopyObject"})


def guard_s3_writes(backend: S3Storage) -> list[str]:
    """Record S3 writes; returns the list of keys written while they already existed (S3-01).

    A DeleteObject frees its key again, so delete-then-recreate is not counted.
    """
    live: set[str] = set()
    overwritten: list[str] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        path = params["url_path"].split("?")[0]
        if model.name in _WRITES:
            if path in live:
                overwritten.append(path)
            live.add(path)
        elif model.name == "DeleteObject":
            live.discard(path)

    backend.client.meta.events.register("before-call.s3", record)
    return overwritten


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, empty backend: a temp directory, or a new bucket on the session's SeaweedFS.

    The S3 branch asks for ``s3_storage_url`` lazily, so ``-m "not s3"`` never starts SeaweedFS.
    On S3 every test also checks that no existing key was written again (SECURITY S3-01).
    """
    if request.param == "s3":
        url = request.getfixturevalue("s3_storage_url")
    else:
        url = f"file://{tmp_path / 'storage'}"
    backend = open_storage(url)
    overwritten = guard_s3_writes(backend) if isinstance(backend, S3Storage) else []
    try:
        yield backend
    finally:
        await backend.aclose()
    assert overwritten == [], f"existing keys written again: {overwritten}"
