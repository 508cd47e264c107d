"""Upload a real photo, find it by a word of its title, download it: local storage and S3."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import httpx
import pytest

from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state


@pytest.fixture(
    params=[
        "local+sqlite",
        pytest.param("s3+sqlite", marks=pytest.mark.s3),
        pytest.param("local+postgres", marks=pytest.mark.postgres),
    ]
)
def storage_settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> Settings:
    overrides: dict[str, str] = {}
    if request.param.startswith("s3"):
        overrides["storage_url"] = request.getfixturevalue("s3_storage_url")
    if request.param.endswith("postgres"):
        overrides["database_url"] = request.getfixturevalue("migrated_postgres_url")
    return make_settings(**overrides)


async def _download(http: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await http.get(url)
    if response.status_code == 302:
        # S3: a presigned URL on the storage origin, fetched like a browser would.
        async with httpx.AsyncClient() as outside:
            return await outside.get(response.headers["location"])
    return response


async def test_upload_find_download_round_trip(
    storage_settings: Settings, real_photo: bytes
) -> None:
    async with app_client(storage_settings) as http:
        await authorise(http, Role.EDITOR)
        created = await http.post(
            "/api/v1/campaigns", json={"slug": "libraries-week", "name": "Libraries Week 2026"}
        )
        assert created.status_code == 201, created.text
        response = await http.post(
            "/api/v1/assets",
            files={"file": ("bus.jpg", real_photo, "image/jpeg")},
            data={
                "title": "Mobile library bus in the village",
                "description": "A red bus",
                "tags": "Community, outdoors, community",
                "campaign": "libraries-week",
                "kind": "image",
            },
        )
        assert response.status_code == 201, response.text
        asset = response.json()
        assert response.headers["location"] == f"/api/v1/assets/{asset['id']}"
        assert asset["title"] == "Mobile library bus in the village"
        assert asset["tags"] == ["community", "outdoors"]
        assert asset["campaign"]["slug"] == "libraries-week"
        version = asset["version"]
        assert version["sha256"] == hashlib.sha256(real_photo).hexdigest()
        assert version["size"] == len(real_photo)
        assert version["media_type"] == "image/jpeg"
        assert version["width"] > 0 and version["height"] > 0

        # Findable right after the upload returned, by one word of the title.
        found = await http.get("/api/v1/assets", params={"q": "village"})
        assert found.status_code == 200
        body = found.json()
        assert body["total"] == 1
        assert [hit["id"] for hit in body["hits"]] == [asset["id"]]
        assert body["facets"]["kind"] == {"image": 1}
        assert body["facets"]["campaign"] == {"libraries-week": 1}

        downloaded = await _download(http, f"/api/v1/assets/{asset['id']}/download")
        assert downloaded.status_code == 200
        assert hashlib.sha256(downloaded.content).hexdigest() == version["sha256"]
        assert downloaded.headers["content-type"] == "image/jpeg"
        assert downloaded.headers["content-disposition"].startswith("attachment;")
        assert 'filename="bus.jpg"' in downloaded.headers["content-disposition"]

        page = await http.get(f"/assets/{asset['id']}")
        assert page.status_code == 200
        assert "Mobile library bus in the village" in page.text
        thumb = await http.get(f"/api/v1/assets/{asset['id']}/thumbnail")
        assert thumb.status_code == 200
        assert thumb.headers["content-type"] == "image/webp"


async def test_identical_bytes_are_stored_once(settings: Settings, real_photo: bytes) -> None:
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        first = await http.post(
            "/api/v1/assets", files={"file": ("a.jpg", real_photo, "image/jpeg")}
        )
        second = await http.post(
            "/api/v1/assets", files={"file": ("b.jpg", real_photo, "image/jpeg")}
        )
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] != second.json()["id"]
        storage = http_state(http).storage
        originals = [key async for key in storage.list_keys("originals/")]
        assert len(originals) == 1
        assert originals[0].endswith(first.json()["version"]["sha256"])


async def test_unknown_asset_is_404_json(client: httpx.AsyncClient) -> None:
    for path in (
        "/api/v1/assets/00000000-0000-0000-0000-000000000000",
        "/api/v1/assets/not-a-uuid",
        "/api/v1/assets/00000000-0000-0000-0000-000000000000/download",
    ):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "storage": "ok", "search": "ok"}
    assert ready.json()["search_outbox"]["pending"] == 0
