"""The open data: public, RFC 4180 CSV with a stable header, JSON and a data package saying
OGL v3.0, updated from the roll-ups after a download, never personal data, never half-written."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from assets_hub import db
from assets_hub.models import Asset, Status
from assets_hub.services import open_data
from assets_hub.settings import Settings
from tests.analytics.conftest import World
from tests.conftest import http_state

HEADER = (
    "date,campaign,campaign_name,asset_id,asset_title,library_service,library_service_name,"
    "region,size,size_name,branded,downloads"
)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(open_data_refresh_s=0)  # every request sees the latest roll-ups


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_the_csv_is_public_rfc4180_with_a_stable_header(world: World) -> None:
    got = await world.http.get("/open-data/downloads.csv")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert 'rel="describedby"' in got.headers["link"] and 'rel="license"' in got.headers["link"]
    assert got.text.startswith(HEADER + "\r\n")
    assert "\n" not in got.text.replace("\r\n", "")  # every line ends CRLF
    rows = _rows(got.text)
    assert sorted((r["library_service"], r["region"], r["downloads"]) for r in rows) == [
        ("leeds", "Yorkshire and The Humber", "2"),
        ("york", "Yorkshire and The Humber", "1"),
    ]
    assert {r["campaign"] for r in rows} == {"libraries-week"}
    assert {(r["size"], r["size_name"], r["branded"]) for r in rows} == {
        ("original", "Original file", "false")
    }
    assert {r["asset_title"] for r in rows} == {"Readers at the fair"}


async def test_a_download_shows_in_the_files_without_a_scan(world: World) -> None:
    before = _rows((await world.http.get("/open-data/downloads.csv")).text)
    assert next(r for r in before if r["library_service"] == "york")["downloads"] == "1"
    await world.get("york-admin", f"/api/v1/assets/{world.photo}/download")
    after = _rows((await world.http.get("/open-data/downloads.csv")).text)
    assert next(r for r in after if r["library_service"] == "york")["downloads"] == "2"
    body = (await world.http.get("/open-data/downloads.json")).json()
    york = next(r for r in body["rows"] if r["library_service"] == "york")
    assert york["downloads"] == 2 and york["branded"] is False


async def test_json_and_data_package_state_the_licence_and_fields(world: World) -> None:
    body = (await world.http.get("/open-data/downloads.json")).json()
    assert body["licence"]["title"] == "Open Government Licence v3.0"
    assert [f["name"] for f in body["fields"]] == HEADER.split(",")
    package = (await world.http.get("/open-data/datapackage.json")).json()
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    [resource, _] = package["resources"]
    assert resource["path"] == "downloads.csv"  # beside datapackage.json
    assert [f["name"] for f in resource["schema"]["fields"]] == HEADER.split(",")
    page = await world.http.get("/open-data")
    assert page.status_code == 200
    for name in HEADER.split(","):
        assert f"<code>{name}</code>" in page.text
    assert "Open Government Licence v3.0" in page.text and "five minutes" in page.text


async def test_the_open_data_never_holds_a_user_id_email_or_ip_address(world: World) -> None:
    texts = [
        (await world.http.get(f"/open-data/{name}")).text
        for name in ("downloads.csv", "downloads.json", "datapackage.json")
    ]
    csv_text, json_text, _ = texts
    columns = set(HEADER.split(",")) | set(json.loads(json_text)["rows"][0])
    assert not {c for c in columns if re.search(r"user|e-?mail|\bip\b|address", c)}
    for text in (csv_text, json_text):
        assert "@" not in text
        assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", text)  # IPv4
        assert not re.search(r"\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){4,7}\b", text)  # IPv6
        for user in world.users.values():
            assert user.email not in text
            assert not re.search(rf'"user(_id)?":\s*{user.id}\b', text)


async def test_a_withdrawn_asset_keeps_its_counts_but_not_its_title(world: World) -> None:
    with db.activate(http_state(world.http).database):
        await Asset.filter(id=world.photo).update(status=Status.WITHDRAWN)
    await world.get("leeds-member", "/healthz")  # nothing else changes
    await world.get("york-admin", f"/api/v1/assets/{world.photo}/download")  # refused: 404
    rows = _rows((await world.http.get("/open-data/downloads.csv")).text)
    assert {r["asset_title"] for r in rows} == {""}
    assert sum(int(r["downloads"]) for r in rows) == 3


async def test_a_failed_build_leaves_the_previous_files_whole(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "open-data"
    with db.activate(http_state(world.http).database):
        first = await open_data.build(out)
        before = {p.name: p.read_bytes() for p in out.iterdir()}

        def broken(self: object, row: object) -> tuple[str, str]:
            raise ConnectionError("the database went away")

        monkeypatch.setattr(open_data._Labels, "lines", broken)
        with pytest.raises(ConnectionError):
            await open_data.build(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no .part left either
    assert first.paths() == set(out.iterdir())


async def test_past_days_are_written_once_and_todays_rows_each_rebuild(
    world: World, tmp_path: Path
) -> None:
    await world.roll_up(date(2026, 1, 5), "kent", 4)
    with db.activate(http_state(world.http).database):
        first = await open_data.build(tmp_path)
        await world.get("york-admin", f"/api/v1/assets/{world.photo}/download")
        second = await open_data.build(tmp_path, first)
    assert second.csv[0] == first.csv[0] and second.past_rows == 1  # the past part reused
    assert second.csv[1] != first.csv[1]
    text = b"".join(p.read_bytes() for p in second.csv).decode()
    rows = _rows(text)
    assert (rows[0]["date"], rows[0]["library_service"], rows[0]["downloads"]) == (
        "2026-01-05",
        "kent",
        "4",
    )
    assert next(r for r in rows if r["library_service"] == "york")["downloads"] == "2"
    body = json.loads("".join(p.read_text() for p in second.json))
    assert len(body["rows"]) == len(rows) == 3


async def test_a_slow_rebuild_answers_with_the_previous_files_meanwhile(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build of the day at a million events takes seconds: requests meanwhile get the
    previous files after at most REBUILD_WAIT_S, and the next request gets the new ones."""
    files = open_data.OpenData(tmp_path / "open-data", refresh_s=0)
    real_build = open_data.build
    release = asyncio.Event()

    async def slow_build(directory: Path, previous: open_data.Built | None = None) -> object:
        await release.wait()
        return await real_build(directory, previous)

    with db.activate(http_state(world.http).database):
        first = await files.files()
        await world.get("york-admin", f"/api/v1/assets/{world.photo}/download")
        monkeypatch.setattr(open_data, "build", slow_build)
        meanwhile = await files.files()  # the rebuild is held: the previous files come back
        assert meanwhile is first
        release.set()
        assert files._rebuild is not None
        await files._rebuild
        latest = await files.files()
    assert latest is not first
    text = b"".join(p.read_bytes() for p in latest.csv).decode()
    assert next(r for r in _rows(text) if r["library_service"] == "york")["downloads"] == "2"
