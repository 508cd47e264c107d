"""Journeys in a real browser (the member's keyboard-only journey is in test_member_journey.py):
a failed sign-in; reflow at 320 CSS px; visible focus; target sizes. axe-core checks every page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import INVITEE, MEMBER, Journey, LiveServer, dump

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
FOCUS_VISIBLE = (HERE / "focus_visible.js").read_text()
SMALL_TARGETS = (HERE / "small_targets.js").read_text()


def test_failed_sign_in_focuses_the_error_summary(journey: Journey) -> None:
    page = journey.page
    journey.goto("/signin")
    page.fill("#email", MEMBER[0])
    page.fill("#password", "not the password")
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")
    assert page.locator("#email-error").is_visible(), "the inline error is beside the field"
    assert page.locator("#email").get_attribute("aria-describedby") == "email-error"
    journey.check("failed sign-in")
    page.locator(".govuk-error-summary__list a").click()
    assert journey.focused("el.id") == "email"


@pytest.mark.parametrize("path", ["/?q=library&sort=title", "asset"])
def test_pages_reflow_at_320_css_pixels(narrow_journey: Journey, path: str) -> None:
    page = narrow_journey.page
    narrow_journey.sign_in(*MEMBER)
    if path == "asset":
        narrow_journey.goto("/?q=village")
        href = page.locator(".app-result__title a").first.get_attribute("href")
        assert href
        path = href
    narrow_journey.goto(path)
    narrow_journey.check(f"320px {path}")
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["view"], f"horizontal scrolling at 320px: {widths}"


def test_focus_is_visible_on_every_stop_of_the_search_and_asset_pages(journey: Journey) -> None:
    page = journey.page
    journey.sign_in(*MEMBER)
    journey.goto("/?q=library")
    href = page.locator(".app-result__title a").first.get_attribute("href")
    for path in ("/?q=library&campaign=libraries-week", str(href), "/accessibility"):
        journey.goto(path)
        stops = 0
        while stops < 200:
            page.keyboard.press("Tab")
            state = page.evaluate(FOCUS_VISIBLE)
            if state.get("why") == "nothing focused":
                break
            assert state["ok"], f"{path}: focus not visible on {dump(state)}"
            stops += 1
        assert stops >= 3, f"{path}: only {stops} focus stops"
        journey.check(f"focus walk {path}")


def test_targets_are_at_least_24_css_pixels(journey: Journey) -> None:
    page = journey.page
    journey.goto("/signin")
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" not in font and "system-ui" in font, "system fonts, not GOV.UK's"
    assert page.evaluate(SMALL_TARGETS) == [], "sign-in page"
    journey.sign_in(*MEMBER)
    journey.goto("/?q=library&campaign=libraries-week")
    assert page.evaluate(SMALL_TARGETS) == [], "search page"
    href = page.locator(".app-result__title a").first.get_attribute("href")
    journey.goto(str(href))
    assert page.evaluate(SMALL_TARGETS) == [], "asset page"
    journey.goto("/no/such/page")
    assert page.evaluate(SMALL_TARGETS) == [], "error page"
    journey.check("error page")


def test_public_pages_and_error_pages_pass_axe(journey: Journey) -> None:
    page = journey.page
    for path, heading in (
        ("/accessibility", "Accessibility statement for assets hub"),
        ("/reset-password", "Reset your password"),
        ("/invitation/not-a-real-token", "This link does not work"),
        ("/no/such/page", "Page not found"),
    ):
        journey.goto(path)
        assert page.locator("h1").inner_text() == heading
        journey.check(path)
    journey.goto("/reset-password")
    page.fill("#email", "someone@example.org")
    page.click("button:has-text('Send me a link')")
    assert page.locator("h1").inner_text() == "Check your e-mail"
    journey.check("reset requested")


def test_an_invited_member_sets_a_password_after_fixing_an_error(
    journey: Journey, live_server: LiveServer
) -> None:
    page = journey.page
    journey.goto(live_server.invitation_path)
    assert page.locator("h1").inner_text() == "Create your password"
    assert INVITEE in page.locator("main").inner_text()
    journey.check("invitation")
    page.fill("#password", "a long enough password")
    page.fill("#confirm", "a different password!")
    page.click("button:has-text('Save password and sign in')")
    assert page.title().startswith("Error: ")
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")
    assert page.locator("#password-error").is_visible()
    journey.check("passwords differ")
    page.fill("#password", "a long enough password")
    page.fill("#confirm", "a long enough password")
    page.click("button:has-text('Save password and sign in')")
    page.wait_for_url(journey.base_url + "/")
    assert page.get_by_text(f"Signed in as {INVITEE}").is_visible()
    journey.check("signed in after setting the password")


def test_every_step_works_without_javascript(no_js_journey: Journey) -> None:
    journey = no_js_journey
    page = journey.page
    journey.sign_in(*MEMBER)
    journey.check("signed in without JavaScript", axe=False)
    page.fill("#q", "vilage")
    page.click("button:has-text('Search')")
    page.check("label:has-text('Libraries Week 2026')")
    page.click("button:has-text('Apply filters')")
    state = parse_qs(urlsplit(page.url).query)
    assert state["q"] == ["vilage"] and state["campaign"] == ["libraries-week"]
    journey.check("filtered without JavaScript", axe=False)
    page.click(".app-filter-tag")
    assert "campaign" not in parse_qs(urlsplit(page.url).query), "the tag removed the filter"
    page.go_back()
    page.click(".app-result__title a")
    with page.expect_download() as download_info:
        page.click("text=Download the original file")
    assert download_info.value.suggested_filename.endswith(".jpg")
    journey.check("asset page without JavaScript", axe=False)
    page.click("button:has-text('Sign out')")
    page.wait_for_url(re.compile(r".*/signin$"))
    journey.check("signed out without JavaScript", axe=False)
