"""Branding profiles and renditions through the API: isolation, versions, caching,
single-flight, signed links, bad input."""

from __future__ import annotations

import asyncio
import copy
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from assets_hub import db
from assets_hub.branding.overlays import DEFAULT_TEMPLATE_DOCUMENT
from assets_hub.models import Rendition, Role
from assets_hub.services import rendering
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, Crew, app_client, http_state


def _logo() -> bytes:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    image.paste((200, 20, 60, 255), (20, 20, 280, 100))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def crew(make_settings: Callable[..., Settings], real_photo: bytes) -> AsyncIterator[Crew]:
    async with app_client(make_settings(public_catalogue=True)) as http:
        c = Crew(http)
        await c.add("editor", Role.EDITOR)
        await c.add("leeds_admin", Role.LIBRARY_ADMIN, "leeds")
        await c.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        await c.add("kent_admin", Role.LIBRARY_ADMIN, "kent")
        upload = await c.call(
            "editor",
            "POST",
            "/api/v1/assets",
            data=PUBLISHABLE,
            files={"file": ("bus.jpg", real_photo, "image/jpeg")},
        )
        assert upload.status_code == 201, upload.text
        c.asset = upload.json()["id"]  # type: ignore[attr-defined]
        profile = await c.call(
            "leeds_admin",
            "POST",
            "/api/v1/libraries/leeds/profiles",
            json={
                "name": "Main",
                "primary": "#00703c",
                "text": "#ffffff",
                "library_name": "Leeds Central Library",
                "website": "https://leeds.example.org",
            },
        )
        assert profile.status_code == 201, profile.text
        c.profile = profile.json()["id"]  # type: ignore[attr-defined]
        yield c


