"""Bad uploads get a 4xx JSON error a person understands, and leave nothing behind."""

from __future__ import annotations

import io
import os
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from PIL import Image

from assets_hub import db
from assets_hub.models import Asset, AssetVersion, Role, SearchOutbox
from assets_hub.settings import Settings
from tests.conftest import app_client, authorise, http_state, make_jpeg

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


async def assert_nothing_stored(http: httpx.AsyncClient) -> None:
    backends = http_state(http)
    with db.activate(backends.database):
        assert await Asset.all().count() == 0
        assert await AssetVersion.all().count() == 0
        assert await SearchOutbox.all().count() == 0
    assert [key async for key in backends.storage.list_keys("")] == []
    listing = await http.get("/api/v1/assets")
    assert listing.json()["total"] == 0
    tmp = backends.settings.tmp_dir
    assert not os.path.isdir(tmp) or os.listdir(tmp) == []


@pytest.fixture
async def http(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_settings(max_upload_mb=1)) as client:
        await authorise(client, Role.EDITOR)
        yield client


def _png_garbage() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(200)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "status", "words"),
    [
        ("empty.jpg", b"", "image/jpeg", 422, "empty"),
        ("image.jpg", HTML, "image/jpeg", 415, "JPEG, PNG, WebP or GIF"),
        ("image.png", HTML, "image/png", 415, "HTML"),
        ("broken.png", _png_garbage(), "image/png", 422, "not a readable PNG"),
        ("scan.tif", b"II*\x00" + b"\x00" * 100, "image/tiff", 415, "TIFF files are not accepted"),
        ("archive.jpg", b"PK\x03\x04" + b"\x00" * 100, "image/jpeg", 415, "ZIP"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "image/svg+xml",
            415,
            "SVG",
        ),
    ],
)
async def test_bad_file_is_refused_and_nothing_stored(
    http: httpx.AsyncClient, name: str, content: bytes, content_type: str, status: int, words: str
) -> None:
    response = await http.post("/api/v1/assets", files={"file": (name, content, content_type)})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert words in response.json()["error"]
    assert "Traceback" not in response.text
    await assert_nothing_stored(http)


async def test_file_over_the_limit_is_413_and_nothing_stored(http: httpx.AsyncClient) -> None:
    big = make_jpeg((64, 64)) + os.urandom(int(1.5 * 1024 * 1024))  # valid start, over 1 MiB
    response = await http.post("/api/v1/assets", files={"file": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413
    assert "1 MiB" in response.json()["error"]
    await assert_nothing_stored(http)


async def test_oversized_chunked_upload_is_cut_off(http: httpx.AsyncClient) -> None:
    """No Content-Length: the limit is enforced on bytes received, and reading stops there."""
    boundary = "xyzBOUNDARY"
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="huge.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        yield make_jpeg((32, 32))
        for _ in range(64):  # up to 16 MiB offered; the server must stop after ~1 MiB
            sent += 256 * 1024
            yield b"\x00" * (256 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await http.post(
        "/api/v1/assets",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert sent <= 3 * 1024 * 1024
    await assert_nothing_stored(http)


async def test_declared_content_length_over_limit_is_refused_unread(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/api/v1/assets",
        content=b"--b\r\n",
        headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(500 * 1024 * 1024),
        },
    )
    assert response.status_code == 413


async def test_not_multipart_is_415(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/assets", json={"title": "x"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["error"]


async def test_missing_file_field_is_422(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/v1/assets", data={"title": "no file"}, files={"other": ("a", b"x")}
    )
    assert response.status_code == 422
    assert "'file'" in response.json()["error"]
    await assert_nothing_stored(http)


async def test_truncated_jpeg_is_damaged(http: httpx.AsyncClient) -> None:
    image = Image.effect_noise((800, 600), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    truncated = out.getvalue()[: len(out.getvalue()) // 2]
    response = await http.post(
        "/api/v1/assets", files={"file": ("cut.jpg", truncated, "image/jpeg")}
    )
    assert response.status_code == 422
    assert "damaged" in response.json()["error"]
    await assert_nothing_stored(http)


async def test_pixel_flood_is_refused_from_the_header(http: httpx.AsyncClient) -> None:
    # 9000 x 9000 = 81 Mpx in a small file: refused before a pixel buffer exists.
    image = Image.new("1", (9000, 9000))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 1024 * 1024
    response = await http.post(
        "/api/v1/assets", files={"file": ("flood.png", out.getvalue(), "image/png")}
    )
    assert response.status_code == 422
    assert "megapixels" in response.json()["error"]
    await assert_nothing_stored(http)


async def test_invalid_metadata_names_the_field(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/v1/assets",
        files={"file": ("a.jpg", make_jpeg(), "image/jpeg")},
        data={"title": "x" * 201, "kind": "video", "campaign": "nope"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert "title: at most 200 characters" in error
    assert "kind: 'video' is not one of" in error
    await assert_nothing_stored(http)


async def test_unknown_campaign_is_422(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/v1/assets",
        files={"file": ("a.jpg", make_jpeg(), "image/jpeg")},
        data={"campaign": "no-such-campaign"},
    )
    assert response.status_code == 422
    assert "no-such-campaign" in response.json()["error"]
    await assert_nothing_stored(http)


SERVER_KEY = re.compile(r"(originals|derived)/[0-9a-f]{2}/[0-9a-f]{64}(/[a-z0-9.-]+)?")
HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini.jpg",
    "/etc/cron.d/evil.jpg",
    "evil\r\nX-Injected: 1.jpg",
    'quote"name.jpg',
    "\u202egpj.exe",
    "a" * 1000 + ".jpg",
    "\U0001f600" * 70 + ".jpg",
    "CON.jpg",
    ".htaccess",
    "..",
]


@pytest.mark.parametrize("filename", HOSTILE_NAMES)
async def test_hostile_filenames_get_a_safe_name_and_a_server_key(
    http: httpx.AsyncClient, filename: str
) -> None:
    response = await http.post(
        "/api/v1/assets", files={"file": (filename, make_jpeg(), "image/jpeg")}
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        return
    shown = response.json()["version"]["filename"]
    assert "/" not in shown and "\\" not in shown and "\r" not in shown and "\n" not in shown
    assert '"' not in shown and "\u202e" not in shown
    assert shown.endswith(".jpg") and len(shown) <= 255
    download = await http.get(response.json()["links"]["download"])
    disposition = download.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    storage = http_state(http).storage
    for key in [k async for k in storage.list_keys("")]:
        assert SERVER_KEY.fullmatch(key), key
