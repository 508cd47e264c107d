"""A campaign editor's journey: upload two JPEGs with per-file progress, fill the metadata,
set a focal point by clicking the picture, publish; a library member then finds the asset.
The same upload (and a focal point clicked on the native image button) without JavaScript.
axe-core checks every page of the JavaScript journey; a screenshot per step is saved under
test-artifacts/browser/<test>/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import EDITOR, MEMBER, Journey

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

EDIT_URL = re.compile(r".*/editor/assets/(?P<id>[0-9a-f-]{36})(\?.*)?$")
SEARCH_WAIT_S = 20.0


def make_photos(folder: Path, stem: str) -> list[Path]:
    """Two distinct JPEGs (a bright 'subject' off centre, so a focal point means something)."""
    paths = []
    for number, (background, subject) in enumerate(
        (("#1d70b8", "#ffdd00"), ("#4c2c92", "#f499be")), start=1
    ):
        image = Image.new("RGB", (1600, 1200), background)
        ImageDraw.Draw(image).ellipse((200, 700, 600, 1100), fill=subject)
        path = folder / f"{stem}-{number}.jpg"
        image.save(path, format="JPEG", quality=88)
        paths.append(path)
    return paths


def fill_upload_metadata(page: Page, alt_text: str) -> None:
    """Campaign, tags, audience, alt text and licence: the upload form's shared details."""
    page.select_option("#campaign", "summer-reading")
    page.fill("#tags", "reading garden, families, outdoors")
    page.fill("#alt_text", alt_text)
    page.select_option("#licence", "own-work")


def percent_set(page: Page) -> tuple[int, int]:
    """The focal point the edit page says is stored (``It is now X% across and Y% down``)."""
    text = page.locator("main").inner_text()
    found = re.search(r"It is now (\d+)% across and (\d+)% down", text)
    assert found, "the edit page states the stored focal point"
    return int(found.group(1)), int(found.group(2))


