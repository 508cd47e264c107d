"""Campaign pages, the social post grab page and the home page: roles, refusals, escaping,
filled captions, limit warnings and the pack form.

Pages are driven as a browser without JavaScript would: sign in through the form (session
cookie), follow links and submit GET forms with the values read from the page.
"""

from __future__ import annotations

import html
import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from assets_hub import db
from assets_hub.models import Asset, Role, TakedownNotice, User
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings
from assets_hub.social.platforms import PLATFORMS
from assets_hub.web.campaign_pages import (
    NOT_LIBRARY_STAFF,
    CampaignItem,
    PostImageView,
    Problem,
    ProfileChoice,
    Tab,
    pack_url,
)
from tests.auth.conftest import PASSWORD_HASH, sign_in
from tests.conftest import PUBLISHABLE, app_client, http_state, make_jpeg, make_user, token_for

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{{7*7}}'
LONG_NAME = "The Very " + "Long " * 60 + "Library"


@dataclass
class Site:
    """One app: a campaign with a published photo and post, Leeds' profile, signed-in tabs."""

    http: httpx.AsyncClient
    image: str
    post: str
    profile: int
    leeds_id: int
    editor_auth: dict[str, str]
    admin_auth: dict[str, str]

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


async def make_post(http: httpx.AsyncClient, auth: dict[str, str], image: str, **extra: Any) -> str:
    """A published social post over ``image`` in the Libraries Week campaign."""
    body = {
        "title": "Libraries Week post",
        "campaign": "libraries-week",
        "licence": "own-work",
        "captions": {"default": "Pop into {library_name} this #LibrariesWeek: {website}"},
        "hashtags": ["LibrariesWeek"],
        "link": "https://librariesweek.example.org",
        "images": [{"asset_id": image, "alt": "The {library_name} bus"}],
        **extra,
    }
    created = await http.post("/api/v1/posts", json=body, headers=auth)
    assert created.status_code == 201, created.text
    post_id: str = created.json()["id"]
    published = await http.post(f"/api/v1/assets/{post_id}/publish", headers=auth)
    assert published.status_code == 200, published.text
    return post_id


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with app_client(settings) as http:
        editor = await _user(http, Role.EDITOR, None, "editor")
        admin = await _user(http, Role.LIBRARY_ADMIN, "leeds", "leeds-admin")
        await _user(http, Role.LIBRARY_MEMBER, "leeds", "leeds-member")
        await _user(http, Role.LIBRARY_MEMBER, "kent", "kent-member")
        await _user(http, Role.ADMIN, None, "admin")
        editor_auth = {"Authorization": f"Bearer {await token_for(http, editor)}"}
        admin_auth = {"Authorization": f"Bearer {await token_for(http, admin)}"}
        campaign = await http.post(
            "/api/v1/campaigns",
            json={"slug": "libraries-week", "name": "Libraries Week", "description": XSS},
            headers=editor_auth,
        )
        assert campaign.status_code == 201, campaign.text
        profile = await http.post(
            "/api/v1/libraries/leeds/profiles",
            json={
                "name": "Main",
                "primary": "#00703c",
                "library_name": "Leeds Central Library",
                "website": "https://leeds.example.org",
            },
            headers=admin_auth,
        )
        assert profile.status_code == 201, profile.text
        image = await http.post(
            "/api/v1/assets",
            data={
                **PUBLISHABLE,
                "title": "Bus at the fair",
                "campaign": "libraries-week",
                "licence": "cc-by-4.0",
                "credit": "Photo: A. Photographer",
            },
            files={"file": ("bus.jpg", make_jpeg((1600, 1200), "#884422"), "image/jpeg")},
            headers=editor_auth,
        )
        assert image.status_code == 201, image.text
        post = await make_post(http, editor_auth, image.json()["id"])
        assert admin.library_id is not None
        yield Site(
            http,
            image.json()["id"],
            post,
            profile.json()["id"],
            admin.library_id,
            editor_auth,
            admin_auth,
        )


