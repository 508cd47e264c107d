"""Customise-and-download and My library pages: roles, CSRF, forms, conflicts, escaping.

Pages are driven as a browser without JavaScript would: sign in through the form (session
cookie), follow links and submit forms with the CSRF token read from the page.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from PIL import Image

from assets_hub import db
from assets_hub.models import BrandingProfileVersion, DownloadEvent, Role, TakedownNotice, User
from assets_hub.settings import Settings
from assets_hub.web import profile_forms
from assets_hub.web.customise_pages import LOCAL_FIELDS, Choices, read_choices
from assets_hub.web.templating import TEMPLATES_DIR, NavItem, templates
from tests.auth.conftest import PASSWORD_HASH, sign_in
from tests.conftest import PUBLISHABLE, app_client, http_state, make_jpeg, make_user, token_for

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{{7*7}}'
BAND = (0, 112, 60)  # #00703c, Leeds' band colour


@dataclass
class Site:
    """One app: a published photo, Leeds' profile, and a way to open a signed-in browser."""

    http: httpx.AsyncClient
    asset: str
    profile: int
    leeds_id: int

    async def browser(self, email: str) -> httpx.AsyncClient:
        """A separate cookie jar on the same app, signed in through the form."""
        client = httpx.AsyncClient(transport=self.http._transport, base_url="https://testserver")
        signed = await sign_in(client, email)
        assert signed.status_code == 303, signed.text
        return client


async def _user(http: httpx.AsyncClient, role: Role, library: str | None, name: str) -> User:
    return await make_user(
        http, role, library=library, email=f"{name}@example.org", password_hash=PASSWORD_HASH
    )


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with app_client(settings) as http:
        editor = await _user(http, Role.EDITOR, None, "editor")
        admin = await _user(http, Role.LIBRARY_ADMIN, "leeds", "leeds-admin")
        await _user(http, Role.LIBRARY_MEMBER, "leeds", "leeds-member")
        await _user(http, Role.LIBRARY_ADMIN, "kent", "kent-admin")
        await _user(http, Role.ADMIN, None, "admin")
        upload = await http.post(
            "/api/v1/assets",
            headers={"Authorization": f"Bearer {await token_for(http, editor)}"},
            files={"file": ("bus.jpg", make_jpeg((1600, 1200), "#aa3300"), "image/jpeg")},
            data={**PUBLISHABLE, "title": "Library bus"},
        )
        assert upload.status_code == 201, upload.text
        profile = await http.post(
            "/api/v1/libraries/leeds/profiles",
            headers={"Authorization": f"Bearer {await token_for(http, admin)}"},
            json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Central"},
        )
        assert profile.status_code == 201, profile.text
        assert admin.library_id is not None
        yield Site(http, upload.json()["id"], profile.json()["id"], admin.library_id)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _attr(page: str, pattern: str) -> str:
    found = re.search(pattern, page)
    assert found is not None, pattern
    return html.unescape(found.group(1))


def _image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/")
    return Image.open(io.BytesIO(response.content))