def test_editor_uploads_two_files_sets_a_focal_point_and_publishes(
    journey: Journey, tmp_path: Path, more_journeys: Callable[..., Journey]
) -> None:
    page = journey.page
    word = "marigold"  # in no demo asset: the member's search finds only this upload
    photos = make_photos(tmp_path, "reading-garden")
    journey.sign_in(*EDITOR)
    assert page.get_by_text(f"Signed in as {EDITOR[0]}").is_visible()
    journey.check("editor signed in")

    journey.goto("/editor/upload")
    assert page.locator("h1").inner_text() == "Upload files"
    journey.check("upload page")

    page.set_input_files("#file", [str(p) for p in photos])
    fill_upload_metadata(page, "A yellow circle of marigolds on a blue background.")
    journey.check("files chosen and details filled")
    page.click("button:has-text('Upload files')")
    heading = page.locator("#upload-progress-heading")
    heading.filter(has_text="2 of 2 files uploaded").wait_for(timeout=30_000)
    assert page.url.endswith("/editor/upload"), "JavaScript uploaded without leaving the page"
    assert journey.focused("el.id") == "upload-progress-heading", "focus moves to the result"
    for index, photo in enumerate(photos):
        item = page.locator(f"#upload-file-{index}")
        assert item.locator("label").inner_text() == photo.name
        assert item.locator("progress").evaluate("bar => bar.value") == 100
        assert "Uploaded" in item.locator(f"#upload-result-{index}").inner_text()
    assert page.locator("#upload-status").inner_text() == "2 of 2 files uploaded"
    journey.check("both files uploaded with progress")

    page.click(f"a:has-text('Edit the details of {photos[0].name}')")
    page.wait_for_url(EDIT_URL)
    found = EDIT_URL.match(page.url)
    assert found
    asset_id = found.group("id")
    assert page.locator("h1").inner_text() == "reading garden 1", "titled from the file name"
    assert page.locator("#campaign").input_value() == "summer-reading"
    assert page.locator("#licence").input_value() == "own-work"
    assert page.locator("#alt_text").input_value().startswith("A yellow circle")
    # No focal point yet: the subject found at upload is what crops keep in view.
    assert "None is set, so the most detailed part found" in page.locator("main").inner_text()
    journey.check("edit page of the first upload")

    title = f"Reading garden {word} picnic"
    page.fill("#title", title)
    page.fill("#description", "Families reading among the marigolds.")
    page.fill("#credit", "Photo: Assets hub browser tests")
    page.click("button:has-text('Save details')")
    page.wait_for_url(re.compile(rf".*/editor/assets/{asset_id}\?done=saved$"))
    assert (
        page.locator(".govuk-notification-banner").inner_text().endswith("Your changes were saved.")
    )
    assert page.locator("h1").inner_text() == title
    journey.check("details saved")

    # Click the yellow circle: a quarter across, three quarters down. The script fills in the
    # numbers; "Save focal point" stores them.
    picture = page.locator("form.app-focal input[type=image]")
    box = picture.bounding_box()
    assert box and box["width"] > 100
    picture.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    assert page.locator("#focal-status").inner_text().startswith("Focal point placed 25% across")
    assert float(page.locator("#focal_x").input_value()) == pytest.approx(0.25, abs=0.02)
    assert float(page.locator("#focal_y").input_value()) == pytest.approx(0.75, abs=0.02)
    assert page.url.endswith("done=saved"), "the click placed the point without a reload"
    journey.check("focal point placed by clicking")
    page.click("button:has-text('Save focal point')")
    page.wait_for_url(re.compile(rf".*/editor/assets/{asset_id}\?done=focal$"))
    assert "The focal point was saved." in page.locator(".govuk-notification-banner").inner_text()
    across, down = percent_set(page)
    assert abs(across - 25) <= 2 and abs(down - 75) <= 2, (across, down)
    assert float(page.locator("#focal_x").input_value()) == pytest.approx(0.25, abs=0.02)
    journey.check("focal point saved")

    assert "can be published" in page.locator("main").inner_text()
    page.click("form[action$='/publish'] button")
    page.wait_for_url(re.compile(rf".*/editor/assets/{asset_id}\?done=publish$"))
    assert "The asset is published." in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("main .govuk-tag").first.inner_text() == "Published"
    journey.check("published")

    member = more_journeys("member")
    member.sign_in(*MEMBER)
    deadline = time.monotonic() + SEARCH_WAIT_S  # the index is updated just after the save
    while True:
        member.goto(f"/?q={word}")
        results = member.page.locator(".app-result__title a")
        if results.count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert results.count() == 1, "the member finds exactly the published upload"
    assert results.first.inner_text() == title
    member.check("member finds the published asset")
    results.first.click()
    member.page.wait_for_url(re.compile(rf".*/assets/{asset_id}$"))
    assert member.page.locator("h1").inner_text() == title
    member.check("member opens the published asset")


def test_editor_uploads_and_sets_a_focal_point_without_javascript(
    no_js_journey: Journey, tmp_path: Path
) -> None:
    journey = no_js_journey
    page = journey.page
    photos = make_photos(tmp_path, "no-script-upload")
    journey.sign_in(*EDITOR)
    journey.goto("/editor/upload")
    journey.check("upload page without JavaScript", axe=False)

    page.set_input_files("#file", [str(p) for p in photos])
    fill_upload_metadata(page, "A pink circle on a purple background.")
    page.click("button:has-text('Upload files')")
    page.wait_for_load_state()
    assert page.locator("h2#results").inner_text() == "What happened to each file"
    for index, photo in enumerate(photos):
        row = page.locator(".govuk-summary-list__row").nth(index)
        assert row.locator("dt").inner_text() == photo.name
        # The outcome tag first; a "Possible duplicate" tag may follow (an earlier test uploaded
        # the same photos).
        assert row.locator(f"#result-{index} .govuk-tag").first.inner_text() == "Uploaded"
    assert page.locator(".govuk-error-summary").count() == 0
    journey.check("each file's result without JavaScript", axe=False)

    page.click("#result-1 a:has-text('Edit the details')")
    page.wait_for_url(EDIT_URL)
    assert page.locator("h1").inner_text() == "no script upload 2"
    assert page.locator("#campaign").input_value() == "summer-reading"
    journey.check("edit page without JavaScript", axe=False)

    # Without the script the picture is a native image button: the click itself submits.
    picture = page.locator("form.app-focal input[type=image]")
    box = picture.bounding_box()
    assert box
    picture.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.3})
    page.wait_for_url(re.compile(r".*\?done=focal$"))
    across, down = percent_set(page)
    assert abs(across - 60) <= 2 and abs(down - 30) <= 2, (across, down)
    journey.check("focal point saved without JavaScript", axe=False)
