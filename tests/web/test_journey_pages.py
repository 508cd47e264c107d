"""Every kind of asset has its page (issue 16): case studies as HTML with branded PDF and
.docx downloads, posts with their images and grab page, and the caption staff copy complete
(hashtags and link) with no raw ``{placeholders}`` where people read.

Driven as a browser without JavaScript: sign in through the form, follow the page's links.
"""

from __future__ import annotations

import html
import re
from typing import Any

from tests.auth.conftest import csrf_token
from tests.web.test_campaign_pages import Site, make_post, site

__all__ = ["site"]  # the fixture, shared with the campaign page tests


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


async def _case_study(site: Site) -> str:
    created = await site.http.post(
        "/api/v1/case-studies",
        json={
            "title": "Reading friends in Leeds",
            "campaign": "libraries-week",
            "licence": "own-work",
            "library_featured": "Leeds Central Library",
            "summary": "Volunteers read with older people every week.",
            "body_markdown": "## What we did\n\nWe paired **forty** volunteers with readers.",
            "pull_quote": "It gave me my Thursdays back.",
            "pull_quote_by": "A reader",
            "figures": [{"label": "Volunteers", "value": "40"}],
            "images": [{"asset_id": site.image, "caption": "The bus at the fair"}],
        },
        headers=site.editor_auth,
    )
    assert created.status_code == 201, created.text
    study_id: str = created.json()["id"]
    published = await site.http.post(f"/api/v1/assets/{study_id}/publish", headers=site.editor_auth)
    assert published.status_code == 200, published.text
    return study_id


async def test_a_case_study_has_its_page_with_branded_pdf_and_docx(site: Site) -> None:
    study = await _case_study(site)
    member = await site.browser("leeds-member@example.org")
    page = await member.get(f"/assets/{study}")
    assert page.status_code == 200, page.text
    assert "It gave me my Thursdays back." in page.text
    assert "<strong>forty</strong>" in page.text
    assert f'src="/api/v1/assets/{site.image}/preview"' in page.text
    links = _links(page.text)
    pdf = f"/api/v1/assets/{study}/render?format=pdf&profile={site.profile}"
    docx = f"/api/v1/assets/{study}/render?format=docx&profile={site.profile}"
    assert pdf in links and docx in links
    got_pdf = await member.get(pdf)
    assert got_pdf.status_code == 200, got_pdf.text
    assert got_pdf.content.startswith(b"%PDF")
    got_docx = await member.get(docx)
    assert got_docx.status_code == 200, got_docx.text
    assert got_docx.content.startswith(b"PK")
    editor = await site.browser("editor@example.org")
    edit = await editor.get(f"/editor/assets/{study}")
    assert edit.status_code == 200, edit.text
    assert f"/editor/case-studies/{study}" in _links(edit.text)


