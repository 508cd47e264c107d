"""The asset lifecycle through the API: workflow, publish rules, optimistic concurrency,
versions, soft delete and purge, consent and takedown notices, time-exact visibility."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image

from assets_hub import db
from assets_hub.auth import principal as principal_module
from assets_hub.models import Role, TakedownNotice
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, app_client, http_state, make_jpeg, make_user, token_for


class Team:
    """An editor and library staff of two libraries, each an httpx client with a token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.headers: dict[str, dict[str, str]] = {}

    async def add(self, name: str, role: Role, library: str | None = None) -> None:
        user = await make_user(self.http, role, library=library)
        self.headers[name] = {"Authorization": f"Bearer {await token_for(self.http, user)}"}

    async def get(self, who: str, url: str, **kw: object) -> httpx.Response:
        return await self.http.get(url, headers=self.headers[who], **kw)  # type: ignore[arg-type]

    async def send(self, who: str, method: str, url: str, **kw: object) -> httpx.Response:
        headers = {**self.headers[who], **kw.pop("headers", {})}  # type: ignore[dict-item]
        return await self.http.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]

    async def upload(self, **fields: str) -> dict[str, object]:
        response = await self.send(
            "editor",
            "POST",
            "/api/v1/assets",
            files={
                "file": (
                    "poster.jpg",
                    make_jpeg(colour=fields.pop("colour", "#336699")),
                    "image/jpeg",
                )
            },
            data={"title": "Storytime poster", **fields},
        )
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        return body


@pytest.fixture
async def team(make_settings: Callable[..., Settings]) -> AsyncIterator[Team]:
    async with app_client(make_settings(delete_undo_days=30)) as http:
        crew = Team(http)
        await crew.add("editor", Role.EDITOR)
        await crew.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        await crew.add("kent", Role.LIBRARY_MEMBER, "kent")
        yield crew


