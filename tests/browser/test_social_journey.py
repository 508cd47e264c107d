"""A social media member's journey in a real browser, keyboard only: sign in, open a campaign's
post, switch platform tab, copy the caption and the alt text, download the post's zip and the
campaign pack. axe-core checks every page; a screenshot is saved per step.

The demo data has no social post, so the module makes one through the API (create, then
publish) with an editor token made by the CLI, as the live server fixture does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import EDITOR, MEMBER, Journey, LiveServer, dump
from tests.conftest import make_jpeg

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
FOCUS_VISIBLE = (HERE / "focus_visible.js").read_text()
CAMPAIGN = "libraries-week"
CAPTION = "Pop into {library_name} this #LibrariesWeek: {website}"


def tab_to(journey: Journey, condition: str, *, limit: int = 120) -> None:
    """Press Tab until ``condition`` (JS, ``el`` = focused element) holds; every stop on the
    way must show a visible focus indicator."""
    for _ in range(limit):
        journey.page.keyboard.press("Tab")
        state = journey.page.evaluate(FOCUS_VISIBLE)
        if state.get("why") != "nothing focused":
            assert state["ok"], f"focus not visible: {dump(state)}"
        if journey.focused(condition):
            return
    raise AssertionError(f"never reached {condition!r} with Tab")


def _cli() -> list[str]:
    beside = Path(sys.executable).parent / "assets-hub"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "assets_hub"]


def wait_until(
    journey: Journey, expression: str, arg: object = None, timeout_s: float = 15
) -> None:
    """Poll ``expression`` (a JS function of ``arg``) until it is true (the page's strict CSP
    forbids the string evaluation ``page.wait_for_function`` relies on)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if journey.page.evaluate(expression, arg):
            return
        time.sleep(0.1)
    raise AssertionError(f"never true: {expression}")


def _editor_token(live_server: LiveServer) -> str:
    """A fresh API token for the demo editor, made with the CLI on the server's database.

    The running server holds the embedded search index's write lock, and making a token
    needs no search: the CLI gets a search directory of its own.
    """
    data = live_server.data_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETS_HUB_")}
    env |= {
        "ASSETS_HUB_DATABASE_URL": f"sqlite://{data / 'db.sqlite3'}",
        "ASSETS_HUB_STORAGE_URL": f"file://{data / 'storage'}",
        "ASSETS_HUB_SEARCH_URL": f"embedded://{data / 'cli-search'}",
        "ASSETS_HUB_TMP_DIR": str(data / "tmp"),
        "ASSETS_HUB_BASE_URL": live_server.url,
        "ASSETS_HUB_LOG_LEVEL": "warning",
    }
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*_cli(), "create-token", "--email", EDITOR[0], "--name", "social journey"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def social_post(live_server: LiveServer) -> Iterator[str]:
    """A published post over a new campaign photo; yields its asset id."""
    token = _editor_token(live_server)
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        photo = http.post(
            "/api/v1/assets",
            data={
                "title": "Readers at the library fair",
                "campaign": CAMPAIGN,
                "alt_text": "People browsing books at a library fair.",
                "licence": "own-work",
                "audience": "everyone",
                "status": "published",
            },
            files={"file": ("fair.jpg", make_jpeg((1400, 1000), "#5a3c8c"), "image/jpeg")},
        )
        assert photo.status_code == 201, photo.text
        created = http.post(
            "/api/v1/posts",
            json={
                "title": "Libraries Week: visit us",
                "campaign": CAMPAIGN,
                "licence": "own-work",
                "captions": {"default": CAPTION},
                "hashtags": ["LibrariesWeek"],
                "images": [{"asset_id": photo.json()["id"], "alt": "Readers at {library_name}"}],
            },
        )
        assert created.status_code == 201, created.text
        post_id: str = created.json()["id"]
        published = http.post(f"/api/v1/assets/{post_id}/publish")
        assert published.status_code == 200, published.text
    yield post_id


def _save_download(journey: Journey, press: str = "Enter") -> Path:
    """Press a key on the focused control and save the download it starts."""
    with journey.page.expect_download() as info:
        journey.page.keyboard.press(press)
    download = info.value
    path = journey.folder / f"{journey.steps + 1:02d}-download-{download.suggested_filename}"
    download.save_as(path)
    return path


def _zip_names(path: Path) -> list[str]:
    assert zipfile.is_zipfile(path), f"{path.name} is not a zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return archive.namelist()


