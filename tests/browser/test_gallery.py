"""The gallery of branded renders (make gallery) opens in Chromium with every render shown;
the screenshot is kept under test-artifacts/browser/ for people to look at."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.conftest import PHOTOS

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_the_gallery_shows_every_render(browser: Browser, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "bench" / "gallery.py")
    assert spec is not None and spec.loader is not None
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    index = gallery.build(tmp_path / "gallery", PHOTOS)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        page.goto(index.as_uri())
        page.wait_for_load_state("load")
        counts = page.evaluate(
            """() => {
                const images = [...document.querySelectorAll('img')];
                return {images: images.length,
                        broken: images.filter(i => !i.complete || i.naturalWidth === 0).length,
                        errors: document.querySelectorAll('.err').length};
            }"""
        )
        # 9 social presets x 4 profiles x 3 or 4 images (the face needs the bench portrait).
        assert counts["images"] >= 9 * 4 * 3 and counts["broken"] == 0, counts
        assert counts["errors"] == 0, counts  # every combination rendered
        folder = ARTIFACTS / "gallery"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "gallery.png"), full_page=True)
    finally:
        page.close()
