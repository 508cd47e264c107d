"""The S3 rig for fault scenarios: the app on a fresh bucket, reached through a fault proxy."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from assets_hub.backends import Backends
from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, authorise, http_state, make_user, token_for
from tests.reliability.faultproxy import FaultProxy
from tests.servers import REGION, SeaweedFS


def noisy_jpeg(width: int, height: int) -> bytes:
    """Random pixels: a JPEG about 1.1 bytes per pixel that no compression shrinks."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


@dataclass
class Rig:
    http: httpx.AsyncClient
    proxy: FaultProxy
    s3: Any  # a boto3 client straight to SeaweedFS, around the proxy
    bucket: str

    @property
    def backends(self) -> Backends:
        return http_state(self.http)

    def objects(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def multipart_uploads(self) -> list[Any]:
        found: list[Any] = self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return found


@pytest.fixture
def proxy(seaweedfs: SeaweedFS) -> Iterator[FaultProxy]:
    target = urlsplit(seaweedfs.endpoint_url)
    running = FaultProxy(target.hostname or "127.0.0.1", target.port or 80).start()
    yield running
    running.stop()


@pytest.fixture
async def rig(
    make_settings: Callable[..., Settings], seaweedfs: SeaweedFS, proxy: FaultProxy
) -> AsyncIterator[Rig]:
    bucket = seaweedfs.new_bucket()
    url = f"s3://{bucket}?endpoint_url={proxy.url}&region={REGION}"
    s3 = seaweedfs.client()
    try:
        async with app_client(make_settings(storage_url=url)) as http:
            await authorise(http, Role.EDITOR)
            yield Rig(http, proxy, s3, bucket)
    finally:
        s3.close()


async def upload(rig: Rig, photo: bytes) -> httpx.Response:
    return await rig.http.post(
        "/api/v1/assets",
        data=PUBLISHABLE,
        files={"file": ("photo.jpg", photo, "image/jpeg")},
    )


def assert_refused_cleanly(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert "storage service is temporarily unavailable" in response.json()["error"]
    assert "nothing was changed" in response.json()["error"]
    assert "Traceback" not in response.text


async def library_profile(rig: Rig) -> tuple[dict[str, str], int]:
    """A Leeds library admin's auth headers and a branding profile of theirs, for renders."""
    admin = await make_user(rig.http, Role.LIBRARY_ADMIN, library="leeds")
    auth = {"Authorization": f"Bearer {await token_for(rig.http, admin)}"}
    profile = await rig.http.post(
        "/api/v1/libraries/leeds/profiles",
        json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Library"},
        headers=auth,
    )
    assert profile.status_code == 201, profile.text
    return auth, int(profile.json()["id"])
