"""The overlay template editor (campaign team) and the output sizes pages (admins).

Driven through the app like a browser without JavaScript: forms post with the session's CSRF
token; the preview image is fetched and decoded.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from assets_hub import db
from assets_hub.branding.overlays import DEFAULT_TEMPLATE_DOCUMENT
from assets_hub.models import AuditEvent, OverlayTemplate, OverlayTemplateVersion, Preset, Role
from assets_hub.settings import Settings
from assets_hub.web import preset_forms
from assets_hub.web.template_pages import pretty
from tests.conftest import app_client, http_state
from tests.web.test_editor_pages import Browser, Site


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with app_client(settings) as http:
        place = Site(http)
        yield place
        for client in place.clients:
            await client.aclose()


def _document(**changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(DEFAULT_TEMPLATE_DOCUMENT)), **changes}


def _preview_src(page: httpx.Response) -> str:
    found = re.search(r'id="template-preview" class="app-preview" src="([^"]+)"', page.text)
    assert found is not None, "the page shows no preview"
    return found.group(1).replace("&amp;", "&")


async def _in_db(site: Site, query: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``query()`` against the app's database (querysets bind it when made)."""
    with db.activate(http_state(site.app).database):
        return await query()


# ---------------------------------------------------------------- overlay templates


async def test_only_the_campaign_team_reaches_the_template_pages(site: Site) -> None:
    editor = await site.person(Role.EDITOR)
    member = await site.person(Role.LIBRARY_ADMIN, "leeds")
    for path in ("/editor/templates", "/editor/templates/new", "/editor/template-preview"):
        assert (await member.get(path)).status_code == 403, path
    page = await editor.get("/editor/templates")
    assert page.status_code == 200
    assert '<a class="govuk-service-navigation__link" href="/editor/templates"' in page.text
    assert "There are no templates yet" in page.text


