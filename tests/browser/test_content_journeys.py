"""Issue 16's journeys in a real browser: a case study written, published and downloaded as
PDF and .docx by a library; a post made with hashtags whose copied caption holds them;
customise refusing text that would not fit. axe-core checks every page visited.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import EDITOR, MEMBER, Journey, LiveServer

pytestmark = pytest.mark.browser

X_COUNT_IS = (
    "n => document.querySelector("
    "'#caption-default-counts li[data-platform=x] .app-counts__n').textContent === n"
)
VILLAGE = "Library bus visiting the village"  # the live server's published photo


def wait_until(
    journey: Journey, expression: str, arg: object = None, timeout_s: float = 15
) -> None:
    """Poll a JS function of ``arg`` (the strict CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if journey.page.evaluate(expression, arg):
            return
        time.sleep(0.1)
    raise AssertionError(f"never true: {expression}")


def _save(journey: Journey, selector: str) -> Path:
    with journey.page.expect_download() as info:
        journey.page.click(selector)
    download = info.value
    path = journey.folder / f"download-{download.suggested_filename}"
    download.save_as(path)
    return path


def _select_by_text(journey: Journey, selector: str, text: str) -> None:
    journey.page.select_option(selector, label=text)


def _publish(journey: Journey) -> str:
    """On the editor's asset page: publish; the asset id from the address."""
    page = journey.page
    page.click("button:has-text('Publish')")
    page.wait_for_url(re.compile(r".*/editor/assets/[^/?]+\?done=publish$"))
    return page.url.split("/editor/assets/")[1].split("?")[0]


def test_a_case_study_is_written_published_and_downloaded_by_a_library(
    journey: Journey, more_journeys
) -> None:
    page = journey.page
    journey.sign_in(*EDITOR)
    journey.goto("/editor/upload")
    page.click("a:has-text('write a case study')")
    page.wait_for_url(re.compile(r".*/editor/case-studies/new$"))
    journey.check("new case study form")
    page.click("button:has-text('Create case study')")
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.locator("#title-error").is_visible()
    journey.check("case study errors")
    page.fill("#title", "Reading friends in Leeds")
    page.select_option("#campaign", "libraries-week")
    page.select_option("#licence", "own-work")
    page.fill("#library_featured", "Leeds Central Library")
    page.fill("#summary", "Volunteers read with older people every week.")
    page.fill("#body_markdown", "## What we did\n\nWe paired **forty** volunteers with readers.")
    page.fill("#pull_quote", "It gave me my Thursdays back.")
    page.fill("#pull_quote_by", "A reader")
    page.fill("#figure-1-label", "Volunteers")
    page.fill("#figure-1-value", "40")
    _select_by_text(journey, "#image-1", VILLAGE)
    page.fill("#image-1-caption", "The bus on the green")
    page.click("button:has-text('Create case study')")
    page.wait_for_url(re.compile(r".*/editor/assets/.*done=created$"))
    journey.check("case study saved as a draft")
    study = _publish(journey)
    journey.check("case study published")

    member = more_journeys("member")
    member.sign_in(*MEMBER)
    member.goto("/?q=Reading+friends")
    member.page.click("a:has-text('Reading friends in Leeds')")
    member.page.wait_for_url(re.compile(rf".*/assets/{study}$"))
    assert member.page.locator("blockquote").inner_text().strip() == "It gave me my Thursdays back."
    assert member.page.locator(".app-case-study strong", has_text="forty").count() == 1
    member.check("case study page")
    pdf = _save(member, "a:has-text('Download branded PDF')")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.suffix == ".pdf"
    docx = _save(member, "a:has-text('Download as Word')")
    assert docx.suffix == ".docx" and zipfile.is_zipfile(docx)
    with zipfile.ZipFile(docx) as archive:
        assert "It gave me my Thursdays back." in archive.read("word/document.xml").decode()


def test_a_post_made_with_hashtags_is_copied_with_them(journey: Journey, more_journeys) -> None:
    page = journey.page
    journey.sign_in(*EDITOR)
    journey.goto("/editor/posts/new")
    journey.check("new post form")
    page.fill("#title", "Hashtag journey post")
    page.select_option("#campaign", "libraries-week")
    page.select_option("#licence", "own-work")
    page.fill("#caption-default", "Pop into {library_name} this week 📚")
    # The live count: X counts the emoji as 2 and leaves {library_name} out.
    wait_until(journey, X_COUNT_IS, "22")
    page.fill("#hashtags", "#LibrariesWeek #ReadMore")
    page.fill("#link", "https://librariesweek.example.org")
    wait_until(journey, X_COUNT_IS, "47")
    _select_by_text(journey, "#image-1", VILLAGE)
    page.fill("#image-1-alt", "The {library_name} mobile library on a village green")
    journey.check("post form filled, counts live")
    page.click("button:has-text('Create post')")
    page.wait_for_url(re.compile(r".*/editor/assets/.*done=created$"))
    post = _publish(journey)

    member = more_journeys("member")
    member.page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=member.base_url
    )
    member.sign_in(*MEMBER)
    member.goto(f"/assets/{post}")
    member.check("post asset page")
    member.page.click("a:has-text('Get this post ready to share')")
    member.page.wait_for_url(re.compile(rf".*/posts/{post}.*"))
    member.page.click(".app-page-tabs__link:has-text('X')")
    member.page.wait_for_url(re.compile(r".*platform=x.*"))
    member.check("grab page for X")
    member.page.click("button[data-copy=caption]")
    wait_until(member, "id => document.getElementById(id).innerText === 'Copied'", "caption-status")
    copied = member.page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Pop into Leeds Libraries this week 📚")
    assert copied.endswith("https://librariesweek.example.org #LibrariesWeek #ReadMore"), copied