async def test_a_post_has_its_page_with_images_and_the_way_to_its_grab_page(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get(f"/assets/{site.post}")
    assert page.status_code == 200, page.text
    assert f"/posts/{site.post}" in _links(page.text)
    assert f'src="/api/v1/assets/{site.image}/thumbnail"' in page.text
    assert 'alt="The [library name] bus"' in page.text
    assert "{library_name}" not in page.text and "{website}" not in page.text
    editor = await site.browser("editor@example.org")
    edit = await editor.get(f"/editor/assets/{site.post}")
    assert edit.status_code == 200, edit.text
    assert f"/editor/posts/{site.post}" in _links(edit.text)


async def test_search_shows_a_post_without_raw_placeholders(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get("/", params={"q": "Libraries Week post"})
    assert page.status_code == 200
    assert "Libraries Week post" in page.text
    assert "{library_name}" not in page.text and "{website}" not in page.text
    assert "[library name]" in page.text


async def test_the_staff_copy_holds_the_hashtags_and_the_link(site: Site) -> None:
    post = await make_post(
        site.http,
        site.editor_auth,
        site.image,
        title="Hashtag post",
        captions={"default": "Pop into {library_name} this week."},
        hashtags=["LibrariesWeek", "ReadMore"],
        link="https://librariesweek.example.org/visit",
    )
    member = await site.browser("leeds-member@example.org")
    for platform, sep in (("x", " "), ("instagram", "\n\n")):
        grab = await member.get(f"/posts/{post}", params={"platform": platform})
        assert grab.status_code == 200, grab.text
        caption = html.unescape(
            re.search(r'<textarea [^>]*id="caption"[^>]*>(.*?)</textarea>', grab.text, re.S)[1]  # type: ignore[index]
        )
        assert caption.startswith("Pop into Leeds Central Library this week.")
        assert "https://librariesweek.example.org/visit" in caption
        assert f"https://librariesweek.example.org/visit{sep}#LibrariesWeek #ReadMore" in caption
        api = await member.get(
            f"/api/v1/posts/{post}", params={"platform": platform, "profile": site.profile}
        )
        assert api.json()["caption"] == caption.strip() or api.json()["caption"] == caption
    threads = await member.get(
        f"/api/v1/posts/{post}", params={"platform": "threads", "profile": site.profile}
    )
    assert "#LibrariesWeek" in threads.json()["caption"]
    assert "#ReadMore" not in threads.json()["caption"]  # Threads takes one topic tag


# ---- the editors for case studies and posts ---------------------------------------------


async def test_an_editor_writes_a_case_study_in_the_pages(site: Site) -> None:
    editor = await site.browser("editor@example.org")
    token = await csrf_token(editor)
    form = await editor.get("/editor/case-studies/new")
    assert form.status_code == 200 and 'name="body_markdown"' in form.text
    refused = await editor.post(
        "/editor/case-studies/new",
        data={"csrf_token": token, "title": "", "summary": "Typed text stays"},
    )
    assert refused.status_code == 422, refused.text
    assert "govuk-error-summary" in refused.text and 'href="#title"' in refused.text
    assert "Typed text stays" in refused.text
    made = await editor.post(
        "/editor/case-studies/new",
        data={
            "csrf_token": token,
            "title": "Storytime at Leeds",
            "campaign": "libraries-week",
            "licence": "own-work",
            "library_featured": "Leeds Central Library",
            "summary": "Toddlers and parents every Monday.",
            "body_markdown": "## How\n\nSongs and **stories**.",
            "pull_quote": "My son asks for it every week.",
            "figure-1-label": "Families",
            "figure-1-value": "120",
            "image-1": site.image,
            "image-1-caption": "The bus",
        },
    )
    assert made.status_code == 303, made.text
    asset_id = made.headers["location"].split("/")[3].split("?")[0]
    edit = await editor.get(f"/editor/case-studies/{asset_id}")
    assert "Songs and **stories**." in html.unescape(edit.text)
    revision = re.search(r'name="revision" value="(\d+)"', edit.text)[1]  # type: ignore[index]
    saved = await editor.post(
        f"/editor/case-studies/{asset_id}",
        data={
            "csrf_token": token,
            "revision": revision,
            "title": "Storytime at Leeds",
            "summary": "Toddlers and parents every Monday and Friday.",
            "body_markdown": "## How\n\nSongs and **stories**.",
            "figure-1-label": "Families",
            "figure-1-value": "150",
        },
    )
    assert saved.status_code == 303, saved.text
    page = await editor.get(f"/assets/{asset_id}")
    assert "Monday and Friday" in page.text and "150" in page.text


async def test_an_editor_makes_a_post_with_hashtags_and_errors_on_fields(site: Site) -> None:
    editor = await site.browser("editor@example.org")
    token = await csrf_token(editor)
    form = await editor.get("/editor/posts/new")
    assert form.status_code == 200
    assert 'data-counting="x-weighted"' in form.text and 'name="window_start-day"' in form.text
    base = {
        "csrf_token": token,
        "title": "Week post",
        "campaign": "libraries-week",
        "licence": "own-work",
        "caption-default": "Visit {library_name} https://example.org/x",
        "hashtags": "#LibrariesWeek ReadMore",
        "link": "ftp://wrong",
        "image-1": site.image,
        "image-1-alt": "The {library_name} bus",
        "window_start-day": "31",
        "window_start-month": "2",
        "window_start-year": "2027",
    }
    refused = await editor.post("/editor/posts/new", data=base)
    assert refused.status_code == 422
    assert 'href="#window_start-day"' in refused.text and "real date" in refused.text
    base.update({"window_start-day": "1", "window_start-month": "3"})
    refused = await editor.post("/editor/posts/new", data=base)
    assert refused.status_code == 422
    assert 'href="#link"' in refused.text and 'id="link-error"' in refused.text
    # X counts a link as 23: "Visit  " (the {library_name} left out) + 23, then the post's
    # link on its own line as typed ("ftp://…" is no link to X): 7 + 23 + 2 + 11.
    assert re.search(
        r'data-platform="x"[^>]*>X: <span class="app-counts__n">43</span>', refused.text
    )
    base["link"] = "https://librariesweek.example.org"
    made = await editor.post("/editor/posts/new", data=base)
    assert made.status_code == 303, made.text
    post_id = made.headers["location"].split("/")[3].split("?")[0]
    published = await site.http.post(f"/api/v1/assets/{post_id}/publish", headers=site.editor_auth)
    assert published.status_code == 200, published.text
    member = await site.browser("leeds-member@example.org")
    grab = await member.get(f"/posts/{post_id}", params={"platform": "x"})
    caption = html.unescape(re.search(r'id="caption"[^>]*>(.*?)</textarea>', grab.text, re.S)[1])  # type: ignore[index]
    assert "#LibrariesWeek #ReadMore" in caption and "Leeds Central Library" in caption


def journey_template_contexts(canary: str) -> dict[str, dict[str, Any]]:
    """Canary contexts for this issue's templates (tests/web/test_templates.py)."""
    from types import SimpleNamespace

    from assets_hub.services.visibility import utcnow
    from assets_hub.social.platforms import PLATFORMS
    from assets_hub.web.content_forms import PlatformCount, case_study_values, post_values

    asset = SimpleNamespace(id=canary, title=canary, revision=1)
    choices = {
        "campaigns": [(canary, canary)],
        "licences": [(canary, canary)],
        "images": [(canary, canary)],
    }
    study = dict.fromkeys(case_study_values(None, None), canary)
    post = dict.fromkeys(post_values(None, None, dict(PLATFORMS)), canary)
    count = PlatformCount("x", canary, canary, 280, 300)
    token = SimpleNamespace(
        id=1, name=canary, prefix=canary, last_used_at=None, revoked_at=None, created_at=utcnow()
    )
    return {
        "account/tokens.html": {
            "tokens": [token],
            "new_token": canary,
            "values": {"name": canary, "expires_days": canary},
            "errors": {"name": canary},
            "notice": canary,
        },
        "feeds/tokens.html": {
            "feeds": [token],
            "new_token": canary,
            "base_url": canary,
            "values": {"name": canary},
            "errors": {"name": canary},
            "notice": canary,
        },
        "search/synonyms.html": {"text": canary, "errors": {"synonyms": canary}, "notice": canary},
        "content/case_study.html": {
            "asset": None,
            "values": study,
            "errors": dict.fromkeys(("content", "title", "image-1", "figure-1-label"), canary),
            "revision": canary,
            "figure_rows": range(1, 3),
            "image_rows": range(1, 3),
            **choices,
        },
        "content/post.html": {
            "asset": asset,
            "values": post,
            "errors": dict.fromkeys(("content", "caption-default", "window_start-day"), canary),
            "revision": canary,
            "platforms": dict(PLATFORMS),
            "counts": {"default": [count], "x": [count]},
            "image_rows": range(1, 3),
            "counts_list": None,  # the template's own macros (defined in it, so shadowed)
            "date_input": None,
            **choices,
        },
    }


# ---- customise: what the preview shows is what downloads ---------------------------------

LONG_EVENT = {
    "event_title": "Grand opening of the refurbished children's library " * 2,  # 106
    "event_date": "Saturday 12 July and Sunday 13 July 2026",  # 40
    "event_time": "10am to 12 noon, then 2pm to 4pm daily",
    "custom": "Free, no need to book; everyone welcome, bring the family along " * 3,  # 195
}


async def test_customise_refuses_text_that_does_not_fit_before_offering_a_download(
    site: Site,
) -> None:
    member = await site.browser("leeds-member@example.org")
    params = {"profile": str(site.profile), "preset": "x-post", **LONG_EVENT}
    page = await member.get(f"/assets/{site.image}/customise", params=params)
    assert page.status_code == 400, page.text
    assert "govuk-error-summary" in page.text
    assert re.search(r'href="#(event_title|custom)">[^<]*too long to fit on', page.text)
    assert "/render?" not in page.text  # no download link offered
    short = {"profile": str(site.profile), "preset": "x-post", "event_title": "Storytime"}
    fine = await member.get(f"/assets/{site.image}/customise", params=short)
    assert fine.status_code == 200, fine.text
    link = html.unescape(re.search(r'href="(/api/v1/assets/[^"]+/render\?[^"]+)"', fine.text)[1])  # type: ignore[index]
    assert (await member.get(link)).status_code == 200


async def test_a_refused_download_link_answers_a_page_not_json(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    query = {"profile": str(site.profile), "preset": "x-post"}
    query |= {f"field.{k}": v for k, v in LONG_EVENT.items()}
    url = f"/api/v1/assets/{site.image}/render"
    as_program = await member.get(url, params=query)
    assert as_program.status_code == 422
    assert as_program.headers["content-type"].startswith("application/json")
    as_browser = await member.get(
        url, params=query, headers={"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
    )
    assert as_browser.status_code == 422
    assert as_browser.headers["content-type"].startswith("text/html")
    assert "does not fit" in as_browser.text and "govuk-" in as_browser.text


# ---- packs --------------------------------------------------------------------------------


async def test_a_pack_holds_each_file_once_with_documents_and_named_sizes(site: Site) -> None:
    import io
    import zipfile

    await _case_study(site)
    member = await site.browser("leeds-member@example.org")
    redirect = await member.get(
        "/campaigns/libraries-week/pack",
        params={"profile": str(site.profile), "preset": ["x-post", "instagram-square"]},
    )
    assert redirect.status_code == 303, redirect.text
    got = await member.get(redirect.headers["location"], follow_redirects=True)
    assert got.status_code == 200, got.text[:500]
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = archive.namelist()
        images = [n for n in names if n.endswith(".jpg")]
        # The photo is on its own in the campaign and in the post: packed once per size.
        assert len(images) == 2, names
        assert not any("-2." in n for n in names), names
        bodies = [archive.read(n) for n in images]
        assert len(set(bodies)) == len(bodies)
        assert "documents/Reading friends in Leeds.pdf" in names, names
        assert "documents/Reading friends in Leeds.docx" in names, names
        assert archive.read("documents/Reading friends in Leeds.pdf").startswith(b"%PDF")
        readme = archive.read("README.txt").decode()
        captions = archive.read("captions.txt").decode()
    assert "x-post/   X post (1200 × 675 pixels)" in readme, readme
    assert "instagram-square/   Instagram square" in readme, readme
    assert "#LibrariesWeek" in captions and "https://librariesweek.example.org" in captions
    post_images = re.search(r"Images: (.*)", captions)[1]  # type: ignore[index]
    assert all(p in images for p in post_images.split(", ")), (post_images, images)


# ---- errors that say what to do -------------------------------------------------------------


async def test_a_past_expiry_is_refused_as_past_not_as_unpublishable(site: Site) -> None:
    asset = await site.http.get(f"/api/v1/assets/{site.image}", headers=site.editor_auth)
    revision = asset.json()["revision"]
    refused = await site.http.patch(
        f"/api/v1/assets/{site.image}",
        json={"expires_at": "2020-01-01T00:00:00Z", "revision": revision},
        headers=site.editor_auth,
    )
    assert refused.status_code == 422, refused.text
    assert "must be in the future" in refused.json()["error"]
    assert "cannot be published" not in refused.json()["error"]
    editor = await site.browser("editor@example.org")
    page = await editor.get(f"/editor/assets/{site.image}")
    form_revision = re.search(r'name="revision" value="(\d+)"', page.text)[1]  # type: ignore[index]
    posted = await editor.post(
        f"/editor/assets/{site.image}",
        data={
            "csrf_token": await csrf_token(editor),
            "revision": form_revision,
            "expires_at": "2020-01-01",
        },
    )
    assert posted.status_code == 422
    assert 'href="#expires_at"' in posted.text and "must be in the future" in posted.text


# ---- self-service: tokens, feeds, synonyms, did you mean ---------------------------------


async def test_an_api_token_is_made_shown_once_and_revoked_in_the_pages(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    token = await csrf_token(member)
    refused = await member.post("/account/tokens", data={"csrf_token": token, "name": ""})
    assert refused.status_code == 422 and 'href="#name"' in refused.text
    made = await member.post(
        "/account/tokens", data={"csrf_token": token, "name": "Newsroom script"}
    )
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "private, no-store"
    secret = re.search(r'id="new-token" type="text" value="([^"]+)"', made.text)[1]  # type: ignore[index]
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await site.http.get("/api/v1/me", headers=auth)).status_code == 200
    listing = await member.get("/account/tokens")
    assert "Newsroom script" in listing.text and secret not in listing.text  # shown once
    revoke = re.search(r'action="(/account/tokens/\d+/revoke)"', listing.text)[1]  # type: ignore[index]
    done = await member.post(revoke, data={"csrf_token": token})
    assert done.status_code == 303
    assert (await site.http.get("/api/v1/me", headers=auth)).status_code == 401
    assert "Revoked" in (await member.get("/account/tokens")).text


async def test_a_library_admin_makes_and_revokes_a_feed_token(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    assert (await member.get("/library/feeds")).status_code == 403
    admin = await site.browser("leeds-admin@example.org")
    token = await csrf_token(admin)
    made = await admin.post("/library/feeds", data={"csrf_token": token, "name": "Buffer"})
    assert made.status_code == 201, made.text
    address = html.unescape(re.search(r'id="json-url" type="text" value="([^"]+)"', made.text)[1])  # type: ignore[index]
    feed_path = address.split("testserver", 1)[1].replace("CAMPAIGN", "libraries-week")
    feed = await site.http.get(feed_path)
    assert feed.status_code == 200, feed.text
    assert "Leeds Central Library" in feed.text and "{library_name}" not in feed.text
    listing = await admin.get("/library/feeds")
    revoke = re.search(r'action="(/library/feeds/\d+/revoke)"', listing.text)[1]  # type: ignore[index]
    assert (await admin.post(revoke, data={"csrf_token": token})).status_code == 303
    assert (await site.http.get(feed_path)).status_code == 404


async def test_editors_set_synonyms_in_the_pages_and_search_uses_them(site: Site) -> None:
    editor = await site.browser("editor@example.org")
    token = await csrf_token(editor)
    bad = await editor.post("/editor/synonyms", data={"csrf_token": token, "synonyms": "kids"})
    assert bad.status_code == 422 and "line 1" in bad.text
    saved = await editor.post(
        "/editor/synonyms", data={"csrf_token": token, "synonyms": "coach: bus, minibus"}
    )
    assert saved.status_code == 303, saved.text
    assert "coach: bus, minibus" in (await editor.get("/editor/synonyms")).text
    member = await site.browser("leeds-member@example.org")
    found = await member.get("/", params={"q": "coach"})
    assert "<mark>Bus</mark> at the fair" in found.text  # found through its synonym


async def test_search_offers_did_you_mean_on_thin_results(site: Site) -> None:
    member = await site.browser("leeds-member@example.org")
    page = await member.get("/", params={"q": "fiar"})
    assert page.status_code == 200
    assert 'id="did-you-mean"' in page.text and ">fair</a>" in page.text, page.text[-3000:]


# ---- fact sheets: the brand zone in the pages, the branded PDF for libraries ---------------


def _pdf_texts(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


async def test_a_fact_sheet_zone_is_set_in_the_pages_and_libraries_get_it_branded(
    site: Site,
) -> None:
    from tests.conftest import PUBLISHABLE
    from tests.documents.conftest import fact_sheet

    upload = await site.http.post(
        "/api/v1/assets",
        data={**PUBLISHABLE, "title": "Library facts", "campaign": "libraries-week"},
        files={"file": ("facts.pdf", fact_sheet(2), "application/pdf")},
        headers=site.editor_auth,
    )
    assert upload.status_code == 201, upload.text
    sheet = upload.json()["id"]
    editor = await site.browser("editor@example.org")
    page = await editor.get(f"/editor/assets/{sheet}")
    assert page.status_code == 200 and 'id="zone-form"' in page.text
    assert f'src="/api/v1/assets/{sheet}/preview"' in page.text
    revision = re.search(r'name="revision" value="(\d+)"', page.text)[1]  # type: ignore[index]
    token = await csrf_token(editor)
    outside = {"zone-pages": "first", "zone-x": "50", "zone-y": "80", "zone-width": "60"}
    refused = await editor.post(
        f"/editor/assets/{sheet}/brand-zone",
        data={"csrf_token": token, "revision": revision, **outside, "zone-height": "10"},
    )
    assert refused.status_code == 422 and 'href="#zone-x"' in refused.text
    saved = await editor.post(
        f"/editor/assets/{sheet}/brand-zone",
        data={
            "csrf_token": token,
            "revision": revision,
            "zone-pages": "first",
            "zone-x": "10",
            "zone-y": "80",
            "zone-width": "80",
            "zone-height": "12",
        },
    )
    assert saved.status_code == 303, saved.text
    again = await editor.get(f"/editor/assets/{sheet}")
    assert '<rect x="10.0" y="80.0" width="80.0" height="12.0">' in again.text
    member = await site.browser("leeds-member@example.org")
    asset_page = await member.get(f"/assets/{sheet}")
    link = f"/api/v1/assets/{sheet}/render?format=pdf&profile={site.profile}"
    assert link in _links(asset_page.text) and "Download branded PDF" in asset_page.text
    branded = await member.get(link)
    assert branded.status_code == 200, branded.text
    first, second = _pdf_texts(branded.content)
    assert "Leeds Central Library" in first and "Leeds Central Library" not in second


# ---- four-eyes publishing ------------------------------------------------------------------


async def test_four_eyes_publishing_needs_someone_other_than_the_uploader(
    settings: Any,
) -> None:
    import dataclasses

    from assets_hub.models import Role
    from tests.auth.conftest import PASSWORD_HASH, sign_in
    from tests.conftest import PUBLISHABLE, app_client, make_jpeg, make_user, token_for

    async with app_client(dataclasses.replace(settings, four_eyes=True)) as http:
        maker = await make_user(
            http, Role.EDITOR, email="maker@example.org", password_hash=PASSWORD_HASH
        )
        await make_user(http, Role.EDITOR, email="checker@example.org", password_hash=PASSWORD_HASH)
        auth = {"Authorization": f"Bearer {await token_for(http, maker)}"}
        self_published = await http.post(
            "/api/v1/assets",
            data={**PUBLISHABLE, "title": "Published by its uploader"},
            files={"file": ("x.jpg", make_jpeg(), "image/jpeg")},
            headers=auth,
        )
        assert self_published.status_code == 403, self_published.text
        made = await http.post(
            "/api/v1/assets",
            data={**PUBLISHABLE, "title": "Needs a second look", "status": "draft"},
            files={"file": ("x.jpg", make_jpeg(), "image/jpeg")},
            headers=auth,
        )
        assert made.status_code == 201, made.text
        asset_id = made.json()["id"]
        refused = await http.post(f"/api/v1/assets/{asset_id}/publish", headers=auth)
        assert refused.status_code == 403, refused.text
        assert "maker@example.org" in refused.json()["error"]
        checker = httpx_client(http)
        assert (await sign_in(checker, "checker@example.org")).status_code == 303
        queue = await checker.get("/editor/review")
        assert "anyone on the campaign team except maker@example.org" in queue.text
        token = await csrf_token(checker)
        published = await checker.post(
            f"/editor/assets/{asset_id}/publish", data={"csrf_token": token}
        )
        assert published.status_code == 303, published.text
        await checker.aclose()


def httpx_client(http: Any) -> Any:
    """Another cookie jar on the same in-process app."""
    import httpx

    return httpx.AsyncClient(transport=http._transport, base_url="https://testserver")


async def test_dates_are_govuk_date_inputs_and_keep_their_time(site: Site) -> None:
    editor = await site.browser("editor@example.org")
    page = await editor.get(f"/editor/assets/{site.image}")
    assert 'name="expires_at-day"' in page.text and 'name="embargo_until-year"' in page.text
    revision = re.search(r'name="revision" value="(\d+)"', page.text)[1]  # type: ignore[index]
    token = await csrf_token(editor)
    parts = {"expires_at-day": "30", "expires_at-month": "6", "expires_at-year": "2031"}
    saved = await editor.post(
        f"/editor/assets/{site.image}",
        data={"csrf_token": token, "revision": revision, **parts, "expires_at-time": "17:30"},
    )
    assert saved.status_code == 303, saved.text
    body = (await site.http.get(f"/api/v1/assets/{site.image}", headers=site.editor_auth)).json()
    assert body["expires_at"].startswith("2031-06-30T17:30")
    again = await editor.get(f"/editor/assets/{site.image}")
    assert 'name="expires_at-day" type="text" inputmode="numeric" value="30"' in again.text
    assert 'name="expires_at-time" value="17:30"' in again.text
    revision = re.search(r'name="revision" value="(\d+)"', again.text)[1]  # type: ignore[index]
    wrong = {"expires_at-day": "31", "expires_at-month": "2", "expires_at-year": "2031"}
    refused = await editor.post(
        f"/editor/assets/{site.image}", data={"csrf_token": token, "revision": revision, **wrong}
    )
    assert refused.status_code == 422 and 'href="#expires_at"' in refused.text
