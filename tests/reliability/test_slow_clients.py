"""F19 (fast variant): an upload that stalls is cut off with 408 and leaves no temp files,
while other requests keep being answered."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

from assets_hub import db
from assets_hub.models import Asset, Role
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state, make_jpeg

BOUNDARY = "slow-boundary"


async def test_stalled_upload_is_408_and_leaves_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(upload_idle_s=1)
    photo = make_jpeg((1600, 1200)) + os.urandom(2 * 1024 * 1024)
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="s.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    stalled = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield head + photo[: 1536 * 1024]  # past the in-memory spool: a temp file exists
        stalled.set()
        await asyncio.sleep(3)  # longer than upload_idle_s: the client has gone quiet
        yield photo[1536 * 1024 :] + f"\r\n--{BOUNDARY}--\r\n".encode()

    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        upload = asyncio.create_task(
            http.post(
                "/api/v1/assets",
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
        )
        await stalled.wait()
        other = await http.get("/api/v1/campaigns")  # others are served meanwhile
        assert other.status_code == 200
        cut = await upload
        assert cut.status_code == 408, cut.text
        assert "nothing arrived for 1 seconds" in cut.json()["error"]
        backends = http_state(http)
        assert [key async for key in backends.storage.list_keys("")] == []
        with db.activate(backends.database):
            assert await Asset.all().count() == 0
        tmp = settings.tmp_dir
        assert not os.path.isdir(tmp) or os.listdir(tmp) == []