async def test_a_new_template_is_previewed_then_created_then_versioned(site: Site) -> None:
    editor = await site.person(Role.EDITOR)
    form = await editor.get("/editor/templates/new")
    assert form.status_code == 200
    assert "&#34;schema&#34;: 1" in form.text  # starts from the default design
    # The default preview is a real picture of the sample in the chosen size (square).
    preview = await editor.get(_preview_src(form))
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert "no-store" in preview.headers["cache-control"]
    with Image.open(io.BytesIO(preview.content)) as image:
        assert image.width == image.height and 0 < image.width <= 1080

    design = _document(name="Top band", band={"edge": "top", "thickness": 0.2})
    fields = {"key": "top-band", "name": "Top band", "document": pretty(design)}
    checked = await editor.post(
        "/editor/templates/new", data={**fields, "action": "preview", "preset": "story"}
    )
    assert checked.status_code == 200
    assert parse_qs(urlsplit(_preview_src(checked)).query)["preset"] == ["story"]
    story = await editor.get(_preview_src(checked))
    with Image.open(io.BytesIO(story.content)) as image:
        assert image.height > image.width  # 9:16
        # The band is at the top now: the sample brand's blue fills the first rows.
        assert image.convert("RGB").getpixel((image.width // 2, 3)) == pytest.approx(
            (29, 112, 184), abs=12
        )
    assert (
        await _in_db(site, lambda: OverlayTemplate.filter(key="top-band").count()) == 0
    )  # not saved

    created = await editor.post("/editor/templates/new", data={**fields, "action": "save"})
    assert created.status_code == 303
    assert created.headers["location"] == "/editor/templates/top-band?done=created"
    page = await editor.get(created.headers["location"])
    assert "The template was created." in page.text and "version 1" in page.text

    stored = await _in_db(site, lambda: OverlayTemplate.get(key="top-band"))
    again = await editor.post(
        "/editor/templates/top-band",
        data={
            "name": "Top band",
            "document": pretty(_document(name="Top band", band={"edge": "top", "thickness": 0.3})),
            "version": str(stored.current_version),
            "action": "save",
        },
    )
    assert again.status_code == 303
    rows = await _in_db(
        site, lambda: OverlayTemplateVersion.filter(template_id=stored.id).order_by("number")
    )
    assert [r.number for r in rows] == [1, 2]
    assert (
        rows[1].document["band"]["thickness"] == 0.3
        and rows[0].document["band"]["thickness"] == 0.2
    )
    saved = await _in_db(site, lambda: AuditEvent.filter(action="template_saved").count())
    assert saved == 2
    listed = await editor.get("/editor/templates")
    assert 'href="/editor/templates/top-band">Top band</a>' in listed.text


def test_the_editor_shows_boxes_on_one_line_and_changes_no_value() -> None:
    tricky = _document(text=[{**DEFAULT_TEMPLATE_DOCUMENT["text"][0], "separator": ",\n"}])
    for document in (DEFAULT_TEMPLATE_DOCUMENT, tricky, {"a": [[1, 2], [3]], "b": []}):
        assert json.loads(pretty(document)) == document
    assert '"box": [0.02, 0.1, 0.2, 0.8],' in pretty(DEFAULT_TEMPLATE_DOCUMENT)


async def test_template_mistakes_are_shown_at_the_field_and_nothing_is_saved(
    site: Site,
) -> None:
    editor = await site.person(Role.EDITOR)
    cases = {
        "{ not json": "this is not valid JSON: Expecting property name enclosed in double "
        "quotes at line 1, column 3",
        pretty(_document(band={"edge": "middle", "thickness": 0.2})): "band.edge: must be one of",
        pretty(_document(text=[{**DEFAULT_TEMPLATE_DOCUMENT["text"][2], "plate": False}])): (
            "text[0].plate: text on the photo needs a plate"
        ),
        "[1, 2]": "must be a JSON object",
    }
    for text, message in cases.items():
        page = await editor.post(
            "/editor/templates/new",
            data={"key": "broken", "name": "Broken", "document": text, "action": "save"},
        )
        assert page.status_code == 422, text
        assert '<a href="#document">Template: ' in page.text
        assert message in page.text.replace("&#39;", "'"), page.text
        assert 'id="template-preview" class="app-preview" alt' in page.text  # no preview
    taken = {"key": "band", "name": "Band", "document": pretty(_document()), "action": "save"}
    assert (await editor.post("/editor/templates/new", data=taken)).status_code == 303
    again = await editor.post("/editor/templates/new", data=taken)
    assert again.status_code == 422 and "there is already a template &#39;band&#39;" in again.text
    bad_key = await editor.post(
        "/editor/templates/new",
        data={"key": "no spaces", "name": "x", "document": pretty(_document()), "action": "save"},
    )
    assert bad_key.status_code == 422 and '<a href="#key">Key: letters, digits' in bad_key.text
    assert await _in_db(site, lambda: OverlayTemplateVersion.all().count()) == 1  # band, once
    # The preview answers a broken draft with a reason the page's script shows.
    refused = await editor.get(
        "/editor/template-preview", params={"document": "{", "preset": "x-post"}
    )
    assert refused.status_code == 422 and "not valid JSON" in refused.json()["error"]
    unknown = await editor.get(
        "/editor/template-preview", params={"document": "{}", "preset": "no-such-size"}
    )
    assert unknown.status_code == 404 and "instagram-square" in unknown.json()["error"]


async def test_a_stale_template_form_is_refused_with_a_conflict(site: Site) -> None:
    editor = await site.person(Role.EDITOR)
    fields = {"key": "band", "name": "Band", "document": pretty(_document()), "action": "save"}
    assert (await editor.post("/editor/templates/new", data=fields)).status_code == 303
    first = {**fields, "version": "1"}
    assert (await editor.post("/editor/templates/band", data=first)).status_code == 303
    stale = await editor.post("/editor/templates/band", data=first)
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    count = await _in_db(site, lambda: OverlayTemplateVersion.all().count())
    assert count == 2


# ---------------------------------------------------------------- output sizes (presets)

PRESET_FORM = {
    "key": "tiktok-cover",
    "name": "TikTok cover",
    "width": "1080",
    "height": "1920",
    "dpi": "72",
    "byte_budget": "",
    "safe-top": "150",
    "safe-right": "0",
    "safe-bottom": "300",
    "safe-left": "0",
    "formats": ["jpeg", "webp"],
    "default_format": "jpeg",
    "max_upscale": "1.25",
    "channel": "social",
    "is_active": "yes",
}


async def test_only_admins_reach_the_preset_pages(site: Site) -> None:
    editor = await site.person(Role.EDITOR)
    admin = await site.person(Role.ADMIN)
    for path in ("/admin/presets", "/admin/presets/new", "/admin/presets/story"):
        assert (await editor.get(path)).status_code == 403, path
        assert (await admin.get(path)).status_code == 200, path
    refused = await editor.post("/admin/presets/new", data=PRESET_FORM)
    assert refused.status_code == 403
    listed = await admin.get("/admin/presets")
    assert 'href="/admin/presets/story">Story / reel (9:16)</a>' in listed.text
    assert "1080 × 1920" in listed.text


async def test_an_admin_adds_a_preset_libraries_can_then_download(site: Site) -> None:
    admin: Browser = await site.person(Role.ADMIN)
    created = await admin.post("/admin/presets/new", data=PRESET_FORM)
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/admin/presets/tiktok-cover?done=created"
    row = await _in_db(site, lambda: Preset.get(key="tiktok-cover"))
    assert (row.width, row.height, row.safe_area, row.formats) == (
        1080,
        1920,
        [150, 0, 300, 0],
        ["jpeg", "webp"],
    )
    listed = (await admin.get("/api/v1/presets")).json()["presets"]
    assert "tiktok-cover" in [p["key"] for p in listed]
    events = await _in_db(site, lambda: AuditEvent.filter(action="preset_created").count())
    assert events == 1


async def test_preset_mistakes_are_shown_at_each_field_and_nothing_changes(site: Site) -> None:
    admin = await site.person(Role.ADMIN)
    wrong = {
        **PRESET_FORM,
        "key": "Bad Key",
        "width": "12",
        "height": "wide",
        "formats": [],
        "default_format": "png",
        "max_upscale": "9",
        "channel": "radio",
    }
    page = await admin.post("/admin/presets/new", data=wrong)
    assert page.status_code == 400
    for field in ("key", "width", "height", "formats", "default_format", "max_upscale", "channel"):
        assert f'<a href="#{field}">' in page.text, field
        assert f'id="{field}-error"' in page.text, field
    assert 'value="Bad Key"' in page.text  # what was typed is kept
    # The renderer's own rule (the safe area must leave half the frame) is reported too.
    squeezed = await admin.post(
        "/admin/presets/new", data={**PRESET_FORM, "safe-top": "900", "safe-bottom": "900"}
    )
    assert squeezed.status_code == 400 and '<a href="#safe-top">' in squeezed.text
    assert await _in_db(site, lambda: Preset.filter(key="tiktok-cover").count()) == 0


async def test_a_preset_is_switched_off_and_on_with_versions_and_conflicts(site: Site) -> None:
    admin = await site.person(Role.ADMIN)
    before = await _in_db(site, lambda: Preset.get(key="x-post"))
    form = await admin.get("/admin/presets/x-post")
    assert f'name="version" value="{before.version}"' in form.text
    fields = {
        **PRESET_FORM,
        "name": before.name,
        "width": str(before.width),
        "height": str(before.height),
        "safe-top": "0",
        "safe-bottom": "0",
        "version": str(before.version),
    }
    del fields["is_active"]  # unticked: switched off
    off = await admin.post("/admin/presets/x-post", data=fields)
    assert off.status_code == 303
    after = await _in_db(site, lambda: Preset.get(key="x-post"))
    assert not after.is_active and after.version == before.version + 1
    listed = (await admin.get("/api/v1/presets")).json()["presets"]
    assert "x-post" not in [p["key"] for p in listed]
    stale = await admin.post("/admin/presets/x-post", data={**fields, "is_active": "yes"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    on = await admin.post(
        "/admin/presets/x-post",
        data={**fields, "is_active": "yes", "version": str(after.version)},
    )
    assert on.status_code == 303
    assert (await _in_db(site, lambda: Preset.get(key="x-post"))).is_active


# ---------------------------------------------------------------- canary contexts


def design_template_contexts(canary: str) -> dict[str, dict[str, Any]]:
    """Canary contexts for templates/overlays/*.html and templates/admin/*.html."""
    now = datetime.now(UTC)
    preset = SimpleNamespace(
        key=canary,
        name=canary,
        width=1080,
        height=1080,
        dpi=300,
        byte_budget=1000,
        safe_area=[1, 2, 3, 4],
        formats=[canary],
        is_active=True,
        version=3,
    )
    template = SimpleNamespace(key=canary, name=canary, current_version=2)
    version = SimpleNamespace(number=1, created_at=now, created_by=canary)
    item = SimpleNamespace(key=canary, name=canary, version=2, created_at=now, asset_count=1)
    values = dict.fromkeys(("key", "name", "document", "width", "height", "dpi"), canary)
    return {
        "overlays/list.html": {"items": [item]},
        "overlays/editor.html": {
            "template": template,
            "values": values,
            "errors": {"document": canary, "key": canary, "name": canary},
            "done": canary,
            "presets": [(canary, canary)],
            "preset": canary,
            "preview_url": canary,
            "versions": [version],
            "fields": [canary],
            "local_fields": {canary: 10},
        },
        "admin/presets.html": {"presets": [preset], "done": canary},
        "admin/preset.html": {
            "preset": preset,
            "values": {
                **values,
                "byte_budget": canary,
                "safe-top": canary,
                "safe-right": canary,
                "safe-bottom": canary,
                "safe-left": canary,
                "formats": [canary],
                "default_format": canary,
                "max_upscale": canary,
                "channel": canary,
                "is_active": True,
            },
            "errors": {"name": canary, "default_format": canary, "channel": canary},
            "done": canary,
            "formats": [(canary, canary)],
            "channels": [(canary, canary, canary)],
            "safe_edges": ("top", "right", "bottom", "left"),
            "labels": dict.fromkeys(preset_forms.LABELS, canary),
        },
    }


async def test_the_template_editor_takes_the_name_from_its_field(site: Site) -> None:
    editor = await site.person(Role.EDITOR)
    design = _document()
    del design["name"]  # the JSON need not repeat what the Name field says
    fields = {"key": "unnamed-json", "name": "Named in the form", "document": pretty(design)}
    saved = await editor.post("/editor/templates/new", data={**fields, "action": "save"})
    assert saved.status_code == 303, saved.text
    template = await _in_db(site, lambda: OverlayTemplate.get(key="unnamed-json"))
    assert template.name == "Named in the form"