def test_customise_with_text_that_would_not_fit_offers_no_download(journey: Journey) -> None:
    page = journey.page
    journey.sign_in(*MEMBER)
    journey.goto("/?q=village")
    page.click(f"a:has-text('{VILLAGE}')")
    page.click("a:has-text('Customise and download')")
    page.wait_for_url(re.compile(r".*/customise$"))
    journey.check("customise page")
    page.fill("#event_title", "Grand opening of the refurbished children's library " * 2)
    page.fill("#event_date", "Saturday 12 July and Sunday 13 July 2026")
    page.fill("#event_time", "10am to 12 noon, then 2pm to 4pm daily")
    page.fill("#custom", "Free, no need to book; everyone welcome, bring the family along " * 3)
    # With JavaScript the page asks the server as people type: the links go at once.
    wait_until(journey, "() => document.querySelectorAll('#download-list a').length === 0")
    wait_until(
        journey, "() => document.getElementById('preview-status').textContent.includes('too long')"
    )
    # The script's own fetch of the page answered 400 (the form's errors), as it should.
    journey.problems[:] = [
        p for p in journey.problems if "400 for" not in p or "/customise?" not in p
    ]
    page.click("button:has-text('Update preview and downloads')")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    error = page.locator(".govuk-error-message").first.inner_text()
    assert "too long to fit" in error, error
    assert page.locator("a:has-text('Download ')").count() == 0
    journey.check("customise refuses text that would not fit")


