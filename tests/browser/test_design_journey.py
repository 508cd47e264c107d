"""The campaign team's design pages in a real browser: an admin adds an output size, then
an editor drafts an overlay template whose preview follows the typing, and saves it.
Keyboard and axe-core (zero violations) on every page; a screenshot per step under
test-artifacts/browser/<test>/. The same template checked and saved without JavaScript."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from assets_hub.branding.overlays import DEFAULT_TEMPLATE_DOCUMENT
from tests.browser.conftest import ADMIN, EDITOR, MEMBER, Journey
from tests.browser.test_journeys import SMALL_TARGETS

pytestmark = pytest.mark.browser


def test_an_admin_adds_an_output_size_with_the_keyboard(journey: Journey) -> None:
    page = journey.page
    journey.sign_in(*ADMIN)
    journey.goto("/admin/presets")
    assert page.locator("h1").inner_text() == "Output sizes (presets)"
    journey.check("sizes list")

    journey.tab_to("el.innerText && el.innerText.trim() === 'Add a size'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/presets/new")
    journey.check("new size form")
    page.click("button:has-text('Add this size')")  # empty: every mistake is explained
    summary = page.locator(".govuk-error-summary")
    assert "Key must be 1 to 40 lower-case letters" in summary.inner_text()
    assert journey.focused("el.classList.contains('govuk-error-summary')")
    journey.check("size form errors")

    page.fill("#key", "tiktok-cover")
    page.fill("#name", "TikTok cover")
    page.fill("#width", "1080")
    page.fill("#height", "1920")
    page.fill("#safe-top", "150")
    page.fill("#safe-bottom", "300")
    page.locator("#name").focus()
    page.keyboard.press("Enter")  # submits the form from a text field
    page.wait_for_url("**/admin/presets/tiktok-cover?done=created")
    assert "The preset was added." in page.locator("main").inner_text()
    journey.check("size added")
    journey.goto("/admin/presets")
    assert page.get_by_role("link", name="TikTok cover").is_visible()


def test_an_editor_drafts_a_template_with_a_live_preview_and_saves_it(
    journey: Journey, more_journeys: Callable[..., Journey]
) -> None:
    page = journey.page
    journey.sign_in(*EDITOR)
    journey.goto("/editor/templates")
    journey.check("templates list")
    page.get_by_role("button", name="Create a template").click()
    page.wait_for_url("**/editor/templates/new")
    image = page.locator("#template-preview")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    first = image.get_attribute("src")
    journey.check("new template with the default design")

    page.fill("#key", "top-band")
    page.fill("#name", "Top band")
    design = {**DEFAULT_TEMPLATE_DOCUMENT, "name": "Top band"}
    design["band"] = {"edge": "top", "thickness": 0.2, "colour": "primary"}
    page.fill("#document", json.dumps(design, indent=2))
    status = page.locator("#template-preview-status")
    status.filter(has_text="Preview updated.").wait_for(timeout=15_000)
    assert image.get_attribute("src") != first
    # The band moved to the top: the first rows of the preview are the sample's blue.
    top = page.evaluate(
        """img => { const c = document.createElement('canvas');
             c.width = img.naturalWidth; c.height = img.naturalHeight;
             const g = c.getContext('2d'); g.drawImage(img, 0, 0);
             return Array.from(g.getImageData(c.width / 2, 2, 1, 1).data).slice(0, 3); }""",
        image.element_handle(),
    )
    assert all(abs(a - b) <= 12 for a, b in zip(top, (29, 112, 184), strict=True)), top
    journey.check("preview follows the typing")

    page.fill("#document", '{"schema": 1, ')
    status.filter(has_text="not valid JSON yet").wait_for(timeout=15_000)
    page.fill("#document", json.dumps(design, indent=2))
    page.click("button:has-text('Create template')")
    page.wait_for_url("**/editor/templates/top-band?done=created")
    assert "The template was created." in page.locator("main").inner_text()
    journey.check("template saved")

    # Without JavaScript: "Check and preview" posts the form and the server draws the preview.
    plain = more_journeys("no-js", java_script_enabled=False)
    plain.sign_in(*EDITOR)
    plain.goto("/editor/templates/top-band")
    plain.page.fill("#document", '{"schema": 1, "name": ""}')
    plain.page.click("button:has-text('Check and preview')")
    assert (
        "Template: name: must be text of 1 to 100 characters"
        in plain.page.locator(".govuk-error-summary").inner_text()
    )
    plain.check("no-JS template error", axe=False)  # axe needs JavaScript


@pytest.mark.parametrize(
    "who,path",
    [
        ("admin", "/admin/presets"),
        ("admin", "/admin/presets/story"),
        ("editor", "/editor/templates/new"),
        ("editor", "/editor/review"),
        ("editor", "/editor/audit"),
        ("editor", "/editor/upload"),
        ("member", "/library"),
        ("member", "/library/downloads"),
        ("member", "/campaigns"),
        ("member", "/home"),
    ],
)
def test_more_pages_reflow_at_320_css_pixels_with_large_targets(
    narrow_journey: Journey, who: str, path: str
) -> None:
    page = narrow_journey.page
    narrow_journey.sign_in(*{"admin": ADMIN, "editor": EDITOR, "member": MEMBER}[who])
    narrow_journey.goto(path)
    narrow_journey.check(f"320px {path}")
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["view"], f"horizontal scrolling at 320px: {widths}"
    assert page.evaluate(SMALL_TARGETS) == [], path
