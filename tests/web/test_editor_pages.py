"""The campaign team's pages: upload, edit, focal point, workflow, consents, review, audit.

Called in-process with httpx as a browser would: signed in through the form (a cookie
session), every POST carrying the session's CSRF token in its form.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from assets_hub import db
from assets_hub.branding.overlays import DEFAULT_TEMPLATE_DOCUMENT
from assets_hub.models import Asset, AuditEvent, Consent, Role, Status
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings
from assets_hub.web.editor_forms import FocalBox
from assets_hub.web.editor_pages import FileResult
from assets_hub.web.templating import TEMPLATES_DIR, NavItem, templates
from tests.auth.conftest import PASSWORD_HASH, csrf_token, sign_in
from tests.conftest import app_client, http_state, make_jpeg, make_user

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{{7*7}}'
PAGES = ("/editor/upload", "/editor/review", "/editor/assets/{id}", "/editor/audit")


class Browser:
    """One signed-in person: an httpx client with its own cookie jar, and its CSRF token."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, **kw)

    async def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return await self.http.post(url, data={"csrf_token": self.token, **(data or {})}, **kw)


class Site:
    """An app with an editor signed in; more people can sign in on their own clients."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.app = http
        self.clients: list[httpx.AsyncClient] = []

    async def person(self, role: Role, library: str | None = None) -> Browser:
        email = f"{role.value}.{uuid.uuid4().hex[:6]}@example.org"
        await make_user(self.app, role, library=library, email=email, password_hash=PASSWORD_HASH)
        http = self.anonymous()
        signed = await sign_in(http, email)
        assert signed.status_code == 303, signed.text
        return Browser(http, await csrf_token(http))

    def anonymous(self) -> httpx.AsyncClient:
        transport = self.app._transport  # the same app, another cookie jar
        client = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        self.clients.append(client)
        return client

    async def asset(self, asset_id: str) -> Asset:
        with db.activate(http_state(self.app).database):
            found = await Asset.get(id=asset_id)
            await found.fetch_related("tags")
            return found


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with app_client(settings) as http:
        place = Site(http)
        yield place
        for client in place.clients:
            await client.aclose()


@pytest.fixture
async def editor(site: Site) -> Browser:
    return await site.person(Role.EDITOR)


def _files(*names: str, body: bytes | None = None) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (name, body or make_jpeg(), "image/jpeg")) for name in names]


async def upload(editor: Browser, *names: str, **fields: str) -> list[str]:
    """Upload through the page's no-JavaScript form; the new assets' ids."""
    page = await editor.post("/editor/upload", data=fields, files=_files(*names))
    assert page.status_code == 200, page.text
    return re.findall(r'href="/editor/assets/([0-9a-f-]{36})"', page.text)


def revision_of(page: httpx.Response) -> str:
    found = re.search(r'name="revision" value="(\d+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_every_page_refuses_library_staff_and_sends_visitors_to_sign_in(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg")
    member = await site.person(Role.LIBRARY_MEMBER, "leeds")
    library_admin = await site.person(Role.LIBRARY_ADMIN, "leeds")
    anonymous = site.anonymous()
    for template in PAGES:
        path = template.format(id=asset_id)
        assert (await editor.get(path)).status_code == 200, path
        assert (await member.get(path)).status_code == 403, path
        expected = 200 if path == "/editor/audit" else 403
        assert (await library_admin.get(path)).status_code == expected, path
        sent = await anonymous.get(path)
        assert sent.status_code == 303 and sent.headers["location"].startswith("/signin?next=")
    # Library staff cannot change anything either, even with their own valid token.
    refused = await member.post(f"/editor/assets/{asset_id}/publish")
    assert refused.status_code == 403
    refused = await member.post(f"/editor/assets/{asset_id}", data={"title": "x", "revision": "1"})
    assert refused.status_code == 403
    assert (await site.asset(asset_id)).title == "poster"


async def test_navigation_links_the_upload_and_review_pages(editor: Browser) -> None:
    page = await editor.get("/editor/review")
    assert 'href="/editor/upload"' in page.text and 'href="/editor/review"' in page.text
    assert "<title>Review queue – assets hub</title>" in page.text


async def test_the_upload_form_creates_assets_and_reports_a_refused_file_by_name(
    site: Site, editor: Browser
) -> None:
    form = await editor.get("/editor/upload")
    assert 'enctype="multipart/form-data"' in form.text and "multiple" in form.text
    assert '<script type="module" src="/static/js/upload.js"></script>' in form.text
    files = [
        *_files("reading-poster.jpg", "story_time.jpg"),
        ("file", ("notes.txt", b"just some words, not a picture\n" * 4, "text/plain")),
    ]
    page = await editor.post(
        "/editor/upload",
        data={"tags": "summer, children", "audience": ["children", "families"], "licence": "cc0"},
        files=files,
    )
    assert page.status_code == 200
    ids = re.findall(r'href="/editor/assets/([0-9a-f-]{36})"', page.text)
    assert len(ids) == 2
    assert page.text.count(">Uploaded</strong>") == 2
    assert 'class="govuk-error-summary"' in page.text
    assert re.search(r'<a href="#result-2">notes\.txt: [^<]*accept', page.text)
    created = await site.asset(ids[0])
    assert created.title == "reading poster" and created.status is Status.DRAFT
    assert created.audience == ["children", "families"] and created.licence == "cc0"
    assert sorted(t.name for t in created.tags) == ["children", "summer"]


async def test_an_upload_of_a_stored_file_links_to_the_asset_it_repeats(editor: Browser) -> None:
    body = make_jpeg()
    page = await editor.post("/editor/upload", files=_files("first.jpg", body=body))
    [first] = re.findall(r'href="/editor/assets/([0-9a-f-]{36})"', page.text)
    again = await editor.post("/editor/upload", files=_files("again.jpg", body=body))
    # Issue 16: a link named by the other asset's title, never its raw id.
    assert f'<a class="govuk-link" href="/assets/{first}">first<' in again.text
    assert f"asset {first}" not in again.text


async def test_the_api_accepts_what_upload_js_sends(site: Site, editor: Browser) -> None:
    """upload.js: one file per request, the token in X-CSRF-Token, checkbox groups joined."""
    page = await editor.get("/editor/upload")
    assert 'data-upload-url="/api/v1/assets"' in page.text
    assert 'aria-live="polite"' in page.text and f'value="{editor.token}"' in page.text
    sent = await editor.http.post(
        "/api/v1/assets",
        headers={"X-CSRF-Token": editor.token, "Accept": "application/json"},
        data={"audience": "children,families", "licence": "cc0"},
        files=_files("one.jpg"),
    )
    assert sent.status_code == 201, sent.text
    assert (await site.asset(sent.json()["id"])).audience == ["children", "families"]
    refused = await editor.http.post("/api/v1/assets", files=_files("two.jpg"))
    assert refused.status_code == 403 and "error" in refused.json()


async def test_the_upload_form_explains_missing_files_and_bad_details(
    site: Site, editor: Browser
) -> None:
    empty = await editor.post(
        "/editor/upload", files=[("file", ("", b"", "application/octet-stream"))]
    )
    assert empty.status_code == 422
    assert 'href="#file"' in empty.text and "choose one or more files" in empty.text
    bad = await editor.post(
        "/editor/upload", data={"language": "not a language!"}, files=_files("a.jpg")
    )
    assert bad.status_code == 422
    assert 'href="#language"' in bad.text and 'id="language-error"' in bad.text
    assert 'value="not a language!"' in bad.text  # what was typed is kept
    with db.activate(http_state(site.app).database):
        assert await Asset.all().count() == 0


async def test_a_metadata_save_shows_success_then_a_conflict_on_a_stale_revision(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg")
    url = f"/editor/assets/{asset_id}"
    page = await editor.get(url)
    stale = revision_of(page)
    fields = {"title": "Storytime poster", "language": "en", "revision": stale}
    saved = await editor.post(url, data=fields)
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?done=saved"
    assert "Your changes were saved." in (await editor.get(saved.headers["location"])).text
    conflict = await editor.post(url, data={**fields, "title": "Someone else's title"})
    assert conflict.status_code == 412
    assert "changed by someone else" in conflict.text
    assert 'href="#metadata"' in conflict.text and "Reload the page" in conflict.text
    assert 'value="Someone else&#39;s title"' in conflict.text  # their typing is not lost
    assert (await site.asset(asset_id)).title == "Storytime poster"


async def test_publishing_an_image_without_alt_text_shows_the_problem(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg", licence="cc0")
    page = await editor.get(f"/editor/assets/{asset_id}")
    assert "alt text is needed for images" in page.text  # listed before trying
    refused = await editor.post(f"/editor/assets/{asset_id}/publish")
    assert refused.status_code == 422
    assert 'href="#alt_text"' in refused.text
    assert "To publish, alt text is needed for images" in refused.text
    assert (await site.asset(asset_id)).status is Status.DRAFT


async def test_the_workflow_buttons_move_an_asset_through_its_states(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg", licence="cc0", alt_text="A poster.")
    url = f"/editor/assets/{asset_id}"
    assert (await editor.post(f"{url}/submit")).status_code == 303
    assert (await site.asset(asset_id)).status is Status.IN_REVIEW
    queue = await editor.get("/editor/review")
    assert f'action="{url}/publish"' in queue.text and 'value="/editor/review"' in queue.text
    published = await editor.post(f"{url}/publish", data={"next": "/editor/review"})
    assert published.headers["location"] == "/editor/review?done=publish"
    assert (await site.asset(asset_id)).status is Status.PUBLISHED
    again = await editor.post(f"{url}/submit")
    assert again.status_code == 409 and 'href="#workflow"' in again.text
    assert (await editor.post(f"{url}/withdraw")).status_code == 303
    assert (await site.asset(asset_id)).status is Status.WITHDRAWN
    deleted = await editor.post(f"{url}/delete")
    assert deleted.headers["location"] == f"/editor/review?deleted={asset_id}"
    assert (await editor.get(url)).status_code == 404
    undo = await editor.get(deleted.headers["location"])
    assert f'action="{url}/undelete"' in undo.text
    assert (await editor.post(f"{url}/undelete")).status_code == 303
    assert (await editor.get(url)).status_code == 200


async def test_clicking_the_picture_or_typing_sets_the_focal_point(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg")  # 640 x 480, shown at 400 x 300
    url = f"/editor/assets/{asset_id}"
    page = await editor.get(url)
    assert '<input type="image" name="image"' in page.text
    assert 'width="400" height="300"' in page.text
    assert '<script type="module" src="/static/js/focal-point.js"></script>' in page.text
    # What a browser sends for a click 100 px across and 75 px down the picture.
    clicked = await editor.post(
        f"{url}/focal-point",
        data={"revision": revision_of(page), "image.x": "100", "image.y": "75"},
    )
    assert clicked.status_code == 303, clicked.text
    asset = await site.asset(asset_id)
    assert (asset.focal_x, asset.focal_y) == (0.25, 0.25)
    page = await editor.get(clicked.headers["location"])
    assert "It is now 25% across and 25% down." in page.text
    typed = await editor.post(
        f"{url}/focal-point",
        data={"revision": revision_of(page), "focal_x": "0.7", "focal_y": "0.1"},
    )
    assert typed.status_code == 303
    asset = await site.asset(asset_id)
    assert (asset.focal_x, asset.focal_y) == (0.7, 0.1)
    page = await editor.get(url)
    # The picture pressed from the keyboard (0, 0) or numbers out of range: explained.
    for data in ({"image.x": "0", "image.y": "0"}, {"focal_x": "2", "focal_y": "0.5"}):
        refused = await editor.post(
            f"{url}/focal-point", data={"revision": revision_of(page), **data}
        )
        assert refused.status_code == 422 and 'href="#focal_x"' in refused.text
    asset = await site.asset(asset_id)
    assert (asset.focal_x, asset.focal_y) == (0.7, 0.1)


def test_the_focal_box_fits_the_picture_in_a_square() -> None:
    portrait = FocalBox.for_version(SimpleNamespace(width=600, height=1200))  # type: ignore[arg-type]
    assert (portrait.width, portrait.height) == (200, 400)


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg", licence="cc0", alt_text="A poster.")
    url = f"/editor/assets/{asset_id}"
    page = await editor.get(url)
    for path, data in (
        (url, {"title": "Hijacked", "revision": revision_of(page)}),
        (f"{url}/publish", {}),
        (f"{url}/delete", {}),
        (f"{url}/focal-point", {"focal_x": "0.1", "focal_y": "0.1", "revision": "1"}),
    ):
        refused = await editor.http.post(path, data=data)
        assert refused.status_code == 403, path
        forged = await editor.http.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 403, path
    multipart = await editor.http.post("/editor/upload", files=_files("sneaky.jpg"))
    assert multipart.status_code == 403
    asset = await site.asset(asset_id)
    assert asset.title == "poster" and asset.status is Status.DRAFT and asset.deleted_at is None
    assert asset.focal_x is None
    with db.activate(http_state(site.app).database):
        assert await Asset.all().count() == 1


async def test_the_editor_chooses_an_overlay_template_for_an_asset(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "poster.jpg")
    page = await editor.get(f"/editor/assets/{asset_id}")
    assert '<option value="" selected>The default design</option>' in page.text
    created = await editor.http.post(
        "/api/v1/templates",
        json={"key": "top-band", "name": "Top band", "document": DEFAULT_TEMPLATE_DOCUMENT},
        headers={"X-CSRF-Token": editor.token},
    )
    assert created.status_code == 201, created.text
    chosen = await editor.post(f"/editor/assets/{asset_id}/template", data={"template": "top-band"})
    assert chosen.status_code == 303 and chosen.headers["location"].endswith("?done=template")
    page = await editor.get(chosen.headers["location"])
    assert '<option value="top-band" selected>Top band</option>' in page.text
    assert (await editor.get(f"/api/v1/assets/{asset_id}/template")).json()["template"]["key"] == (
        "top-band"
    )
    unknown = await editor.post(f"/editor/assets/{asset_id}/template", data={"template": "nope"})
    assert unknown.status_code == 422 and '<a href="#template">Overlay template: no template' in (
        unknown.text
    )
    back = await editor.post(f"/editor/assets/{asset_id}/template", data={"template": ""})
    assert back.status_code == 303
    assert (await editor.get(f"/api/v1/assets/{asset_id}/template")).json()["template"] is None


async def test_versions_can_be_added_and_restored(site: Site, editor: Browser) -> None:
    [asset_id] = await upload(editor, "poster.jpg")
    url = f"/editor/assets/{asset_id}"
    added = await editor.post(
        f"{url}/versions", files=_files("poster-v2.jpg", body=make_jpeg(colour="#00703c"))
    )
    assert added.status_code == 303, added.text
    page = await editor.get(added.headers["location"])
    assert "poster-v2.jpg" in page.text and "2 (current)" in page.text
    assert f'action="{url}/versions/1/restore"' in page.text
    restored = await editor.post(f"{url}/versions/1/restore")
    assert restored.status_code == 303
    page = await editor.get(url)
    assert "3 (current)" in page.text
    missing = await editor.post(f"{url}/versions", files=[("file", ("", b"", "image/jpeg"))])
    assert missing.status_code == 422 and 'href="#version-file"' in missing.text


async def test_consents_are_added_listed_withdrawn_and_shown_when_ending(
    site: Site, editor: Browser
) -> None:
    [asset_id] = await upload(editor, "children.jpg")
    url = f"/editor/assets/{asset_id}"
    today = utcnow().date()
    soon = (today + timedelta(days=10)).isoformat()
    bad = await editor.post(
        f"{url}/consents", data={"reference": "", "given_on": today.isoformat()}
    )
    assert bad.status_code == 422
    assert 'href="#consent-reference"' in bad.text and 'href="#consent-channels"' in bad.text
    added = await editor.post(
        f"{url}/consents",
        data={
            "reference": "FORM-<b>42</b>",
            "channels": ["web", "social"],
            "given_on": today.isoformat(),
            "expires_on": soon,
            "is_child": "yes",
        },
    )
    assert added.status_code == 303, added.text
    page = await editor.get(url)
    assert "FORM-&lt;b&gt;42&lt;/b&gt;" in page.text and "social, web" in page.text
    queue = await editor.get("/editor/review")
    assert "Consents ending in the next 30 days" in queue.text
    assert "FORM-&lt;b&gt;42&lt;/b&gt;" in queue.text and "in 10 days" in queue.text
    with db.activate(http_state(site.app).database):
        consent = await Consent.get(asset_id=asset_id)
        assert consent.is_child and consent.channels == ["social", "web"]
    withdrawn = await editor.post(f"{url}/consents/{consent.id}/withdraw")
    assert withdrawn.status_code == 303
    assert "Withdrawn " in (await editor.get(url)).text
    assert (await site.asset(asset_id)).consent_channels == []


async def test_the_review_queue_shows_licences_ending_soon(site: Site, editor: Browser) -> None:
    ending = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    await upload(editor, "licensed.jpg", licence="cc-by-4.0", licence_expires_at=ending)
    queue = await editor.get("/editor/review")
    assert "Licences ending in the next 30 days" in queue.text
    assert "licensed" in queue.text and "cc-by-4.0" in queue.text
    assert "this licence needs a credit line" in queue.text


async def test_the_audit_log_pages_and_scopes_library_admins(site: Site, editor: Browser) -> None:
    await site.person(Role.LIBRARY_MEMBER, "kent")  # a sign-in event in Kent's part
    leeds_admin = await site.person(Role.LIBRARY_ADMIN, "leeds")
    with db.activate(http_state(site.app).database):
        for n in range(55):
            await AuditEvent.create(action="test_event", actor_email=f"n{n}@example.org")
    page = await editor.get("/editor/audit")
    assert page.status_code == 200 and "test event" in page.text
    assert 'href="/editor/audit?page=2" rel="next"' in page.text
    second = await editor.get("/editor/audit", params={"page": "2"})
    assert 'aria-current="page">2</a>' in second.text
    filtered = await editor.get("/editor/audit", params={"action": "sign_in"})
    assert "test event" not in filtered.text and "sign in" in filtered.text
    scoped = await leeds_admin.get("/editor/audit")
    assert scoped.status_code == 200
    assert "library_admin." in scoped.text  # their own sign-in
    assert "library_member." not in scoped.text and "test event" not in scoped.text
    assert (await editor.get("/editor/audit", params={"page": "x"})).status_code == 400


async def test_user_text_is_escaped_on_every_editor_page(site: Site, editor: Browser) -> None:
    [asset_id] = await upload(
        editor, "x.jpg", tags="<b>bold</b>", alt_text=XSS, credit=XSS, licence="cc0"
    )
    url = f"/editor/assets/{asset_id}"
    page = await editor.get(url)
    saved = await editor.post(
        url, data={"title": XSS, "description": XSS, "revision": revision_of(page)}
    )
    assert saved.status_code == 303, saved.text
    await editor.post(
        f"{url}/consents",
        data={"reference": XSS, "channels": "web", "given_on": "2026-01-01", "expires_on": "x"},
    )
    for path in (url, "/editor/review", "/editor/audit", "/editor/upload"):
        html = (await editor.get(path)).text
        assert "<script>alert(1)</script>" not in html, path
        assert "<img src=x" not in html and "<b>bold" not in html, path
        assert "{{7*7}}" not in html or ">49<" not in html, path
    html = (await editor.get(url)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "{{7*7}}" in html


# ------------------------------------------------------------------ template canaries
# tests/web/test_templates.py renders every template with a canary in every variable; these
# are the contexts for the editor templates (the lead adds them to its CONTEXTS and MACROS).


def editor_template_contexts(canary: str) -> dict[str, dict[str, Any]]:
    """Canary contexts for templates/editor/*.html (every variable set to ``canary``)."""
    now = utcnow()
    asset = SimpleNamespace(
        id=uuid.uuid4(),
        title=canary,
        status=Status.IN_REVIEW,
        campaign=SimpleNamespace(name=canary),
        focal_x=0.25,
        focal_y=0.5,
        artwork=False,
        alt_text=canary,
        created_at=now,
        licence=canary,
        licence_expires_at=now + timedelta(days=3),
    )
    version = SimpleNamespace(
        number=2,
        filename=canary,
        media_type=canary,
        size=1234,
        created_at=now,
        subject_box=None,
        flat_share=0.9,
    )
    names = (
        "title", "description", "tags", "campaign", "kind", "alt_text", "credit", "licence",
        "licence_terms", "licence_expires_at", "language", "embargo_until", "expires_at",
    )  # fmt: skip
    values: dict[str, Any] = {**dict.fromkeys(names, canary), "audience": [canary]}
    pairs = [(canary, canary)]
    choices = {
        "campaigns": pairs,
        "kinds": pairs,
        "licences": pairs,
        "audiences": pairs,
        "channels": pairs,
    }
    errors = {"title": canary, "metadata": canary, "workflow": canary, "file": canary}
    consent = SimpleNamespace(
        id=1,
        asset=asset,
        reference=canary,
        channels=[canary],
        given_on=now.date(),
        expires_on=now.date(),
        is_child=True,
        withdrawn_at=None,
    )
    event = SimpleNamespace(
        at=now,
        actor_email=canary,
        ip=canary,
        action=canary,
        target_type="asset",
        target_id=canary,
        library=SimpleNamespace(name=canary),
        detail={canary: canary, "list": [canary]},
    )
    return {
        "editor/upload.html": {
            "values": {k: v for k, v in values.items() if k not in ("title", "description")},
            "errors": {**errors, "result-1": canary},
            "results": [
                FileResult(canary, asset_id=canary, warnings=[canary], similar=[(canary, canary)]),
                FileResult(canary, error=canary),
            ],
            **choices,
        },
        "editor/asset.html": {
            "asset": asset,
            "version": version,
            "versions": [version, version],
            "consents": [consent],
            "problems": [canary],
            "values": values,
            "errors": {**errors, "version-file": canary},
            "consent_form": {"reference": canary, "channels": [canary], "is_child": True},
            "revision": canary,
            "notice": canary,
            "focal": FocalBox(400, 300),
            "can_focus": True,
            "actions": [(canary, canary)],
            "branded": True,
            "content_editor": canary,
            "content_label": canary,
            "zone": {
                "pages": canary,
                "page_choices": [(canary, canary)],
                "values": {"x": canary, "y": canary, "width": canary, "height": canary},
                "box": {"x": 1, "y": 2, "width": 3, "height": 4},
                "default": True,
                "page_count": 2,
                "aspect": 1.4,
                "form_fields": [canary, "library_name"],
                "fillable": ["library_name"],
            },
            "overlay_choices": [(canary, canary)],
            "overlay": canary,
            **choices,
        },
        "editor/review.html": {
            "waiting": [asset],
            "recent": [asset],
            "expiring_consents": [consent],
            "expiring_licences": [asset],
            "today": now.date(),
            "problems": {asset.id: [canary]},
            "approvers": {asset.id: canary},
            "days_until": lambda day, today: 3,
            "deleted": canary,
            "notice": canary,
        },
        "editor/audit.html": {
            "events": [event],
            "page": 2,
            "pages": 5,
            "action": canary,
            "page_base": f"/editor/audit?action={canary}&",
        },
    }


# For MACROS in test_templates.py: a caller of every macro in templates/editor/fields.html.
EDITOR_MACRO_CALLER = (
    '{% from "editor/fields.html" import text, textarea, select, checkboxes, success, '
    "status_tag, metadata_fields %}"
    "{{ text('f', c, c, {'f': c}, value=c, hint=c) }}"
    "{{ textarea('f', c, c, {'f': c}, value=c, hint=c) }}"
    "{{ select('f', c, c, {'f': c}, [(c, c)], value=c, hint=c, blank=c) }}"
    "{{ checkboxes('f', c, c, {'f': c}, [(c, c)], [c], hint=c) }}"
    "{{ success(c) }}{{ status_tag(c) }}"
)

CANARY = '<script>alert("x")</script>"><img src=x onerror=alert(1)>{{7*7}}'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


@pytest.mark.parametrize("name", sorted(editor_template_contexts(CANARY)))
def test_editor_templates_escape_a_canary_in_every_variable(name: str) -> None:
    account = {
        "principal": SimpleNamespace(email=CANARY, role=SimpleNamespace(value="editor")),
        "csrf_token": CANARY,
        "navigation": [NavItem(CANARY, "/", True)],
    }
    html = templates.env.get_template(name).render(
        {**account, **editor_template_contexts(CANARY)[name]}
    )
    for raw in ("<script>", "<img src=x", '"><img'):
        assert raw not in html, f"{name} let {raw!r} through unescaped"
    assert ESCAPED in html and "{{7*7}}" in html and ">49<" not in html


def test_every_editor_template_has_a_canary_context() -> None:
    names = {
        str(p.relative_to(TEMPLATES_DIR)) for p in Path(TEMPLATES_DIR, "editor").glob("*.html")
    }
    assert names == {*editor_template_contexts(CANARY), "editor/fields.html"}


def test_editor_macros_escape_every_argument() -> None:
    html = templates.env.from_string(EDITOR_MACRO_CALLER).render(c=CANARY)
    for raw in ("<script>", "<img src=x", '"><img'):
        assert raw not in html
    assert ESCAPED in html


async def test_each_file_of_an_upload_keeps_its_own_alt_text_and_title(
    site: Site, editor: Browser
) -> None:
    files = [
        ("file", ("bus.jpg", make_jpeg(colour="#203040"), "image/jpeg")),
        ("file", ("van.jpg", make_jpeg(colour="#405060"), "image/jpeg")),
    ]
    fields = {
        "alt_text": "Shared alt text",
        "alt_text-0": "A blue bus by the library",
        "title-1": "The delivery van",
    }
    page = await editor.post("/editor/upload", data=fields, files=files)
    assert page.status_code == 200, page.text
    ids = re.findall(r'href="/editor/assets/([0-9a-f-]{36})"', page.text)
    assert len(ids) == 2
    with db.activate(http_state(site.app).database):
        first, second = [await Asset.get(id=i) for i in ids]
    assert first.alt_text == "A blue bus by the library" and first.title == "bus"
    assert second.alt_text == "Shared alt text" and second.title == "The delivery van"


async def test_the_duplicate_warning_links_to_the_other_asset_by_its_title(
    site: Site, editor: Browser
) -> None:
    body = make_jpeg(colour="#607080")
    first = await editor.post(
        "/editor/upload", data={"title-0": "Original poster"}, files=_files("a.jpg", body=body)
    )
    assert first.status_code == 200
    original = re.findall(r'href="/editor/assets/([0-9a-f-]{36})"', first.text)[0]
    again = await editor.post("/editor/upload", files=_files("b.jpg", body=body))
    assert f'<a class="govuk-link" href="/assets/{original}">Original poster' in again.text
    assert f"asset {original}" not in again.text  # no raw id for people to read


async def test_without_javascript_each_picture_gets_its_alt_text_after_the_upload(
    site: Site, editor: Browser
) -> None:
    files = [
        ("file", ("one.jpg", make_jpeg(colour="#112233"), "image/jpeg")),
        ("file", ("two.jpg", make_jpeg(colour="#332211"), "image/jpeg")),
    ]
    page = await editor.post("/editor/upload", data={"alt_text": "Same for both"}, files=files)
    assert page.status_code == 200 and 'action="/editor/upload/alt-text"' in page.text
    fields = dict(re.findall(r'name="(revision-[0-9a-f-]{36})" value="(\d+)"', page.text))
    ids = [name.removeprefix("revision-") for name in fields]
    assert len(ids) == 2
    texts = {ids[0]: "A red door", ids[1]: "A green bench"}
    saved = await editor.post(
        "/editor/upload/alt-text", data={**fields, **{f"alt-{i}": t for i, t in texts.items()}}
    )
    assert saved.status_code == 303, saved.text
    with db.activate(http_state(site.app).database):
        for asset_id, text in texts.items():
            assert (await Asset.get(id=asset_id)).alt_text == text