def test_social_media_member_copies_a_caption_and_downloads_the_post_and_pack(
    journey: Journey, social_post: str
) -> None:
    page = journey.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=journey.base_url)
    journey.sign_in(*MEMBER)

    journey.goto("/home")
    assert page.locator("h1").inner_text() == "Leeds Libraries"
    journey.check("home page")
    tab_to(journey, f"el.getAttribute('href') === '/campaigns/{CAMPAIGN}'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/campaigns/{CAMPAIGN}$"))
    assert page.locator("h1").inner_text() == "Libraries Week 2026"
    journey.check("campaign page")

    tab_to(
        journey, f"el.tagName === 'A' && el.getAttribute('href').startsWith('/posts/{social_post}')"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/posts/{social_post}.*"))
    assert page.locator("h1").inner_text() == "Libraries Week: visit us"
    assert page.locator("#caption").input_value().startswith("Pop into Leeds Libraries this")
    journey.check("grab page, default platform")

    tab_to(
        journey, "el.classList.contains('app-page-tabs__link') && el.innerText.trim() === 'Bluesky'"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*platform=bluesky.*"))
    selected = page.locator(".app-page-tabs__link[aria-current=page]")
    assert selected.inner_text() == "Bluesky" and selected.get_attribute("aria-current") == "page"
    assert page.locator("#panel-heading").inner_text() == "Bluesky"
    image = page.locator("#post-panel img.app-preview")
    image.scroll_into_view_if_needed()
    wait_until(journey, "img => img.complete && img.naturalWidth > 0", image.element_handle())
    journey.check("grab page, Bluesky tab")

    caption = page.locator("#caption").input_value()
    tab_to(journey, "el.dataset.copy === 'caption'")
    page.keyboard.press("Enter")
    wait_until(
        journey, "id => document.getElementById(id).innerText === 'Copied'", "caption-status"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == caption, "the clipboard holds the whole filled caption"
    journey.check("caption copied")

    alt = page.locator("#alt-1").input_value()
    assert alt == "Readers at Leeds Libraries"
    tab_to(journey, "el.dataset.copy === 'alt-1'")
    page.keyboard.press("Space")
    wait_until(journey, "id => document.getElementById(id).innerText === 'Copied'", "alt-1-status")
    assert page.evaluate("navigator.clipboard.readText()") == alt
    journey.check("alt text copied")

    tab_to(journey, "el.id === 'download-everything'")
    names = _zip_names(_save_download(journey))
    assert {"README.txt", "captions.txt", "alt-text.txt"} <= set(names)
    assert any(n.startswith("bluesky/") and n.endswith(".jpg") for n in names), names
    journey.check("post zip downloaded")

    journey.goto(f"/campaigns/{CAMPAIGN}")
    second = page.locator(".govuk-checkboxes__input").nth(1)
    tab_to(journey, f"el.id === {second.get_attribute('id')!r}")
    page.keyboard.press("Space")
    assert second.is_checked() and page.locator("#preset").is_checked()
    tab_to(journey, "el.tagName === 'BUTTON' && el.innerText.startsWith('Download the pack')")
    names = _zip_names(_save_download(journey))
    assert {"README.txt", "captions.txt", "alt-text.txt", "credits.txt"} <= set(names)
    folders = {n.split("/")[0] for n in names if "/" in n}
    first_key = page.locator("#preset").get_attribute("value")
    assert first_key in folders and second.get_attribute("value") in folders, folders
    journey.check("campaign pack downloaded")


def test_grab_page_works_without_javascript(no_js_journey: Journey, social_post: str) -> None:
    page = no_js_journey.page
    no_js_journey.sign_in(*MEMBER)
    no_js_journey.goto(f"/posts/{social_post}?platform=x")
    assert page.locator("button[data-copy]").first.is_hidden(), "no dead copy buttons"
    assert page.locator("#caption-status").count() == 1
    assert page.locator("#caption").get_attribute("readonly") is not None
    assert "Leeds Libraries" in page.locator("#caption").input_value()
    page.locator(".app-page-tabs__link", has_text="LinkedIn").click()
    page.wait_for_url(re.compile(r".*platform=linkedin.*"))
    assert page.locator("#panel-heading").inner_text() == "LinkedIn"
    no_js_journey.check("grab page without JavaScript", axe=False)  # axe needs JavaScript


def test_editor_pages_pass_axe(journey: Journey, social_post: str) -> None:
    """The editors' home, the campaigns list and the grab page's no-library message."""
    page = journey.page
    journey.sign_in(*EDITOR)
    journey.goto("/home")
    assert page.locator("#awaiting").is_visible() and page.locator("#expiring").is_visible()
    journey.check("editor home")
    journey.goto("/campaigns")
    journey.check("campaigns list")
    journey.goto(f"/posts/{social_post}")
    assert page.locator("#not-library-staff").is_visible()
    assert page.locator("#caption").count() == 0
    journey.check("grab page for an editor")
    page.select_option("#profile", index=0)
    page.click("button:has-text('Use this profile')")
    page.wait_for_url(re.compile(r".*profile=\d+.*"))
    assert page.locator("#caption").input_value().startswith("Pop into ")
    journey.check("grab page previewed with a library's profile")
