"""`assets-hub verify`: drift between storage, database and index is reported, then mended."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from click.testing import CliRunner

from assets_hub import db
from assets_hub.cli import main
from assets_hub.models import AssetVersion, Role
from assets_hub.services.verify import verify
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, authorise, http_state, make_jpeg

LONG_AGO = 946684800  # 2000-01-01: older than any grace period


def _env(settings: Settings) -> dict[str, str]:
    return {
        "ASSETS_HUB_DATABASE_URL": settings.database_url,
        "ASSETS_HUB_STORAGE_URL": settings.storage_url,
        "ASSETS_HUB_SEARCH_URL": settings.search_url,
        "ASSETS_HUB_TMP_DIR": settings.tmp_dir,
    }


async def test_verify_reports_drift_and_repair_mends_it(settings: Settings) -> None:
    root = Path(settings.storage_url.removeprefix("file://"))
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        ids = []
        for colour in ("#aa3300", "#0033aa"):
            made = await http.post(
                "/api/v1/assets",
                data={**PUBLISHABLE, "title": f"Poster {colour}"},
                files={"file": ("p.jpg", make_jpeg((900, 600), colour), "image/jpeg")},
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        backends = http_state(http)
        with db.activate(backends.database):
            clean = await verify(backends)
            assert clean.findings == [] and clean.checked_objects == 2
            first = await AssetVersion.get(asset_id=ids[0])
            await backends.storage.delete(first.thumbnail_key or "")
            await backends.storage.put_bytes("derived/zz/orphan", b"x", content_type="x/y")
            os.utime(root / "derived/zz/orphan", (LONG_AGO, LONG_AGO))
            await backends.search.delete([ids[1]])

            found = await verify(backends)
            kinds = sorted((f.kind, f.repaired) for f in found.findings)
            assert kinds == [
                ("derived file", False),
                ("not in index", False),
                ("orphan object", False),
            ]
            assert await backends.storage.head(first.thumbnail_key or "") is None  # read-only

            mended = await verify(backends, repair=True)
            assert mended.findings and mended.unrepaired == []
            assert await backends.storage.head(first.thumbnail_key or "") is not None
            assert await backends.storage.head("derived/zz/orphan") is None
            assert ids[1] in await backends.search.document_versions()
            assert (await verify(backends)).findings == []
        thumbnail = await http.get(f"/api/v1/assets/{ids[0]}/thumbnail")
        assert thumbnail.status_code == 200

        with db.activate(backends.database):
            await backends.storage.delete(first.storage_key)  # an original cannot be remade
    # The command runs its own event loop: in a thread, as from a shell.
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["verify", "--repair"], env=_env(settings)
    )
    assert result.exit_code == 1, result.output
    assert f"original: {first.storage_key} missing" in result.output
    assert "1 not repaired" in result.output