def _attr(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found is not None, pattern
    return html.unescape(found.group(1))


def _textarea(page: str, element_id: str) -> str:
    return _attr(page, rf'<textarea [^>]*id="{element_id}"[^>]*>(.*?)</textarea>')


# ---- campaign page and pack form ---------------------------------------------------------


async def test_campaign_page_lists_assets_posts_and_the_pack_form(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    listing = await member.get("/campaigns")
    assert listing.status_code == 200
    assert 'href="/campaigns/libraries-week"' in listing.text
    page = await member.get("/campaigns/libraries-week")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert f'href="/assets/{site.image}"' in page.text and "Bus at the fair" in page.text
    assert f'src="/api/v1/assets/{site.image}/thumbnail"' in page.text
    assert f'href="/posts/{site.post}?profile={site.profile}"' in page.text
    assert "captions.txt" in page.text and "README.txt" in page.text
    assert 'action="/campaigns/libraries-week/pack"' in page.text
    assert f'<option value="{site.profile}" selected>' in page.text
    assert 'name="preset" type="checkbox"' in page.text
    assert (await member.get("/campaigns/no-such-campaign")).status_code == 404


async def test_the_campaign_list_counts_only_what_each_person_may_use(site: Site) -> None:
    draft = await site.http.post(
        "/api/v1/assets",
        data={"title": "Work in progress", "campaign": "libraries-week"},
        files={"file": ("draft.jpg", make_jpeg((800, 600), "#224488"), "image/jpeg")},
        headers=site.editor_auth,
    )
    assert draft.status_code == 201, draft.text
    member = await site.browser("leeds-member@example.org")
    editor = await site.browser("editor@example.org")
    seen = (await member.get("/campaigns")).text
    assert "2 items you can use" in seen  # the photo and the post; never the draft
    assert "3 items you can use" in (await editor.get("/campaigns")).text


async def test_the_pack_form_gives_a_valid_zip(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get("/campaigns/libraries-week")
    action = _attr(page.text, r'<form method="get" action="([^"]+)"')
    profile = _attr(page.text, r'<option value="(\d+)" selected>')
    form = {"profile": profile, "preset": ["instagram-square", "x-post"]}
    redirect = await member.get(action, params=form)
    assert redirect.status_code == 303, redirect.text
    location = redirect.headers["location"]
    assert location == pack_url("libraries-week", site.profile, ["instagram-square", "x-post"])
    assert dict(parse_qsl(urlsplit(location).query))["presets"] == "instagram-square,x-post"
    pack = await member.get(location)
    assert pack.status_code == 200, pack.text
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert {"README.txt", "captions.txt", "alt-text.txt", "credits.txt"} <= set(names)
        assert any(n.startswith("instagram-square/") for n in names)
        assert any(n.startswith("x-post/") for n in names)
        assert "Leeds Central Library" in archive.read("captions.txt").decode()


async def test_pack_form_errors_are_a_summary_not_a_broken_download(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    url = "/campaigns/libraries-week/pack"
    none = await member.get(url, params={"profile": str(site.profile)})
    assert none.status_code == 400 and 'href="#preset"' in none.text
    assert "Select at least one size" in none.text and "<title>Error: " in none.text
    unknown = await member.get(url, params={"profile": str(site.profile), "preset": "nope"})
    assert unknown.status_code == 400 and 'id="preset-error"' in unknown.text
    kent = await site.browser("kent-member@example.org")
    other = await kent.get(url, params={"profile": str(site.profile), "preset": "x-post"})
    assert other.status_code == 400 and 'href="#profile"' in other.text


# ---- grab page ------------------------------------------------------------------------------


async def test_grab_page_shows_the_filled_caption_alt_text_and_downloads(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get(f"/posts/{site.post}", params={"platform": "x"})
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "private, no-store"
    caption = _textarea(page.text, "caption")
    assert caption.startswith("Pop into Leeds Central Library this #LibrariesWeek")
    assert "Photo: A. Photographer" in caption  # the licence's credit line
    assert _textarea(page.text, "alt-1") == "The Leeds Central Library bus"
    assert re.search(r'<textarea [^>]*id="caption"[^>]*readonly', page.text)
    assert 'data-copy="caption"' in page.text and 'data-copy="alt-1"' in page.text
    assert '<script type="module" src="/static/js/copy.js"></script>' in page.text
    assert 'role="status" aria-live="polite"' in page.text
    assert 'id="limit-problems"' not in page.text
    # One tab per platform; the selected one is the current page.
    for key in PLATFORMS:
        assert f"platform={key}" in page.text
    assert re.search(r'platform=x&amp;profile=\d+#post-panel" aria-current="page"', page.text)
    preview = _attr(page.text, r'<img class="app-preview" src="([^"]+)"')
    assert preview.startswith(f"/api/v1/assets/{site.image}/render/preview?preset=x-post")
    image = await member.get(preview)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    download = _attr(page.text, rf'href="(/api/v1/assets/{site.image}/render\?[^"]+)"')
    rendered = await member.get(download)
    assert rendered.status_code == 200 and rendered.headers["x-rendition-width"] == "1200"
    zip_url = _attr(page.text, r'href="([^"]+)" id="download-everything"')
    grabbed = await member.get(zip_url)
    assert grabbed.status_code == 200, grabbed.text
    with zipfile.ZipFile(io.BytesIO(grabbed.content)) as archive:
        assert archive.testzip() is None and "captions.txt" in archive.namelist()


async def test_a_long_library_name_is_reported_with_the_overflow_never_cut(site: Site) -> None:
    changed = await site.http.patch(
        f"/api/v1/profiles/{site.profile}",
        json={"library_name": LONG_NAME},
        headers=site.admin_auth,
    )
    assert changed.status_code == 200, changed.text
    member = await site.browser("leeds-member@example.org")
    page = await member.get(f"/posts/{site.post}", params={"platform": "x"})
    assert page.status_code == 200, page.text
    caption = _textarea(page.text, "caption")
    assert LONG_NAME in caption and caption.endswith("Photo: A. Photographer")  # whole
    warning = _attr(page.text, r'(<div class="govuk-warning-text" id="limit-problems">.*?</div>)')
    found = re.search(r"X: caption is (\d+) characters, (\d+) over the limit of 280", warning)
    assert found is not None, warning
    assert int(found.group(1)) - 280 == int(found.group(2)) > 0
    assert f"(remove {found.group(2)})" in warning
    # Instagram allows 2,200 characters: no warning there.
    instagram = await member.get(f"/posts/{site.post}", params={"platform": "instagram"})
    assert 'id="limit-problems"' not in instagram.text


async def test_grab_page_profiles_and_refusals(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    # Not a post, unknown platform, another library's profile.
    assert (await member.get(f"/posts/{site.image}")).status_code == 404
    assert (await member.get(f"/posts/{uuid.uuid4()}")).status_code == 404
    assert (await member.get(f"/posts/{site.post}?platform=myspace")).status_code == 404
    kent = await site.browser("kent-member@example.org")
    other = await kent.get(f"/posts/{site.post}", params={"profile": str(site.profile)})
    assert other.status_code == 400 and 'href="#profile"' in other.text
    assert 'id="caption"' not in other.text
    assert "Leeds Central Library" not in other.text
    # Kent has no profile: a clear message, no caption.
    plain = await kent.get(f"/posts/{site.post}")
    assert plain.status_code == 200 and "no branding profile" in plain.text
    # Editors have no library: told so; they may preview with a library's profile.
    editor = await site.browser("editor@example.org")
    bare = await editor.get(f"/posts/{site.post}")
    assert bare.status_code == 200 and NOT_LIBRARY_STAFF in html.unescape(bare.text)
    assert 'id="caption"' not in bare.text
    assert f'<option value="{site.profile}">Leeds: Main</option>' in bare.text
    previewed = await editor.get(f"/posts/{site.post}", params={"profile": str(site.profile)})
    assert previewed.status_code == 200
    assert "Leeds Central Library" in _textarea(previewed.text, "caption")
    # Drafts are not shown to library staff; anonymous visitors sign in first.
    draft = await site.http.post(
        "/api/v1/posts",
        json={"title": "Draft post", "captions": {"default": "Soon"}},
        headers=site.editor_auth,
    )
    assert (await member.get(f"/posts/{draft.json()['id']}")).status_code == 404
    anonymous = httpx.AsyncClient(transport=site.http._transport, base_url="https://testserver")
    for path in ("/home", "/campaigns", "/campaigns/libraries-week", f"/posts/{site.post}"):
        out = await anonymous.get(path)
        assert out.status_code == 303 and out.headers["location"].startswith("/signin?next=")


async def test_user_text_is_escaped_everywhere(site: Site) -> None:
    image = await site.http.post(
        "/api/v1/assets",
        data={**PUBLISHABLE, "title": XSS[:190], "campaign": "libraries-week"},
        files={"file": ("x.jpg", make_jpeg((800, 600), "#123456"), "image/jpeg")},
        headers=site.editor_auth,
    )
    assert image.status_code == 201, image.text
    post = await make_post(
        site.http,
        site.editor_auth,
        image.json()["id"],
        title=XSS[:190],
        captions={"default": "Hello " + XSS.replace("{{7*7}}", "") + " {library_name}"},
    )
    member = await site.browser("leeds-member@example.org")
    for path in ("/campaigns", "/campaigns/libraries-week", f"/posts/{post}", "/home"):
        page = await member.get(path)
        assert page.status_code == 200, (path, page.text)
        assert "<script>alert(1)" not in page.text, path
        assert "<img src=x" not in page.text and '"><img' not in page.text, path
        assert ">49<" not in page.text, path
    grab = await member.get(f"/posts/{post}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in grab.text
    assert XSS.replace("{{7*7}}", "") in _textarea(grab.text, "caption")  # verbatim to copy


# ---- home ---------------------------------------------------------------------------------


async def test_home_for_library_staff(site: Site) -> None:
    with db.activate(http_state(site.http).database):
        await TakedownNotice.create(
            asset_id=site.image, library_id=site.leeds_id, reason="consent withdrawn", files=[]
        )
    member = await site.browser("leeds-member@example.org")
    await member.get(f"/api/v1/assets/{site.image}/render?preset=x-post&profile={site.profile}")
    home = await member.get("/home")
    assert home.status_code == 200, home.text
    assert home.headers["cache-control"] == "private, no-store"
    assert "Leeds" in home.text
    assert 'href="/campaigns/libraries-week">Libraries Week</a>' in home.text
    assert "1 open takedown notice." in home.text and 'href="/library#notices"' in home.text
    assert "Bus at the fair" in home.text  # the recent download
    assert "Awaiting review" not in home.text


async def test_home_for_editors(site: Site) -> None:
    draft = await site.http.post(
        "/api/v1/assets",
        data={**PUBLISHABLE, "title": "Unfinished poster", "status": "draft"},
        files={"file": ("d.jpg", make_jpeg((800, 600), "#010203"), "image/jpeg")},
        headers=site.editor_auth,
    )
    assert draft.status_code == 201, draft.text
    with db.activate(http_state(site.http).database):
        await Asset.filter(id=site.image).update(licence_expires_at=utcnow() + timedelta(days=10))
    for email in ("editor@example.org", "admin@example.org"):
        editor = await site.browser(email)
        home = await editor.get("/home")
        assert home.status_code == 200, home.text
        assert "Awaiting review" in home.text
        assert f'href="/editor/assets/{draft.json()["id"]}">Unfinished poster</a>' in home.text
        expiring = home.text.split('id="expiring"')[1].split('id="newest"')[0]
        assert "Bus at the fair" in expiring and "licence ends" in expiring
        assert "Takedown notices" not in home.text


# ---- canary contexts for tests/web/test_templates.py ----------------------------------------


def campaign_template_contexts(canary: str) -> dict[str, dict[str, Any]]:
    """Every template of these pages with ``canary`` in each variable (INJ-02)."""
    campaign = SimpleNamespace(id=1, slug=canary, name=canary, description=canary)
    asset = SimpleNamespace(
        id=uuid.uuid4(),
        title=canary,
        kind=canary,
        status=canary,
        campaign=campaign,
        created_at=utcnow(),
        consent_expires_at=utcnow(),
        licence_expires_at=utcnow(),
    )
    preset = SimpleNamespace(key=canary, name=canary, width=1080, height=1080)
    profiles = [ProfileChoice(1, canary, True), ProfileChoice(2, canary, False)]
    rules = SimpleNamespace(key=canary, label=canary, caption_max=280)
    filled = SimpleNamespace(caption=canary)
    image = PostImageView(1, canary, canary, False, canary, canary, 600, 600)
    history = SimpleNamespace(
        events=[
            SimpleNamespace(asset=asset, preset=canary, branded=True, at=utcnow()),
        ],
        preset_names={canary: canary},
        total=1,
    )
    return {
        "campaigns/list.html": {"campaigns": [campaign], "counts": {1: 3}},
        "campaigns/campaign.html": {
            "campaign": campaign,
            "assets": [CampaignItem(asset, False, True)],  # type: ignore[arg-type]
            "posts": [CampaignItem(asset, True, False)],  # type: ignore[arg-type]
            "profiles": profiles,
            "profile": 1,
            "presets": [preset],
            "picked": {canary},
            "library_staff": False,
            "not_library_staff": canary,
            "errors": {"profile": canary, "preset": canary},
            "readiness": {"rendered": canary, "due": canary},
        },
        "posts/grab.html": {
            "asset": asset,
            "tabs": [Tab(canary, canary, canary, True), Tab("x", canary, canary, False)],
            "rules": rules,
            "profiles": profiles,
            "profile": 1,
            "library_staff": False,
            "not_library_staff": canary,
            "errors": {"profile": canary},
            "fill_error": "",
            "filled": filled,
            "caption_length": 300,
            "problems": [Problem(canary, 20)],
            "alt_missing": [2],
            "images": [image],
            "zip_url": canary,
        },
        "home/home.html": {
            "library_staff": True,
            "library": SimpleNamespace(name=canary),
            "campaigns": [SimpleNamespace(campaign=campaign, published_at=utcnow())],
            "notice_count": 2,
            "history": history,
            # The editors' half of the page (rendered by test_home_escapes_the_editor_half).
            "in_review_count": 1,
            "draft_count": 2,
            "awaiting": [asset],
            "expiring": [asset],
            "newest": [asset],
            "window_days": 30,
        },
    }


def test_home_escapes_the_editor_half() -> None:
    from assets_hub.web.templating import templates

    canary = XSS
    context = campaign_template_contexts(canary)["home/home.html"] | {"library_staff": False}
    context |= {"principal": None, "csrf_token": "", "navigation": []}
    page = templates.env.get_template("home/home.html").render(context)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(1)") >= 3
