"""OCR of real branded renders: Debian's tesseract reads the library's name, phone number and
website from every social preset, for a long and a short library name (issue 15).

The phone number and the website must each be read whole on one line (a break inside either
is the bug this guards against); the name must be read whole, in order, on one line or over
consecutive lines (a 60-character name wraps at the minimum name size on a square).
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from assets_hub.branding.brand import Brand
from assets_hub.branding.presets import PRESETS, Preset
from assets_hub.media.renditions import RenderRequest, render_with_layout
from tests.branding.test_layout_rules import EVENT, FOCUS, PROFILES, SOURCE

TESSERACT = shutil.which("tesseract")
pytestmark = pytest.mark.skipif(
    TESSERACT is None, reason="tesseract is not installed (make ocr-deps installs it as root)"
)
SOCIAL = [p for p in PRESETS.values() if not p.key.startswith("poster")]
PHONE = "0113 000 0000"
WEBSITE = "library.example.org.uk"
NAMES = {
    "long": "Little Snoring-on-the-Marsh Community Library & Information!",
    "short": "Leeds Library",
}


def _brand(name: str) -> Brand:
    base = PROFILES["long-name"]
    fields = {"library_name": name, "website": WEBSITE, "phone": PHONE}
    return dataclasses.replace(base, fields=fields)


def _ocr(image: Image.Image) -> list[str]:
    """Tesseract's lines for ``image`` (upscaled: it reads 10-20 px text poorly)."""
    big = image.convert("L").resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "band.png"
        big.save(path)
        done = subprocess.run(  # noqa: S603 (our own temp file and a fixed argv)
            [str(TESSERACT), str(path), "-", "--psm", "6", "-l", "eng"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    return [" ".join(line.split()) for line in done.stdout.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.parametrize("name", list(NAMES))
@pytest.mark.parametrize("preset", SOCIAL, ids=[p.key for p in SOCIAL])
def test_name_phone_and_website_are_read_whole(preset: Preset, name: str) -> None:
    request = RenderRequest(
        SOURCE,
        "ocr",
        preset,
        format="png" if "png" in preset.formats else preset.default_format,
        focus=FOCUS,
        brand=_brand(NAMES[name]),
        local_fields=EVENT,
    )
    result, report = render_with_layout(request)
    image = Image.open(io.BytesIO(result.data))
    # The text column of the band (the logo and QR code beside it are not text).
    band = report["band"]
    boxes = [
        line["box"]
        for line in report["lines"]
        if line["box"]["y"] >= band["y"] and line["slot"] in ("name", "contact")
    ]
    left = min(b["x"] for b in boxes) - 8
    top = min(b["y"] for b in boxes) - 8
    right = max(b["x"] + b["width"] for b in boxes) + 8
    bottom = max(b["y"] + b["height"] for b in boxes) + 8
    lines = _ocr(image.crop((left, top, right, bottom)))
    # Tesseract reads DejaVu's zero as a capital O now and then: that is the OCR, not a break.
    assert any(PHONE in line.replace("O", "0") for line in lines), lines
    assert any(WEBSITE in line.lower() for line in lines), lines
    wanted = _words(NAMES[name])
    read = [w for line in lines for w in _words(line)]
    # The name's words in order, with nothing between them (lines joined where it wraps).
    assert any(read[i : i + len(wanted)] == wanted for i in range(len(read))), lines
    if name == "short":
        assert any(_words(line) == wanted for line in lines), lines
