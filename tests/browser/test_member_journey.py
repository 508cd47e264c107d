"""A library member's journey, keyboard-only: sign in, search with a typo, filter by campaign,
open an asset, download the original, then customise it with the library's branding and a
local event date, watch the live preview change and download the branded Instagram square.
axe-core checks every page; a screenshot per step goes to test-artifacts/browser/<test>/."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageChops

from tests.browser.conftest import MEMBER, Journey

if TYPE_CHECKING:
    from playwright.sync_api import Download

pytestmark = pytest.mark.browser

LEEDS_PRIMARY = (0x00, 0x70, 0x3C)  # the demo Leeds branding profile's primary colour
JPEG_TOLERANCE = 12  # per channel
EVENT_DATE = "Saturday 12 July"


def share_of_colour(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The fraction of pixels in ``box`` within the JPEG tolerance of the library's colour."""
    region = image.convert("RGB").crop(box)
    masks = [
        channel.point(lambda v, c=c: 255 if abs(v - c) <= JPEG_TOLERANCE else 0)
        for channel, c in zip(region.split(), LEEDS_PRIMARY, strict=True)
    ]
    both = ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2])
    return both.histogram()[255] / (region.width * region.height)


def save_download(journey: Journey, download: Download, label: str) -> bytes:
    """Keep a download beside the step's screenshots and return its bytes."""
    saved = journey.folder / f"{journey.steps + 1:02d}-{label}-{download.suggested_filename}"
    download.save_as(saved)
    return saved.read_bytes()


def test_library_member_signs_in_searches_filters_and_downloads_with_the_keyboard(
    journey: Journey,
) -> None:
    page = journey.page
    tab_to = journey.tab_to
    journey.goto("/")
    assert page.url.startswith(journey.base_url + "/signin"), "anonymous visitors sign in first"
    journey.check("sign-in page")

    tab_to("el.id === 'email'")
    page.keyboard.type(MEMBER[0])
    tab_to("el.id === 'password'")
    page.keyboard.type(MEMBER[1])
    page.keyboard.press("Enter")
    page.wait_for_url(journey.base_url + "/")
    assert page.get_by_text(f"Signed in as {MEMBER[0]}").is_visible()
    journey.check("search page after sign-in")

    tab_to("el.id === 'q'")
    page.keyboard.type("vilage")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=vilage.*"))
    first = page.locator(".app-result__title a").first
    assert "village" in first.inner_text().lower(), "the typo still finds the village photo"
    assert page.locator(".app-result__title mark").count() >= 1, "the match is highlighted"
    journey.check("typo search results")

    campaign = page.locator(".govuk-checkboxes__label", has_text="Libraries Week 2026")
    box_id = campaign.get_attribute("for")
    tab_to(f"el.id === {box_id!r}")
    page.keyboard.press("Space")
    assert page.locator(f"#{box_id}").is_checked()
    tab_to("el.tagName === 'BUTTON' && el.innerText.trim() === 'Apply filters'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*campaign=libraries-week.*"))
    state = parse_qs(urlsplit(page.url).query)
    assert state["q"] == ["vilage"] and state["campaign"] == ["libraries-week"]
    tag = page.locator(".app-filter-tag")
    assert "Libraries Week 2026" in tag.inner_text()
    assert "campaign=" not in (tag.get_attribute("href") or ""), "the tag removes the filter"
    journey.check("filtered by campaign")

    tab_to("el.closest('.app-result__title') !== null")
    title = journey.focused("el.innerText")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/assets/[0-9a-f-]{36}$"))
    asset_url = page.url
    assert page.locator("h1").inner_text() == title
    assert page.locator(".govuk-summary-list").is_visible()
    journey.check("asset page")

    tab_to("el.innerText.startsWith('Download the original file')")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    body = save_download(journey, download_info.value, "download")
    assert body[:3] == b"\xff\xd8\xff", "the original is a JPEG"
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
    journey.check("after download")

    _customise_and_download_the_branded_square(journey, asset_url, title)

    tab_to("el.tagName === 'BUTTON' && el.innerText.trim() === 'Sign out'", limit=200)
    page.keyboard.press("Enter")  # a POST form with the session's CSRF token
    page.wait_for_url(re.compile(r".*/signin$"))
    journey.goto("/")
    assert "/signin?next=" in page.url, "the session really ended"
    journey.check("signed out")