async def test_uploads_are_drafts_and_publishing_checks_the_rules(team: Team) -> None:
    asset = await team.upload()
    assert asset["status"] == "draft"
    url = f"/api/v1/assets/{asset['id']}"
    assert (await team.get("leeds", url)).status_code == 404
    refused = await team.send("editor", "POST", f"{url}/publish")
    assert refused.status_code == 422
    assert "alt text" in refused.json()["error"] and "licence" in refused.json()["error"]
    edited = await team.send(
        "editor",
        "PATCH",
        url,
        json={
            "alt_text": "Children listening to a story",
            "licence": "cc-by-4.0",
            "revision": asset["revision"],
        },
    )
    assert edited.status_code == 200, edited.text
    needs_credit = await team.send("editor", "POST", f"{url}/publish")
    assert "credit line" in needs_credit.json()["error"]
    await team.send(
        "editor",
        "PATCH",
        url,
        json={"credit": "Photo: J. Smith"},
        headers={"If-Match": edited.headers["etag"]},
    )
    review = await team.send("editor", "POST", f"{url}/submit")
    assert review.json()["status"] == "in_review"
    published = await team.send("editor", "POST", f"{url}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    seen = await team.get("leeds", url)
    assert seen.status_code == 200 and seen.json()["licence"]["credit"] == "Photo: J. Smith"
    assert (await team.send("editor", "POST", f"{url}/submit")).status_code == 409
    found = await team.get("leeds", "/api/v1/assets", params={"q": "storytime"})
    assert found.json()["total"] == 1


async def test_concurrent_edits_never_lose_a_change(team: Team) -> None:
    asset = await team.upload()
    url = f"/api/v1/assets/{asset['id']}"
    revision = asset["revision"]
    first, second = await asyncio.gather(
        team.send("editor", "PATCH", url, json={"title": "First", "revision": revision}),
        team.send("editor", "PATCH", url, json={"title": "Second", "revision": revision}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = "First" if first.status_code == 200 else "Second"
    assert (await team.get("editor", url)).json()["title"] == winner
    loser = second if first.status_code == 200 else first
    assert "changed by someone else" in loser.json()["error"]
    blind = await team.send("editor", "PATCH", url, json={"title": "No revision"})
    assert blind.status_code == 428

    a, b = await asyncio.gather(
        team.send("editor", "POST", f"{url}/tags", json={"tags": ["summer"]}),
        team.send("editor", "POST", f"{url}/tags", json={"tags": ["reading"]}),
    )
    assert a.status_code == b.status_code == 200
    assert {"summer", "reading"} <= set((await team.get("editor", url)).json()["tags"])


async def test_versions_are_kept_and_restorable(team: Team) -> None:
    asset = await team.upload(colour="#ff0000")
    url = f"/api/v1/assets/{asset['id']}"
    first_sha = asset["version"]["sha256"]  # type: ignore[index]
    replaced = await team.send(
        "editor",
        "POST",
        f"{url}/versions",
        files={"file": ("v2.jpg", make_jpeg(colour="#00ff00"), "image/jpeg")},
    )
    assert replaced.status_code == 201 and replaced.json()["number"] == 2
    versions = (await team.get("editor", f"{url}/versions")).json()["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    old = await team.get("editor", f"{url}/versions/1/download")
    assert old.status_code == 200
    restored = await team.send("editor", "POST", f"{url}/versions/1/restore")
    assert restored.json()["number"] == 3 and restored.json()["sha256"] == first_sha
    assert (await team.get("editor", url)).json()["version"]["number"] == 3
    pdf = await team.send(
        "editor",
        "POST",
        f"{url}/versions",
        files={"file": ("x.pdf", b"%PDF-1.4 nonsense", "application/pdf")},
    )
    assert pdf.status_code == 422  # an image asset cannot become a PDF, and damage is refused


async def test_member_download_is_stripped_editor_gets_the_original(
    team: Team, real_photo: bytes
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x013B] = "Owner Name"
    gps = exif.get_ifd(0x8825)
    gps[2] = (51.0, 30.0, 0.0)
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), "#446688").save(photo, format="JPEG", exif=exif)
    response = await team.send(
        "editor",
        "POST",
        "/api/v1/assets",
        files={"file": ("gps.jpg", photo.getvalue(), "image/jpeg")},
        data=PUBLISHABLE,
    )
    url = response.json()["links"]["download"]
    editor_copy = (await team.get("editor", url)).content
    assert editor_copy == photo.getvalue()
    member_copy = (await team.get("leeds", url)).content
    assert b"SecretCameraMaker" not in member_copy and b"Owner Name" not in member_copy
    with Image.open(io.BytesIO(member_copy)) as image:
        assert image.getexif().get_ifd(0x8825) == {}
        assert image.size == (320, 240)


async def test_withdrawn_consent_hides_the_asset_and_notifies_downloaders(team: Team) -> None:
    asset = await team.upload(**PUBLISHABLE)
    url = f"/api/v1/assets/{asset['id']}"
    today = datetime.now(UTC).date()
    consent = await team.send(
        "editor",
        "POST",
        f"{url}/consents",
        json={
            "reference": "FORM-2026-17",
            "channels": ["web", "social"],
            "given_on": str(today - timedelta(days=10)),
            "expires_on": str(today + timedelta(days=300)),
            "is_child": True,
        },
    )
    assert consent.status_code == 201, consent.text
    assert (await team.get("editor", url)).json()["consent"]["channels"] == ["social", "web"]
    assert (await team.get("leeds", f"{url}/download")).status_code == 200
    withdrawn = await team.send(
        "editor",
        "POST",
        f"{url}/consents/{consent.json()['id']}/withdraw",
        json={"reason": "parent asked"},
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    assert (await team.get("leeds", url)).status_code == 404
    assert (await team.get("leeds", f"{url}/download")).status_code == 404
    leeds_notices = (await team.get("leeds", "/api/v1/notices")).json()["notices"]
    assert len(leeds_notices) == 1
    assert "FORM-2026-17" in leeds_notices[0]["reason"]
    assert leeds_notices[0]["files"] == ["poster.jpg (original)"]
    assert (await team.get("kent", "/api/v1/notices")).json()["notices"] == []
    notice_id = leeds_notices[0]["id"]
    assert (await team.send("kent", "POST", f"/api/v1/notices/{notice_id}/done")).status_code == 404
    done = await team.send("leeds", "POST", f"/api/v1/notices/{notice_id}/done")
    assert done.status_code == 200 and done.json()["done_at"]
    everyone = (await team.get("editor", "/api/v1/notices", params={"all": "1"})).json()
    assert everyone["notices"][0]["done_by"]


async def test_expired_consent_blocks_publishing(team: Team) -> None:
    asset = await team.upload(alt_text="x", licence="cc0")
    url = f"/api/v1/assets/{asset['id']}"
    today = datetime.now(UTC).date()
    await team.send(
        "editor",
        "POST",
        f"{url}/consents",
        json={
            "reference": "OLD",
            "channels": ["print"],
            "given_on": str(today - timedelta(days=400)),
            "expires_on": str(today - timedelta(days=1)),
        },
    )
    refused = await team.send("editor", "POST", f"{url}/publish")
    assert refused.status_code == 422 and "consent" in refused.json()["error"]
    bad = await team.send(
        "editor",
        "POST",
        f"{url}/consents",
        json={"reference": "", "channels": ["tv"], "given_on": "yesterday"},
    )
    assert bad.status_code == 422
    for words in ("reference", "channels", "given_on", "expires_on"):
        assert words in bad.json()["error"]


async def test_embargo_and_expiry_change_visibility_at_the_exact_second(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    lift = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    end = lift + timedelta(days=1)
    asset = await team.upload(
        **PUBLISHABLE,
        title="Launch poster",
        embargo_until=lift.isoformat(),
        expires_at=end.isoformat(),
    )
    url = f"/api/v1/assets/{asset['id']}"

    async def visible_at(moment: datetime) -> tuple[int, int]:
        monkeypatch.setattr(principal_module, "utcnow", lambda: moment)
        page = await team.get("leeds", url)
        found = await team.get("leeds", "/api/v1/assets", params={"q": "launch"})
        return page.status_code, found.json()["total"]

    assert await visible_at(lift - timedelta(seconds=1)) == (404, 0)
    assert await visible_at(lift) == (200, 1)
    assert await visible_at(end - timedelta(seconds=1)) == (200, 1)
    assert await visible_at(end) == (404, 0)


async def test_soft_delete_undo_and_purge_leave_no_orphans(
    make_settings: Callable[..., Settings],
) -> None:
    async with app_client(make_settings(delete_undo_days=0)) as http:
        crew = Team(http)
        await crew.add("editor", Role.EDITOR)
        keep = await crew.upload(colour="#111111")
        gone = await crew.upload(colour="#eeeeee")
        url = f"/api/v1/assets/{gone['id']}"
        deleted = await crew.send("editor", "DELETE", url)
        assert deleted.status_code == 200
        assert (await crew.get("editor", url)).status_code == 404
        assert (await crew.get("editor", "/api/v1/assets")).json()["total"] == 1
        back = await crew.send("editor", "POST", f"{url}/undelete")
        assert back.status_code == 422  # an undo window of 0 days has already closed

        storage = http_state(http).storage
        before = {key async for key in storage.list_keys("")}
        from assets_hub.services.gc import collect_garbage

        with db.activate(http_state(http).database):
            report = await collect_garbage(http_state(http), grace=timedelta(0))
        after = {key async for key in storage.list_keys("")}
        assert report.purged_assets == 1
        gone_sha = gone["version"]["sha256"]  # type: ignore[index]
        keep_sha = keep["version"]["sha256"]  # type: ignore[index]
        assert all(gone_sha not in key for key in after)
        assert any(gone_sha in key for key in before)
        assert any(keep_sha in key for key in after)
        assert (
            await crew.get("editor", f"/api/v1/assets/{keep['id']}/download")
        ).status_code == 200


async def test_batch_upload_reports_each_file(team: Team) -> None:
    response = await team.send(
        "editor",
        "POST",
        "/api/v1/assets/batch",
        files=[
            ("file", ("a.jpg", make_jpeg(colour="#123456"), "image/jpeg")),
            ("file", ("b.tif", b"II*\x00" + b"\x00" * 64, "image/tiff")),
            ("file", ("c.jpg", make_jpeg(colour="#654321"), "image/jpeg")),
        ],
        data={"tags": "batch"},
    )
    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 415, 201]
    assert "TIFF" in results[1]["error"]
    duplicate = await team.send(
        "editor",
        "POST",
        "/api/v1/assets",
        files={"file": ("again.jpg", make_jpeg(colour="#123456"), "image/jpeg")},
    )
    assert any("already stored" in w for w in duplicate.json()["warnings"])


async def test_sweep_issues_notices_once_when_expiry_passes(team: Team) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=1)
    asset = await team.upload(**PUBLISHABLE, expires_at=soon.isoformat())
    assert (await team.get("leeds", f"/api/v1/assets/{asset['id']}/download")).status_code == 200
    await asyncio.sleep(1.2)
    from assets_hub.services.rights import sweep_expiries

    with db.activate(http_state(team.http).database):
        assert await sweep_expiries() == 1
        assert await sweep_expiries() == 0
        assert await TakedownNotice.all().count() == 1


async def test_the_61st_upload_in_an_hour_is_refused(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    from limits import parse

    from assets_hub.auth import throttle

    monkeypatch.setattr(throttle, "UPLOADS_PER_USER", parse("3/hour"))  # same rule, fewer files
    for n in range(3):
        await team.upload(colour=f"#0000{n:02x}")
    refused = await team.send(
        "editor",
        "POST",
        "/api/v1/assets",
        files={"file": ("x.jpg", make_jpeg(colour="#ff00ff"), "image/jpeg")},
    )
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "uploaded 3 files in the last hour" in refused.json()["error"]