async def test_branded_render_is_made_once_and_served_from_storage(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    params = {"preset": "instagram-square", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    logo = await crew.call(
        "leeds_admin",
        "PUT",
        f"/api/v1/profiles/{crew.profile}/logo",  # type: ignore[attr-defined]
        files={"file": ("logo.png", _logo(), "image/png")},
    )
    assert logo.status_code == 200 and logo.json()["logo"] and logo.json()["version"] == 2
    first = await crew.call("leeds", "GET", url, params=params)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["content-disposition"].startswith("attachment;")
    with Image.open(io.BytesIO(first.content)) as image:
        assert image.size == (1080, 1080)
        assert not image.getexif()
        colours = {colour for _, colour in image.convert("RGB").getcolors(2**24) or []}
        assert (0, 112, 60) in colours  # the library's band colour is in the picture
    again = await crew.call(
        "leeds", "GET", url, params=params, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    with db.activate(http_state(crew.http).database):
        assert await Rendition.all().count() == 1


async def test_identical_requests_at_once_render_once(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    original = rendering.render_now

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rendering, "render_now", counting)
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    params = {"preset": "x-post", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    responses = await asyncio.gather(
        *(crew.call("leeds", "GET", url, params=params) for _ in range(20))
    )
    assert calls == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1


async def test_another_librarys_profile_is_not_found(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    profile = str(crew.profile)  # type: ignore[attr-defined]
    await crew.add("kent", Role.LIBRARY_MEMBER, "kent")
    refused = await crew.call("kent", "GET", url, params={"preset": "x-post", "profile": profile})
    assert refused.status_code == 404
    for method, path, body in (
        ("GET", f"/api/v1/profiles/{profile}", None),
        ("PATCH", f"/api/v1/profiles/{profile}", {"primary": "#000000"}),
        ("DELETE", f"/api/v1/profiles/{profile}", None),
        ("GET", "/api/v1/libraries/leeds/profiles", None),
    ):
        response = await crew.call("kent_admin", method, path, json=body)
        assert response.status_code == 404, (method, path)
    with db.activate(http_state(crew.http).database):
        assert await Rendition.all().count() == 0  # nothing was generated for the refusals
    member_edit = await crew.call(
        "leeds", "PATCH", f"/api/v1/profiles/{profile}", json={"primary": "#000000"}
    )
    assert member_edit.status_code == 403


async def test_profile_edits_make_new_versions_and_new_renditions(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    profile = str(crew.profile)  # type: ignore[attr-defined]
    params = {"preset": "linkedin", "profile": profile}
    before = await crew.call("leeds", "GET", url, params=params)
    edited = await crew.call(
        "leeds_admin",
        "PATCH",
        f"/api/v1/profiles/{profile}",
        json={"primary": "#ffdd00", "text": "#ffffff", "version": 1},
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert any("contrast" in w for w in edited.json()["warnings"])  # white on yellow
    stale = await crew.call(
        "leeds_admin",
        "PATCH",
        f"/api/v1/profiles/{profile}",
        json={"primary": "#000000", "version": 1},
    )
    assert stale.status_code == 412
    after = await crew.call("leeds", "GET", url, params=params)
    assert after.headers["etag"] != before.headers["etag"]
    with db.activate(http_state(crew.http).database):
        assert await Rendition.all().count() == 2  # the old one stays valid and stored
    for bad, words in (
        ({"primary": "red"}, "primary"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"font": "comic"}, "font"),
        ({"library_id": 2}, "Unknown field"),
    ):
        response = await crew.call("leeds_admin", "PATCH", f"/api/v1/profiles/{profile}", json=bad)
        assert response.status_code == 422 and words in response.json()["error"], bad


async def test_bad_render_requests_are_clear(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    cases = (
        ({"preset": "huge"}, 404, "choose one of"),
        ({"preset": "x-post", "format": "gif"}, 400, "format must be one of"),
        ({"preset": "x-post", "width": "9999"}, 400, "Unknown parameter"),
        ({}, 400, "preset=<key>"),
        # Past the declared limits of the document (/openapi.json): malformed requests.
        ({"preset": "x-post", "field.event_title": "x" * 500}, 400, "event_title"),
        ({"preset": "x-post", "field.colour": "red"}, 400, "colour"),
        ({"preset": "bluesky", "format": "png"}, 422, "format"),
    )
    for params, status, words in cases:
        response = await crew.call("leeds", "GET", url, params=params)
        assert response.status_code == status, (params, response.text)
        assert words in response.json()["error"], params


async def test_signed_links_work_without_a_session_and_resist_tampering(crew: Crew) -> None:
    link = await crew.call(
        "leeds",
        "POST",
        f"/api/v1/assets/{crew.asset}/render-link",  # type: ignore[attr-defined]
        json={
            "preset": "facebook-link",
            "profile": crew.profile,  # type: ignore[attr-defined]
            "fields": {"event_title": "Rhyme time"},
            "lifetime_s": 600,
        },
    )
    assert link.status_code == 201, link.text
    url = link.json()["url"]
    anonymous = httpx.AsyncClient(transport=crew.http._transport, base_url="https://testserver")
    followed = await anonymous.get(url)
    assert followed.status_code == 200 and followed.headers["content-type"] == "image/jpeg"
    token = url.rsplit("/", 1)[1]
    body, mac = token.split(".")
    tampered = await anonymous.get(f"/r/{body[:-2]}AA.{mac}")
    assert tampered.status_code == 404
    from assets_hub.services import signed_links

    expired = signed_links.sign(
        http_state(crew.http).signing_key,
        {"a": crew.asset},  # type: ignore[attr-defined]
        lifetime_s=-1,
    )
    assert (await anonymous.get(f"/r/{expired}")).status_code == 404


async def test_preview_is_small_fast_and_not_stored(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render/preview"  # type: ignore[attr-defined]
    response = await crew.call(
        "leeds",
        "GET",
        url,
        params={
            "preset": "story",
            "profile": str(crew.profile),
            "field.event_title": "Storytime",  # type: ignore[attr-defined]
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) <= 600
    with db.activate(http_state(crew.http).database):
        assert await Rendition.all().count() == 0


async def test_visitors_get_existing_unbranded_renditions_only(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    anonymous = httpx.AsyncClient(transport=crew.http._transport, base_url="https://testserver")
    assert (await anonymous.get(url, params={"preset": "x-post"})).status_code == 404
    await crew.call("leeds", "GET", url, params={"preset": "x-post"})
    assert (await anonymous.get(url, params={"preset": "x-post"})).status_code == 200
    branded = await anonymous.get(url, params={"preset": "x-post", "profile": str(crew.profile)})  # type: ignore[attr-defined]
    assert branded.status_code == 404


async def test_consent_channels_limit_the_presets(crew: Crew) -> None:
    asset = crew.asset  # type: ignore[attr-defined]
    today = datetime.now(UTC).date()
    await crew.call(
        "editor",
        "POST",
        f"/api/v1/assets/{asset}/consents",
        json={
            "reference": "F-1",
            "channels": ["print"],
            "given_on": str(today),
            "expires_on": str(today + timedelta(days=30)),
        },
    )
    social = await crew.call(
        "leeds", "GET", f"/api/v1/assets/{asset}/render", params={"preset": "x-post"}
    )
    assert social.status_code == 422 and "print use only" in social.json()["error"]
    poster = await crew.call(
        "leeds", "GET", f"/api/v1/assets/{asset}/render", params={"preset": "poster-a5"}
    )
    assert poster.status_code == 200


async def test_presets_are_listed_and_admin_edited(crew: Crew) -> None:
    listed = (await crew.call("leeds", "GET", "/api/v1/presets")).json()["presets"]
    keys = {p["key"] for p in listed}
    assert {"instagram-square", "story", "bluesky", "poster-a4", "x-post"} <= keys
    await crew.add("admin", Role.ADMIN)
    made = await crew.call(
        "admin",
        "POST",
        "/api/v1/presets",
        json={"key": "tiny", "name": "Tiny", "width": 300, "height": 300},
    )
    assert made.status_code == 201
    changed = await crew.call("admin", "PATCH", "/api/v1/presets/tiny", json={"width": 400})
    assert changed.json()["version"] == 2
    assert (await crew.call("editor", "POST", "/api/v1/presets", json={})).status_code == 403


async def test_a_stored_rendition_row_is_looked_up_once_per_database(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    params = {"preset": "instagram-square", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    first = await crew.call("leeds", "GET", url, params=params)
    assert first.status_code == 200, first.text
    lookups = 0
    real = Rendition.get_or_none

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal lookups
        lookups += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(Rendition, "get_or_none", counting)
    for _ in range(3):  # rows never change once written: the one made above is remembered
        again = await crew.call("leeds", "GET", url, params=params)
        assert again.status_code == 200 and again.content == first.content
    assert lookups == 0
    # Remembered under this app's database: another app in the process has its own rows.
    assert len(rendering._STORED[http_state(crew.http).database]) == 1


async def test_the_assets_chosen_template_shapes_its_renditions(crew: Crew) -> None:
    document = copy.deepcopy(DEFAULT_TEMPLATE_DOCUMENT)
    document["band"] = {**document["band"], "edge": "top"}
    created = await crew.call(
        "editor",
        "POST",
        "/api/v1/templates",
        json={"key": "top-band", "name": "Band on top", "document": document},
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    params = {"preset": "instagram-square", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    choice = f"/api/v1/assets/{crew.asset}/template"  # type: ignore[attr-defined]

    async def band_rows() -> tuple[bool, bool]:
        answer = await crew.call("leeds", "GET", url, params=params)
        assert answer.status_code == 200, answer.text
        with Image.open(io.BytesIO(answer.content)) as image:
            rgb = image.convert("RGB")
            top, bottom = rgb.getpixel((540, 3)), rgb.getpixel((540, 1076))
        green = (0, 112, 60)  # the library's band colour
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        return (
            all(abs(c - g) <= 6 for c, g in zip(top, green, strict=True)),
            all(abs(c - g) <= 6 for c, g in zip(bottom, green, strict=True)),
        )

    assert await band_rows() == (False, True)  # the default design: band at the bottom
    chosen = await crew.call("editor", "PUT", choice, json={"template": "top-band"})
    assert chosen.status_code == 200, chosen.text
    assert await band_rows() == (True, False)
    cleared = await crew.call("editor", "PUT", choice, json={"template": None})
    assert cleared.status_code == 200, cleared.text
    assert await band_rows() == (False, True)


async def test_renditions_of_hidden_unknown_or_fileless_assets_are_not_found(
    crew: Crew, real_photo: bytes
) -> None:
    params = {"preset": "x-post"}
    for asset_id in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        missing = await crew.call(
            "leeds", "GET", f"/api/v1/assets/{asset_id}/render", params=params
        )
        assert missing.status_code == 404 and missing.json()["error"] == "No asset with that id."
    draft = await crew.call(
        "editor",
        "POST",
        "/api/v1/assets",
        data={**PUBLISHABLE, "status": "draft"},
        files={"file": ("draft.jpg", real_photo, "image/jpeg")},
    )
    assert draft.status_code == 201, draft.text
    url = f"/api/v1/assets/{draft.json()['id']}/render"
    hidden = await crew.call("leeds", "GET", url, params=params)
    assert hidden.status_code == 404 and hidden.json()["error"] == "No asset with that id."
    assert (await crew.call("editor", "GET", url, params=params)).status_code == 200
    study = await crew.call(
        "editor",
        "POST",
        "/api/v1/case-studies",
        json={
            "title": "Code club",
            "library_featured": "Harehills Library",
            "summary": "Teenagers learned to program.",
            "body_markdown": "We ran twelve sessions.",
            "licence": "own-work",
        },
    )
    assert study.status_code == 201, study.text
    study_url = f"/api/v1/assets/{study.json()['id']}/render"
    fileless = await crew.call("editor", "GET", study_url, params=params)
    assert fileless.status_code == 404 and "no stored file" in fileless.json()["error"]
    # Hidden from library staff (a draft), it is simply not there for them.
    staff = await crew.call("leeds", "GET", study_url, params=params)
    assert staff.status_code == 404 and staff.json()["error"] == "No asset with that id."


async def test_layout_report_is_json_through_the_render_endpoint(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render"  # type: ignore[attr-defined]
    params = {
        "preset": "story",
        "profile": str(crew.profile),  # type: ignore[attr-defined]
        "layout": "json",
        "field.event_title": "Summer Reading Challenge",
    }
    answer = await crew.call("leeds", "GET", url, params=params)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["frame"] == {"width": 1080, "height": 1920}
    assert report["band"]["y"] == report["photo_area"]["height"]  # the band is below the photo
    names = [line["text"] for line in report["lines"] if line["role"] == "name"]
    assert names == ["Leeds Central Library"]
    assert all(line["contrast_ok"] for line in report["lines"])
    bad = await crew.call("leeds", "GET", url, params={**params, "layout": "xml"})
    assert bad.status_code == 400 and "layout must be one of json" in bad.text


async def test_flat_artwork_is_suggested_at_upload_and_then_fitted_whole(crew: Crew) -> None:
    banner = Image.new("RGB", (900, 300), (230, 80, 40))
    banner.paste((40, 40, 90), (0, 230, 900, 300))
    out = io.BytesIO()
    banner.save(out, "PNG")
    upload = await crew.call(
        "editor",
        "POST",
        "/api/v1/assets",
        data=PUBLISHABLE,
        files={"file": ("banner.png", out.getvalue(), "image/png")},
    )
    assert upload.status_code == 201, upload.text
    body = upload.json()
    assert body["artwork_suggested"] is True  # mostly flat colour
    assert body["artwork"] is False and body["subject"]["kind"] in ("faces", "salient")
    url = f"/api/v1/assets/{body['id']}"
    params = {"preset": "story", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    refused = await crew.call("editor", "GET", f"{url}/render", params=params)
    assert refused.status_code == 422 and "mark the asset as artwork" in refused.text
    marked = await crew.call(
        "editor", "PATCH", url, json={"artwork": True, "revision": body["revision"]}
    )
    assert marked.status_code == 200 and marked.json()["artwork"] is True
    assert marked.json()["artwork_suggested"] is False
    made = await crew.call("editor", "GET", f"{url}/render", params=params)
    assert made.status_code == 200, made.text
    with Image.open(io.BytesIO(made.content)) as image:
        assert image.size == (1080, 1920)


async def test_editors_see_the_layout_drawn_over_the_preview(crew: Crew) -> None:
    url = f"/api/v1/assets/{crew.asset}/render/preview"  # type: ignore[attr-defined]
    params = {"preset": "instagram-square", "profile": str(crew.profile), "layout": "overlay"}  # type: ignore[attr-defined]
    drawn = await crew.call("leeds", "GET", url, params=params)
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
    report = (await crew.call("leeds", "GET", url, params={**params, "layout": "json"})).json()
    with Image.open(io.BytesIO(drawn.content)) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (report["frame"]["width"], report["frame"]["height"])
        photo = report["photo_area"]
        # The photo area's outline is drawn in blue along its top edge.
        assert rgb.getpixel((photo["x"] + photo["width"] // 2, photo["y"])) == (0, 90, 255)


async def test_each_preset_renders_the_closest_per_aspect_variant_of_an_artwork(
    crew: Crew,
) -> None:
    async def upload(size: tuple[int, int], colour: str, **extra: object) -> dict[str, Any]:
        out = io.BytesIO()
        Image.new("RGB", size, colour).save(out, "PNG")
        answer = await crew.call(
            "editor",
            "POST",
            "/api/v1/assets",
            data={**PUBLISHABLE, **extra},
            files={"file": ("art.png", out.getvalue(), "image/png")},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    wide = await upload((1800, 600), "#e05028", artwork="true")
    tall = await upload((900, 1600), "#2850e0", artwork="true", variant_of=wide["id"])
    assert tall["variant_of"] == wide["id"]
    refused = await crew.call(
        "editor",
        "PATCH",
        f"/api/v1/assets/{tall['id']}",
        json={"variant_of": tall["id"], "revision": tall["revision"]},
    )
    assert refused.status_code == 422 and "variant_of" in refused.text
    url = f"/api/v1/assets/{wide['id']}/render"
    colours = {}
    for preset in ("story", "web-banner"):
        params = {"preset": preset, "format": "png"}
        made = await crew.call("editor", "GET", url, params=params)
        assert made.status_code == 200, made.text
        with Image.open(io.BytesIO(made.content)) as image:
            colours[preset] = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    red, _, blue = colours["story"]
    assert blue > 200 and red < 60  # the tall (blue) variant
    red, _, blue = colours["web-banner"]
    assert red > 200 and blue < 60  # the wide (red) artwork itself