def _customise_and_download_the_branded_square(
    journey: Journey, asset_url: str, title: str
) -> None:
    """From the asset page: the library's profile, Instagram square, an event date, the live
    preview, and the branded download checked pixel by pixel."""
    page = journey.page
    tab_to = journey.tab_to
    tab_to("el.innerText.trim() === 'Customise and download'")
    page.keyboard.press("Enter")
    page.wait_for_url(asset_url + "/customise")
    assert page.locator("h1").inner_text() == title
    journey.check("customise page")

    # The library's own profile (the default, first radio): Tab lands on the checked radio.
    profile_label = page.locator("label[for='profile']").inner_text()
    assert profile_label.startswith("Main"), f"Leeds' demo profile first, not {profile_label!r}"
    tab_to("el.name === 'profile'")
    if journey.focused("el.id") != "profile":
        page.keyboard.press("ArrowUp")  # radios: arrows move and select
    page.keyboard.press("Space")
    assert page.locator("#profile").is_checked(), "the library's profile is chosen"
    assert not page.locator("#profile-none").is_checked()

    # Instagram square, and only that size, so the preview and download are 1080 by 1080.
    boxes = page.locator("input[name='preset']")
    for index in range(boxes.count()):
        box = boxes.nth(index)
        wanted = box.get_attribute("value") == "instagram-square"
        if box.is_checked() != wanted:
            tab_to(f"el.id === {box.get_attribute('id')!r}")
            page.keyboard.press("Space")
    square = page.locator("input[name='preset'][value='instagram-square']")
    assert square.is_checked()
    assert (square.get_attribute("data-width"), square.get_attribute("data-height")) == (
        "1080",
        "1080",
    )
    assert page.locator("input[name='preset']:checked").count() == 1

    # Let any preview swap from the size changes settle before measuring the event date's.
    page.wait_for_function(
        "() => { const i = document.getElementById('preview-image');"
        " return i && i.complete && i.naturalWidth > 0"
        " && i.src.includes('preset=instagram-square'); }",
        timeout=15_000,
    )
    preview = page.locator("#preview-image")
    before_src = preview.get_attribute("src") or ""
    assert "profile=" in before_src and "preset=instagram-square" in before_src
    assert "event_date" not in before_src
    before_bytes = page.request.get(before_src).body()
    journey.check("library profile and instagram square chosen")

    tab_to("el.id === 'event_date'")
    page.keyboard.type(EVENT_DATE)
    # Debounced: the preview changes once typing stops, without a page load.
    page.wait_for_function(
        "() => { const i = document.getElementById('preview-image');"
        " return i.src.includes('field.event_date=') && i.complete && i.naturalWidth > 0; }",
        timeout=15_000,
    )
    page.wait_for_function(
        "document.getElementById('preview-status').textContent === 'Preview updated.'",
        timeout=15_000,
    )
    after_src = preview.get_attribute("src") or ""
    assert after_src != before_src, "the preview URL changed"
    assert parse_qs(urlsplit(after_src).query)["field.event_date"] == [EVENT_DATE]
    after = page.request.get(after_src)
    assert after.ok and after.headers["content-type"].startswith("image/")
    assert after.body() != before_bytes, "the preview picture itself changed"
    assert parse_qs(urlsplit(page.url).query)["event_date"] == [EVENT_DATE], "state in the URL"
    journey.check("preview updated with the event date")

    link = page.locator("#download-list a[data-preset='instagram-square']")
    assert "field.event_date=" in (link.get_attribute("href") or ""), "the link follows the form"
    tab_to("el.dataset.preset === 'instagram-square'")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    body = save_download(journey, download_info.value, "branded")
    assert body[:3] == b"\xff\xd8\xff", "the branded Instagram square is a JPEG"
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
        assert image.size == (1080, 1080), image.size
        # The default overlay's band: the bottom 24% of the frame, in the library's colour.
        band = share_of_colour(image, (0, 1080 - 200, 1080, 1080))
        # The event date sits on a plate at the top; between the two, the photo shows.
        middle = share_of_colour(image, (0, 200, 1080, 780))
    assert band > 0.3, f"only {band:.0%} of the band region is Leeds green"
    assert middle < 0.01, f"{middle:.0%} of the photo above the band is Leeds green"
    journey.check("after branded download")


def test_customise_offers_no_download_link_that_fails(journey: Journey) -> None:
    page = journey.page
    journey.sign_in(*MEMBER)
    journey.goto("/?q=village")
    href = page.locator(".app-result__title a").first.get_attribute("href")
    assert href
    # The village photo is 1800 by 1200: a 1080 by 1920 story needs 1.6 times upscaling.
    journey.goto(f"{href}/customise?profile=none&preset=story")
    journey.check("story size for a landscape photo")
    links = page.locator("#download-list a")
    for index in range(links.count()):
        response = page.request.get(links.nth(index).get_attribute("href") or "")
        assert response.ok, f"the page offers a link that fails: {response.text()[:300]}"