def _has_colour(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> bool:
    """Whether a flat area of ``colour`` is in the (lossy) picture."""
    found = image.convert("RGB").getcolors(2**24) or []
    return any(
        count > 50
        and isinstance(c, tuple)
        and all(abs(a - b) <= tolerance for a, b in zip(c, colour, strict=True))
        for count, c in found
    )


# ---- customise and download -------------------------------------------------------------


async def test_customise_without_js_gives_working_preview_and_download_links(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get(
        f"/assets/{site.asset}/customise",
        params=[
            ("profile", str(site.profile)),
            ("preset", "instagram-square"),
            ("preset", "x-post"),
            ("format", ""),
            ("event_title", "Storytime"),
            ("event_date", "Saturday 12 July"),
        ],
    )
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert f'value="{site.profile}" checked' in page.text
    assert 'value="Storytime"' in page.text
    assert '<script type="module" src="/static/js/preview.js"></script>' in page.text
    assert 'aria-live="polite"' in page.text
    preview = _attr(page.text, r'id="preview-image" class="app-preview" src="([^"]+)"')
    assert preview.startswith(f"/api/v1/assets/{site.asset}/render/preview?")
    assert "field.event_title=Storytime" in preview
    with _image(await member.get(preview)) as image:
        assert max(image.size) <= 600 and image.size[0] == image.size[1]
    links = [
        html.unescape(h)
        for h in re.findall(r'href="(/api/v1/assets/[^"]+/render\?[^"]+)"', page.text)
    ]
    assert len(links) == 2
    sizes = {"instagram-square": (1080, 1080), "x-post": (1200, 675)}
    for link in links:
        preset = re.search(r"preset=([\w-]+)", link)
        assert preset is not None
        with _image(await member.get(link)) as image:
            assert image.size == sizes[preset.group(1)]
            colours = {c for _, c in image.convert("RGB").getcolors(2**24) or []}
            assert BAND in colours  # the library's band is in the download
    with db.activate(http_state(site.http).database):
        events = await DownloadEvent.filter(library_id=site.leeds_id)
    assert {e.preset for e in events} == {"instagram-square", "x-post"}
    assert all(e.branded for e in events)


async def test_customise_first_visit_has_defaults(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get(f"/assets/{site.asset}/customise")
    assert page.status_code == 200
    assert f'value="{site.profile}" checked' in page.text  # the default profile
    assert re.search(
        r'id="preset" name="preset" type="checkbox" value="[\w-]+"[^>]* checked', page.text
    )
    assert 'id="preview-image"' in page.text
    for local in LOCAL_FIELDS:
        assert f"Up to {local.limit} characters." in page.text
    # Editors belong to no library: unbranded only.
    editor = await site.browser("editor@example.org")
    unbranded = await editor.get(f"/assets/{site.asset}/customise")
    assert unbranded.status_code == 200
    assert 'value="none" checked' in unbranded.text and "profile=" not in unbranded.text


async def test_customise_errors_are_a_summary_and_inline_not_a_broken_image(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    url = f"/assets/{site.asset}/customise"
    long_title = await member.get(
        url, params={"preset": "instagram-square", "profile": "none", "event_title": "x" * 121}
    )
    assert long_title.status_code == 400
    assert "<title>Error: " in long_title.text
    assert (
        'class="govuk-error-summary"' in long_title.text
        and 'href="#event_title"' in long_title.text
    )
    assert 'id="event_title-error"' in long_title.text
    assert "Event title must be 120 characters or fewer" in long_title.text
    assert 'id="preview-image"' not in long_title.text and "/render?" not in long_title.text
    unknown = await member.get(url, params={"preset": "no-such-size", "profile": "none"})
    assert unknown.status_code == 400 and 'href="#preset"' in unknown.text
    none = await member.get(url, params={"profile": "none", "format": ""})
    assert none.status_code == 400 and "Select at least one size" in none.text
    other = await member.get(url, params={"preset": "instagram-square", "profile": "999"})
    assert other.status_code == 400 and 'href="#profile"' in other.text
    bad_format = await member.get(url, params={"preset": "instagram-square", "format": "gif"})
    assert bad_format.status_code == 400 and 'href="#format"' in bad_format.text


async def test_customise_escapes_what_people_type(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get(
        f"/assets/{site.asset}/customise",
        params={"preset": "instagram-square", "event_title": XSS[:120], "custom": XSS},
    )
    assert "<script>alert(1)</script>" not in page.text
    assert "<img src=x" not in page.text and '"><img' not in page.text
    assert "&lt;script&gt;" in page.text and ">49<" not in page.text
    # In URLs the text is percent-encoded.
    preview = _attr(page.text, r'id="preview-image" class="app-preview" src="([^"]+)"')
    assert "%3Cscript%3E" in preview


def test_read_choices_defaults_and_limits() -> None:
    from starlette.datastructures import QueryParams

    presets = [SimpleNamespace(key="a"), SimpleNamespace(key="b")]
    first = read_choices(QueryParams(""), presets, [])  # type: ignore[arg-type]
    assert first.presets == ["a"] and first.profile == "none" and not first.errors
    too_long = read_choices(
        QueryParams([("preset", "b"), ("event_time", "é" * 41)]),
        presets,  # type: ignore[arg-type]
        [],
    )
    assert set(too_long.errors) == {"event_time"}
    assert isinstance(too_long, Choices)


# ---- My library -------------------------------------------------------------------------


async def test_my_library_is_for_library_staff(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    home = await member.get("/library")
    assert home.status_code == 200 and "Leeds" in home.text
    assert home.headers["cache-control"] == "private, no-store"
    assert f'href="/library/profiles/{site.profile}"' in home.text
    assert 'href="/library/staff"' not in home.text  # members do not manage staff
    assert (await member.get("/library/staff")).status_code == 403
    assert (await member.get("/library/profiles/new")).status_code == 403
    view = await member.get(f"/library/profiles/{site.profile}")
    assert view.status_code == 200 and 'name="version"' not in view.text  # read-only
    assert "Only your library's admins" in view.text
    for email in ("editor@example.org", "admin@example.org"):
        staff = await site.browser(email)
        refused = await staff.get("/library")
        assert refused.status_code == 404 and "for library staff" in refused.text
        assert (await staff.get("/library/downloads")).status_code == 404
    kent = await site.browser("kent-admin@example.org")
    assert (await kent.get(f"/library/profiles/{site.profile}")).status_code == 404
    assert (await kent.get(f"/library/profiles/{site.profile}/preview")).status_code == 404
    anonymous = httpx.AsyncClient(transport=site.http._transport, base_url="https://testserver")
    out = await anonymous.get("/library")
    assert out.status_code == 303 and out.headers["location"].startswith("/signin?next=")


async def test_every_form_carries_the_csrf_token(site: Site) -> None:
    with db.activate(http_state(site.http).database):
        await TakedownNotice.create(
            asset_id=site.asset, library_id=site.leeds_id, reason="consent withdrawn", files=[]
        )
    admin = await site.browser("leeds-admin@example.org")
    for path in (
        "/library",
        "/library/staff",
        "/library/profiles/new",
        f"/library/profiles/{site.profile}",
    ):
        page = await admin.get(path)
        assert page.status_code == 200, path
        forms = re.findall(r"<form [^>]*method=\"post\"[^>]*>(.*?)</form>", page.text, re.S)
        assert len(forms) >= 2, path  # sign-out plus the page's own
        for body in forms:
            assert re.search(r'name="csrf_token" value="[^"]{20,}"', body), path
    refused = await admin.post(f"/library/profiles/{site.profile}", data={"name": "x"})
    assert refused.status_code == 403  # no token: refused before anything changes


async def _save(client: httpx.AsyncClient, profile: int, **changes: str) -> httpx.Response:
    page = await client.get(f"/library/profiles/{profile}")
    data = {
        "csrf_token": _csrf(page.text),
        "version": _attr(page.text, r'name="version" value="(\d+)"'),
        "name": "Main",
        "primary": "#00703c",
        "primary_picker": "#00703c",
        "secondary": "#ffffff",
        "secondary_picker": "#ffffff",
        "text": "#ffffff",
        "text_picker": "#ffffff",
        "font": "sans",
        "library_name": "Leeds Central",
        **changes,
    }
    return await client.post(f"/library/profiles/{profile}", data=data)


async def test_saving_the_form_makes_a_new_version_and_shows_warnings(site: Site) -> None:
    admin = await site.browser("leeds-admin@example.org")
    saved = await _save(admin, site.profile, text="#2a8a5a", website="https://leeds.example")
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/library/profiles/{site.profile}?saved=1"
    page = await admin.get(saved.headers["location"])
    assert "saved as version 2" in page.text
    assert 'class="govuk-warning-text"' in page.text and "contrast" in page.text
    assert 'name="version" value="2"' in page.text
    assert 'value="https://leeds.example"' in page.text
    with db.activate(http_state(site.http).database):
        latest = await BrandingProfileVersion.get(profile_id=site.profile, number=2)
    assert latest.text == "#2a8a5a" and latest.values["website"] == "https://leeds.example"
    # The picker wins when only it was changed (no JavaScript keeps the two in step).
    picked = await _save(admin, site.profile, primary_picker="#d4351c")
    assert picked.status_code == 303
    with db.activate(http_state(site.http).database):
        third = await BrandingProfileVersion.get(profile_id=site.profile, number=3)
    assert third.primary == "#d4351c"


async def test_a_stale_version_says_someone_else_changed_it(site: Site) -> None:
    admin = await site.browser("leeds-admin@example.org")
    page = await admin.get(f"/library/profiles/{site.profile}")
    token = _csrf(page.text)
    assert (await _save(admin, site.profile, name="Newer")).status_code == 303
    stale = await admin.post(
        f"/library/profiles/{site.profile}",
        data={"csrf_token": token, "version": "1", "name": "Older", "font": "sans"},
    )
    assert stale.status_code == 412
    assert "changed by someone else" in stale.text
    assert 'value="Newer"' in stale.text and 'name="version" value="2"' in stale.text
    with db.activate(http_state(site.http).database):
        assert not await BrandingProfileVersion.exists(profile_id=site.profile, number=3)


async def test_bad_values_are_inline_errors(site: Site) -> None:
    admin = await site.browser("leeds-admin@example.org")
    bad = await _save(admin, site.profile, primary="green", qr_url="javascript:alert(1)")
    assert bad.status_code == 422
    assert 'href="#primary"' in bad.text and 'id="primary-error"' in bad.text
    assert 'href="#qr_url"' in bad.text
    assert 'value="green"' in bad.text  # what was typed is kept


async def test_new_profile_through_the_form(site: Site) -> None:
    admin = await site.browser("leeds-admin@example.org")
    page = await admin.get("/library/profiles/new")
    assert 'action="/library/profiles"' in page.text and 'name="version"' not in page.text
    created = await admin.post(
        "/library/profiles",
        data={"csrf_token": _csrf(page.text), "name": XSS[:90], "primary": "#4c2c92"},
    )
    assert created.status_code == 303, created.text
    shown = await admin.get(created.headers["location"])
    assert "&lt;script&gt;" in shown.text and "<script>alert(1)" not in shown.text
    home = await admin.get("/library")
    assert "&lt;script&gt;" in home.text and "<img src=x" not in home.text
    empty = await admin.post("/library/profiles", data={"csrf_token": _csrf(page.text), "name": ""})
    assert empty.status_code == 422 and 'href="#name"' in empty.text


async def test_logo_upload_through_the_page(site: Site) -> None:
    admin = await site.browser("leeds-admin@example.org")
    page = await admin.get(f"/library/profiles/{site.profile}")
    assert 'enctype="multipart/form-data"' in page.text
    logo = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    logo.paste((200, 20, 60, 255), (20, 20, 280, 100))
    out = io.BytesIO()
    logo.save(out, format="PNG")
    form = {"csrf_token": _csrf(page.text), "version": "1"}
    done = await admin.post(
        f"/library/profiles/{site.profile}/logo",
        data=form,
        files={"logo": ("logo.png", out.getvalue(), "image/png")},
    )
    assert done.status_code == 303, done.text
    after = await admin.get(done.headers["location"])
    assert f'src="/api/v1/profiles/{site.profile}/logo"' in after.text
    not_image = await admin.post(
        f"/library/profiles/{site.profile}/logo",
        data={**form, "version": "2"},
        files={"logo": ("logo.png", b"not an image at all", "image/png")},
    )
    assert not_image.status_code in (415, 422)
    assert 'href="#logo"' in not_image.text and 'id="logo-error"' in not_image.text
    forged = await admin.post(
        f"/library/profiles/{site.profile}/logo",
        data={"csrf_token": "forged", "version": "2"},
        files={"logo": ("logo.png", out.getvalue(), "image/png")},
    )
    assert forged.status_code == 403


async def test_profile_preview_follows_unsaved_values(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get(f"/library/profiles/{site.profile}")
    src = _attr(page.text, r'id="profile-preview" class="app-preview" src="([^"]+)"')
    assert src == f"/library/profiles/{site.profile}/preview?asset={site.asset}"
    with _image(await member.get(src)) as image:
        assert max(image.size) <= 600
        assert _has_colour(image, BAND)
    red = await member.get(src + "&primary=%23d4351c")
    assert red.headers["cache-control"] == "private, no-store"
    with _image(red) as image:
        assert _has_colour(image, (212, 53, 28))
    sample = await member.get(f"/library/profiles/{site.profile}/preview")  # no asset: sample
    assert _image(sample).size[0] <= 600
    bad = await member.get(f"/library/profiles/{site.profile}/preview?primary=green")
    assert bad.status_code == 422 and "colour" in bad.json()["error"]


async def test_staff_and_invitations(site: Site) -> None:
    admin = await site.browser("leeds-admin@example.org")
    page = await admin.get("/library/staff")
    assert "leeds-member@example.org" in page.text and "kent-admin" not in page.text
    sent = await admin.post(
        "/library/staff",
        data={"csrf_token": _csrf(page.text), "email": "new@example.org", "role": "library_member"},
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/library/staff?invited=1"
    listed = await admin.get(sent.headers["location"])
    assert "The invitation has been sent" in listed.text and "new@example.org" in listed.text
    with db.activate(http_state(site.http).database):
        user = await User.get(email="new@example.org")
    assert user.library_id == site.leeds_id and user.role is Role.LIBRARY_MEMBER
    bad = await admin.post(
        "/library/staff",
        data={"csrf_token": _csrf(page.text), "email": "not-an-address", "role": "admin"},
    )
    assert bad.status_code == 400 and 'href="#role"' in bad.text
    again = await admin.post(
        "/library/staff",
        data={"csrf_token": _csrf(page.text), "email": "not-an-address", "role": "library_admin"},
    )
    assert again.status_code == 400 and 'href="#email"' in again.text


async def test_takedown_notices_are_marked_done(site: Site) -> None:
    with db.activate(http_state(site.http).database):
        kent = (await User.get(email="kent-admin@example.org")).library_id
        mine = await TakedownNotice.create(
            asset_id=site.asset, library_id=site.leeds_id, reason=XSS, files=["bus.jpg (x-post)"]
        )
        theirs = await TakedownNotice.create(
            asset_id=site.asset, library_id=kent, reason="consent withdrawn", files=[]
        )
    member = await site.browser("leeds-member@example.org")
    home = await member.get("/library")
    assert f'action="/library/notices/{mine.id}/done"' in home.text
    assert "&lt;script&gt;" in home.text and "<script>alert" not in home.text
    token = _csrf(home.text)
    assert (
        await member.post(f"/library/notices/{theirs.id}/done", data={"csrf_token": token})
    ).status_code == 404
    done = await member.post(f"/library/notices/{mine.id}/done", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/library?done=1"
    after = await member.get("/library?done=1")
    assert "marked as done" in after.text and "There are no open takedown notices" in after.text
    with db.activate(http_state(site.http).database):
        assert (await TakedownNotice.get(id=mine.id)).done_at is not None
        assert (await TakedownNotice.get(id=theirs.id)).done_at is None


async def test_download_history_is_newest_first_and_paginated(site: Site) -> None:
    with db.activate(http_state(site.http).database):
        for n in range(30):
            await DownloadEvent.create(
                asset_id=site.asset,
                version=1,
                library_id=site.leeds_id,
                preset="x-post" if n == 29 else "instagram-square",
                branded=n % 2 == 0,
                filename="bus.jpg",
            )
    member = await site.browser("leeds-member@example.org")
    first = await member.get("/library/downloads")
    assert first.status_code == 200 and "30 downloads" in first.text
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td', first.text)
    assert len(rows) == 25
    assert first.text.index("X post") < first.text.index("Instagram square")  # newest first
    assert 'href="/library/downloads?page=2" rel="next"' in first.text
    second = await member.get("/library/downloads?page=2")
    assert len(re.findall(r'<tr class="govuk-table__row">\s*<td', second.text)) == 5
    assert 'aria-current="page">2</a>' in second.text
    home = await member.get("/library")
    assert 'href="/library/downloads">All downloads (30)' in home.text


# ---- templates: a canary in every variable (INJ-01, INJ-02, INJ-05) -----------------------

CANARY = '<script>alert("x")</script>"><img src=x onerror=alert(1)>{{7*7}}'
RAW = ("<script>", "<img src=x", '"><img')


def _view() -> SimpleNamespace:
    profile = SimpleNamespace(id=7, name=CANARY, is_default=True)
    version = SimpleNamespace(
        number=3, logo_key=CANARY, primary="#00703c", secondary="#ffffff", text="#ffffff"
    )
    return SimpleNamespace(profile=profile, version=version, warnings=[CANARY])


def _history() -> SimpleNamespace:
    from datetime import UTC, datetime

    event = SimpleNamespace(
        asset=SimpleNamespace(id=CANARY, title=CANARY),
        preset=CANARY,
        branded=True,
        at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    return SimpleNamespace(events=[event], preset_names={CANARY: CANARY}, page=2, pages=3, total=60)


def _form() -> profile_forms.ProfileForm:
    values = dict.fromkeys(("primary", *profile_forms.PREVIEW_PARAMS), CANARY)
    return profile_forms.ProfileForm(CANARY, values, CANARY, True, 3)


# Contexts for the canary test in tests/web/test_templates.py (the lead merges these there).
LIBRARY_CONTEXTS: dict[str, dict[str, Any]] = {
    "library/customise.html": {
        "asset": SimpleNamespace(id=CANARY, title=CANARY),
        "profiles": [_view()],
        "sizes": [SimpleNamespace(key=CANARY, name=CANARY, width=1, height=2, checked=True)],
        "formats": [(CANARY, CANARY)],
        "local_fields": LOCAL_FIELDS,
        "choices": SimpleNamespace(
            profile="7", format=CANARY, fields={f.name: CANARY for f in LOCAL_FIELDS}
        ),
        "errors": {"preset": CANARY, "event_title": CANARY},
        "links": [SimpleNamespace(key=CANARY, name=CANARY, width=1, height=2, href=CANARY)],
        "preview_url": CANARY,
        "preview_name": CANARY,
    },
    "library/home.html": {
        "library": SimpleNamespace(name=CANARY),
        "profiles": [_view()],
        "notices": [
            SimpleNamespace(
                id=1,
                asset=SimpleNamespace(title=CANARY),
                reason=CANARY,
                files=[CANARY],
                created_at=_history().events[0].at,
            )
        ],
        "history": _history(),
        "is_admin": True,
        "done": True,
    },
    "library/downloads.html": {"library": SimpleNamespace(name=CANARY), "history": _history()},
    "library/_history_table.html": {"history": _history(), "caption": CANARY},
    "library/staff.html": {
        "library": SimpleNamespace(name=CANARY),
        "users": [
            SimpleNamespace(
                email=CANARY, role=SimpleNamespace(value=CANARY), is_active=True, password_hash=""
            )
        ],
        "roles": [(CANARY, CANARY, CANARY)],
        "errors": {"email": CANARY, "role": CANARY},
        "values": {"email": CANARY, "role": CANARY},
        "invited": True,
    },
    "library/profile.html": {
        "library": SimpleNamespace(name=CANARY),
        "view": _view(),
        "form": _form(),
        "errors": {"primary": CANARY, "logo": CANARY},
        "conflict": True,
        "saved": True,
        "can_edit": True,
        "fonts": [(CANARY, CANARY)],
        "colours": profile_forms.COLOURS,
        "text_fields": profile_forms.TEXT_FIELDS,
        "sample_url": CANARY,
    },
}


def test_every_library_template_has_a_canary_context() -> None:
    names = {
        str(p.relative_to(TEMPLATES_DIR)) for p in Path(TEMPLATES_DIR, "library").glob("*.html")
    }
    assert names == set(LIBRARY_CONTEXTS)


@pytest.mark.parametrize("name", sorted(LIBRARY_CONTEXTS))
def test_library_templates_escape_a_canary_everywhere(name: str) -> None:
    account = {
        "principal": SimpleNamespace(email=CANARY, role=SimpleNamespace(value="library_admin")),
        "csrf_token": CANARY,
        "navigation": [NavItem(CANARY, "/", True)],
    }
    out = templates.env.get_template(name).render({**account, **LIBRARY_CONTEXTS[name]})
    for raw in RAW:
        assert raw not in out, f"{name} let {raw!r} through"
    assert "&lt;script&gt;" in out and "{{7*7}}" in out and ">49<" not in out
    # The profile form's read-only view (members) escapes too.
    if name == "library/profile.html":
        member = templates.env.get_template(name).render(
            {**account, **LIBRARY_CONTEXTS[name], "can_edit": False}
        )
        assert not any(raw in member for raw in RAW)