def test_an_api_token_is_made_and_revoked_in_the_pages(journey: Journey) -> None:
    import httpx

    page = journey.page
    journey.sign_in(*MEMBER)
    page.click("a.app-signout__link:has-text('API tokens')")
    page.wait_for_url(re.compile(r".*/account/tokens$"))
    journey.check("API tokens page")
    page.fill("#name", "Browser journey script")
    page.click("button:has-text('Make token')")
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("ahk_")
    journey.check("token shown once")
    me = httpx.get(f"{journey.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["email"] == MEMBER[0]
    journey.goto("/account/tokens")
    assert page.locator("#new-token").count() == 0  # never shown again
    page.click("button:has-text('Revoke Browser journey script')")
    page.wait_for_url(re.compile(r".*done=revoked$"))
    assert page.locator(".govuk-notification-banner--success").is_visible()
    journey.check("token revoked")
    gone = httpx.get(f"{journey.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401


@pytest.fixture(scope="module")
def fact_sheet_id(live_server: LiveServer) -> str:
    """A published two-page fact sheet in the campaign, uploaded by the editor's token."""
    import httpx

    from tests.browser.test_social_journey import _editor_token
    from tests.documents.conftest import fact_sheet

    token = _editor_token(live_server)
    fields = {
        "title": "Why libraries matter: facts",
        "campaign": "libraries-week",
        "licence": "own-work",
        "audience": "everyone",
        "status": "published",
    }
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        made = http.post(
            "/api/v1/assets",
            data=fields,
            files={"file": ("facts.pdf", fact_sheet(2), "application/pdf")},
        )
    assert made.status_code == 201, made.text
    sheet: str = made.json()["id"]
    return sheet


def test_a_fact_sheet_zone_is_drawn_and_a_library_downloads_it_branded(
    journey: Journey, more_journeys, fact_sheet_id: str
) -> None:
    import pypdfium2 as pdfium

    page = journey.page
    journey.sign_in(*EDITOR)
    journey.goto(f"/editor/assets/{fact_sheet_id}")
    preview = page.locator(".app-zone")
    preview.scroll_into_view_if_needed()
    wait_until(
        journey,
        "img => img.complete && img.naturalWidth > 0",
        page.locator(".app-zone__page").element_handle(),
    )
    journey.check("fact sheet editor with the default zone")
    box = preview.bounding_box()
    assert box is not None
    # Drag a box across the top of the first page: 10 % in, 5 % down, 80 % wide, 10 % high.
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.05)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.1, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.15, steps=4)
    page.mouse.up()
    assert abs(float(page.locator("#zone-x").input_value()) - 10) < 1.5
    assert abs(float(page.locator("#zone-width").input_value()) - 80) < 1.5
    page.select_option("#zone-pages", "first")
    journey.check("zone drawn")
    page.click("button:has-text('Save brand zone')")
    page.wait_for_url(re.compile(r".*done=zone$"))
    journey.check("zone saved")

    member = more_journeys("member")
    member.sign_in(*MEMBER)
    member.goto(f"/assets/{fact_sheet_id}")
    member.check("fact sheet page for a library")
    pdf = _save(member, "a:has-text('Download branded PDF')")
    document = pdfium.PdfDocument(str(pdf))
    try:
        first = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "Leeds Libraries" in first, first[:500]


def test_a_multi_file_upload_gives_each_file_its_own_alt_text(
    journey: Journey, tmp_path: Path, live_server: LiveServer
) -> None:
    import httpx

    from tests.browser.test_social_journey import _editor_token
    from tests.conftest import make_jpeg

    page = journey.page
    journey.sign_in(*EDITOR)
    journey.goto("/editor/upload")
    first, second = tmp_path / "reading-corner.jpg", tmp_path / "story-time.jpg"
    first.write_bytes(make_jpeg((900, 600), "#336699"))
    second.write_bytes(make_jpeg((900, 600), "#993366"))
    page.set_input_files("#file", [str(first), str(second)])
    assert page.locator("#alt_text-1").is_visible()
    page.fill("#alt_text-0", "Armchairs and beanbags in the reading corner")
    page.fill("#alt_text-1", "A librarian reading a picture book to toddlers")
    page.select_option("#licence", "own-work")
    journey.check("two files, an alt text each")
    page.click("button:has-text('Upload files')")
    wait_until(
        journey,
        "() => document.getElementById('upload-progress-heading').textContent"
        " === '2 of 2 files uploaded'",
    )
    journey.check("both uploaded with progress")
    links = page.locator("#upload-progress-list a[href^='/editor/assets/']")
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    ids = [href.rsplit("/", 1)[1] for href in hrefs]
    assert len(ids) == 2
    token = _editor_token(live_server)
    with httpx.Client(
        base_url=journey.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        alts = {http.get(f"/api/v1/assets/{i}").json()["alt_text"] for i in ids}
    assert alts == {
        "Armchairs and beanbags in the reading corner",
        "A librarian reading a picture book to toddlers",
    }


SMALL_TARGETS = (Path(__file__).resolve().parent / "small_targets.js").read_text()


@pytest.mark.parametrize(
    "path", ["/", "/editor/posts/new", "/editor/case-studies/new", "/account/tokens"]
)
def test_at_320_px_the_navigation_folds_behind_a_menu_button(
    narrow_journey: Journey, path: str
) -> None:
    page = narrow_journey.page
    narrow_journey.sign_in(*EDITOR)
    narrow_journey.goto(path)
    toggle = page.locator(".govuk-service-navigation__toggle")
    assert toggle.is_visible() and not page.locator("#navigation").is_visible()
    narrow_journey.check(f"320px {path}, menu closed")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#navigation a", has_text="Upload").is_visible()
    narrow_journey.check(f"320px {path}, menu open")
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["view"], f"horizontal scrolling at 320px: {widths}"
    assert page.evaluate(SMALL_TARGETS) == [], path
