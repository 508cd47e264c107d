"""Duplicate and near-duplicate warnings on upload, found through the indexed hash quarters."""

from __future__ import annotations

import io
import random
import sqlite3
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from assets_hub import db
from assets_hub.media.inspect import near_quarters, phash_quarters
from assets_hub.models import AssetVersion
from assets_hub.services.ingest import backfill_phash_quarters
from tests.conftest import http_state


def _picture(seed: int, *, quality: int = 90, size: tuple[int, int] = (800, 600)) -> bytes:
    """Shapes placed by ``seed``: the same seed at another size or quality looks the same."""
    rng = random.Random(seed)
    image = Image.new("RGB", (800, 600), "#f3f2f1")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(700), rng.randrange(500)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x, y, x + rng.randrange(40, 200), y + rng.randrange(40, 200)), fill=colour)
    out = io.BytesIO()
    image.resize(size).save(out, format="JPEG", quality=quality)
    return out.getvalue()


async def _upload(client: httpx.AsyncClient, data: bytes, name: str) -> dict[str, object]:
    answer = await client.post("/api/v1/assets", files={"file": (name, data, "image/jpeg")})
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_a_hash_seven_bits_away_shares_a_near_quarter() -> None:
    rng = random.Random(5)
    for _ in range(2_000):
        value = rng.getrandbits(64)
        flipped = value
        for bit in rng.sample(range(64), rng.randint(0, 7)):
            flipped ^= 1 << bit
        mine = phash_quarters(f"{value:016x}")
        theirs = phash_quarters(f"{flipped:016x}")
        assert any(t in near_quarters(m) for m, t in zip(mine, theirs, strict=True))
    # and eight bits, two in each quarter, are (rightly) out of reach
    eight = phash_quarters(f"{0x0003000300030003:016x}")
    assert not any(t in near_quarters(0) for t in eight)


async def test_a_resized_re_encoded_copy_is_reported_and_a_different_picture_is_not(
    client: httpx.AsyncClient,
) -> None:
    first = await _upload(client, _picture(1), "first.jpg")
    copy = await _upload(client, _picture(1, quality=60, size=(640, 480)), "copy.jpg")
    assert copy["warnings"] == [f"This looks very like asset {first['id']} (a near-duplicate)."]
    other = await _upload(client, _picture(2), "other.jpg")
    assert other["warnings"] == []
    same = await _upload(client, _picture(1), "again.jpg")
    assert same["warnings"] == [f"The same file is already stored as asset {first['id']}."]


async def test_versions_stored_before_the_quarters_are_filled_at_start_up(
    client: httpx.AsyncClient,
) -> None:
    first = await _upload(client, _picture(3), "older.jpg")
    with db.activate(http_state(client).database):
        await AssetVersion.filter(asset_id=first["id"]).update(
            phash_q0=None, phash_q1=None, phash_q2=None, phash_q3=None
        )
        assert await backfill_phash_quarters(batch=1) == 1
        version = await AssetVersion.get(asset_id=first["id"])
        assert version.phash is not None
        stored = (version.phash_q0, version.phash_q1, version.phash_q2, version.phash_q3)
        assert stored == phash_quarters(version.phash)
        assert await backfill_phash_quarters() == 0
    copy = await _upload(client, _picture(3, quality=55), "copy.jpg")
    assert copy["warnings"] == [f"This looks very like asset {first['id']} (a near-duplicate)."]


def test_the_migrations_create_the_hash_indexes(migrated_sqlite: Path) -> None:
    # Tortoise's AddField records db_index=True without creating the index: 0009 makes them.
    with sqlite3.connect(migrated_sqlite) as connection:
        indexed = {
            row[0]
            for row in connection.execute(
                "SELECT il.name FROM pragma_index_list('asset_version') AS l, "
                "pragma_index_info(l.name) AS il"
            )
        }
        plan = " ".join(
            str(row[-1])
            for row in connection.execute(
                "EXPLAIN QUERY PLAN SELECT asset_id FROM asset_version "
                "WHERE phash_q0 IN (1, 2) OR phash_q3 IN (3, 4)"
            )
        )
    assert {"phash", "phash_q0", "phash_q1", "phash_q2", "phash_q3"} <= indexed
    assert "USING INDEX" in plan and "SCAN asset_version" not in plan
