"""Every kind of asset has its page (issue 16): case studies as HTML with branded PDF and
.docx downloads, posts with their images and grab page, and the caption staff copy complete
(hashtags and link) with no raw ``{placeholders}`` where people read.

Driven as a browser without JavaScript: sign in through the form, follow the page's links.
"""

from __future__ import annotations

import html
import re

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
