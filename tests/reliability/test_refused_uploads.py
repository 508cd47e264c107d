"""Gap 2: an upload refused for its metadata stores nothing, not even a file.

Everything that can be checked before the first byte is stored is checked first, so the
refusal costs no storage and leaves no orphans for gc to find later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assets_hub import db
from assets_hub.models import Asset, Role
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state, make_jpeg

PAST = (datetime.now(UTC) - timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"status": "published"}, "alt text is needed"),
        ({"status": "published", "alt_text": "A picture."}, "a licence is needed"),
        (
            {"status": "published", "alt_text": "A picture.", "licence": "cc0", "expires_at": PAST},
            "expiry date has passed",
        ),
    ],
    ids=["no-alt-text", "no-licence", "past-expiry"],
)
async def test_unpublishable_upload_stores_nothing(
    storage_settings: Settings, fields: dict[str, str], words: str
) -> None:
    async with app_client(storage_settings) as http:
        await authorise(http, Role.EDITOR)
        response = await http.post(
            "/api/v1/assets",
            data=fields,
            files={"file": ("photo.jpg", make_jpeg((800, 600)), "image/jpeg")},
        )
        assert response.status_code == 422, response.text
        assert words in response.json()["error"]
        backends = http_state(http)
        assert [key async for key in backends.storage.list_keys("")] == []
        with db.activate(backends.database):
            assert await Asset.all().count() == 0
