"""The layout rules of issue 15, asserted on the layout reports of real renders.

Every preset, a set of profiles (long name, no logo, light brand colour, Welsh name)  x  a
photo whose subject is low on the left, with the longest event text the fields allow.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from assets_hub.branding.brand import Brand
from assets_hub.branding.fonts import load_font
from assets_hub.branding.layout import check_fit, overlaps
from assets_hub.branding.overlays import LOCAL_FIELD_LIMITS
from assets_hub.branding.presets import PRESETS, Preset
from assets_hub.media.geometry import Focus
from assets_hub.media.renditions import RenderRequest, render_with_layout
from tests.branding.conftest import NAME_60, logo_png

SOCIAL = [p for p in PRESETS.values() if not p.key.startswith("poster")]
EVENT = {  # the sizes the issue reported as failing: title 108, date 26, time 27, extra 95
    "event_title": "Family storytelling afternoon with songs, rhymes and crafts for children "
    "under five and their grown-ups",
    "event_date": "Saturday 14 September 2026",
    "event_time": "10:30am to 12:00pm (drop in)",
    "custom": "Free, no need to book. Step-free access via Park Row; ask staff for ear "
    "defenders and a quiet room.",
}


def _profiles() -> dict[str, Brand]:
    base = Brand(
        "p",
        1,
        primary="#1d3c6e",
        text="#ffd700",
        fields={
            "library_name": NAME_60,
            "website": "https://library.example.org.uk/libraries",
            "phone": "0113 000 0000",
            "email": "hello@library.example.org.uk",
            "address": "Central Library, Calverley Street, Leeds LS1 3AB",
        },
        logo=logo_png(),
        qr_url="https://library.example.org.uk/events",
    )
    return {
        "long-name": base,
        "no-logo": dataclasses.replace(base, logo=None),
        "light-colour": dataclasses.replace(base, primary="#ffe680", text="#ffffff"),
        "welsh": dataclasses.replace(
            base,
            fields={
                **base.fields,
                "library_name": "Cardiff Central Library",
                "library_name_cy": "Llyfrgell Ganolog Caerdydd",
            },
        ),
    }


PROFILES = _profiles()


def _subject_low_left() -> bytes:
    """A 3000 x 2000 landscape with a red subject low on the left (the focal area)."""
    image = Image.new("RGB", (3000, 2000), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 1300, 3000, 2000), fill=(60, 120, 60))
    draw.ellipse((300, 1300, 900, 1900), fill=(220, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


SOURCE = _subject_low_left()
FOCUS = Focus(0.2, 0.8, 0.2, 0.3)  # the red disc
WHOLE = Focus(0.5, 0.5, 1.0, 1.0)  # artwork: all of it is protected, so it is fitted whole
PHOTOS = Path(__file__).resolve().parent.parent.parent.parent / "shared" / "bench-data" / "photos"


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _banner() -> bytes:
    """A 3000 x 1000 campaign banner: flat colour, title in type reaching both ends."""
    image = Image.new("RGB", (3000, 1000), (230, 80, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 760, 3000, 1000), fill=(40, 40, 90))
    title = load_font("sans", 300, bold=True)
    draw.text((80, 180), "LIBRARIES WEEK 2026", fill="white", font=title)
    draw.text((80, 800), "Discover more at your library", fill="white", font=load_font("sans", 110))
    return _jpeg(image)


def _poster() -> bytes:
    """A 1400 x 2000 poster: title at the top, a picture, a footer line."""
    image = Image.new("RGB", (1400, 2000), (250, 240, 210))
    draw = ImageDraw.Draw(image)
    draw.text((90, 90), "READ", fill=(30, 60, 120), font=load_font("serif", 380, bold=True))
    draw.ellipse((300, 700, 1100, 1500), fill=(60, 150, 90))
    footer = load_font("sans", 95)
    draw.text((90, 1760), "Summer Reading Challenge", fill=(30, 60, 120), font=footer)
    return _jpeg(image)


def images(photos: Path = PHOTOS) -> dict[str, tuple[bytes, Focus]]:
    """The gallery's and these tests' images, with their focal areas."""
    found = {"subject-low-left": (SOURCE, FOCUS)}
    astronaut = photos / "astronaut-512.png"
    if astronaut.exists():  # the public-domain portrait: the face in the upper middle
        found["face"] = (astronaut.read_bytes(), Focus(0.5, 0.33, 0.36, 0.42))
    found["wide-banner"] = (_banner(), WHOLE)
    found["tall-poster"] = (_poster(), WHOLE)
    return found


IMAGES = images()


def _rect(box: dict[str, int]) -> tuple[int, int, int, int]:
    return box["x"], box["y"], box["width"], box["height"]


def _inside(inner: dict[str, int], outer: dict[str, int]) -> bool:
    return (
        outer["x"] <= inner["x"]
        and outer["y"] <= inner["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def _report(
    preset: Preset, brand: Brand, fields: dict[str, str], image: str = "subject-low-left"
) -> dict[str, Any]:
    data, focus = IMAGES[image]
    request = RenderRequest(
        data,
        image,
        preset,
        focus=focus,
        allow_smaller=True,
        brand=brand,
        local_fields=fields,
        credit_line="Photo: A. Photographer, CC BY 4.0",
        credit_required=True,
    )
    _, report = render_with_layout(request)
    return report


# Tokens that must stay whole on one line.
TOKENS = [
    "https://library.example.org.uk/libraries",
    "0113 000 0000",
    "hello@library.example.org.uk",
    "LS1 3AB",
]


@pytest.mark.parametrize("image", list(IMAGES))
@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("preset", SOCIAL, ids=[p.key for p in SOCIAL])
def test_every_rule_holds_on_the_report_of_a_real_render(
    preset: Preset, profile: str, image: str
) -> None:
    report = _report(preset, PROFILES[profile], EVENT, image)
    photo, focal, safe = report["photo_area"], report["focal_region"], report["safe_zone"]
    short = min(report["frame"]["width"], report["frame"]["height"])
    # The subject is inside the photo area, and nothing covers it.
    assert focal is not None and _inside(focal, photo)
    assert _inside(focal, safe)  # and not under the platform's bars
    for name in ("band", "logo", "qr"):
        if report[name] is not None:
            assert not overlaps(_rect(report[name]), _rect(focal)), name
    for plate in report["plates"]:
        assert not overlaps(_rect(plate), _rect(focal)), "plate"
    for line in report["lines"]:
        assert not overlaps(_rect(line["box"]), _rect(focal)), line["text"]
    # Nothing outside the safe zone; the band is not on the photo.
    for name in ("logo", "qr"):
        if report[name] is not None:
            assert _inside(report[name], safe), name
    for line in report["lines"]:
        assert _inside(line["box"], safe), line["text"]
    if report["band"] is not None:
        assert not overlaps(_rect(report["band"]), _rect(photo))
    # Minimum sizes and hierarchy: credit ≥ 1.6% of the short side and ≥ 14 px.
    sizes: dict[str, int] = {}
    for line in report["lines"]:
        sizes[line["role"]] = min(sizes.get(line["role"], 10**6), line["font_size"])
        assert line["contrast_ok"], (line["text"], line["contrast"])
        assert line["contrast"] >= (3.0 if line["large"] else 4.5)
    # (A source too small for the preset is made smaller, its layout scaled as a whole.)
    scale = report["frame"]["width"] / preset.width
    assert sizes["credit"] >= max(14 * scale - 1, 0.016 * short)
    order = [r for r in ("name", "title", "when", "contact", "credit") if r in sizes]
    assert order == ["name", "title", "when", "contact", "credit"], sizes
    assert all(sizes[a] > sizes[b] for a, b in itertools.pairwise(order)), sizes
    # No token split across lines, and no separator at either end of a line.
    text_lines = [line["text"].replace("\u00a0", " ") for line in report["lines"]]
    joined = " ".join(text_lines)
    for token in TOKENS:
        assert token in joined
        assert any(token in line for line in text_lines), token
    for line in text_lines:
        assert not re.match(r"^\s*·", line) and not re.search(r"·\s*$", line), line


def test_the_subject_is_clear_of_the_band_and_in_the_photo_on_a_story() -> None:
    report = _report(PRESETS["story"], PROFILES["long-name"], EVENT)
    focal, photo, band = report["focal_region"], report["photo_area"], report["band"]
    assert _inside(focal, photo)
    assert focal["y"] + focal["height"] <= band["y"]


def test_text_within_every_field_limit_fits_every_preset() -> None:
    longest = {
        name: ("Llyfrgell " * 40)[:limit].strip() for name, limit in LOCAL_FIELD_LIMITS.items()
    }
    assert check_fit(PROFILES["long-name"], EVENT, list(PRESETS.values())) == []
    # Every field at its limit at once still fits every preset (the event moves into the
    # band, sizes shrink to their minimums, lines reflow).
    assert check_fit(PROFILES["long-name"], longest, list(PRESETS.values())) == []


def test_a_plate_moves_off_the_subject_or_into_the_band() -> None:
    fields = {"event_title": "Summer Reading Challenge"}
    low = _report(PRESETS["instagram-square"], PROFILES["long-name"], fields)
    assert low["placement"] == "template" and low["plates"]
    high_subject = dataclasses.replace
    del high_subject
    request = RenderRequest(
        SOURCE,
        "top",
        PRESETS["instagram-square"],
        focus=Focus(0.2, 0.2, 0.3, 0.3),
        brand=PROFILES["long-name"],
        local_fields=fields,
    )
    _, top = render_with_layout(request)
    assert top["placement"] in ("flipped", "band")
    for plate in top["plates"]:
        assert not overlaps(_rect(plate), _rect(top["focal_region"]))


def test_without_a_logo_the_text_takes_its_place() -> None:
    with_logo = _report(PRESETS["instagram-square"], PROFILES["long-name"], {})
    without = _report(PRESETS["instagram-square"], PROFILES["no-logo"], {})
    left = min(line["box"]["x"] for line in without["lines"] if line["role"] == "name")
    assert left < 0.06 * 1080
    logo_left = min(line["box"]["x"] for line in with_logo["lines"] if line["role"] == "name")
    assert logo_left > with_logo["logo"]["x"] + with_logo["logo"]["width"]


def test_the_services_fit_check_answers_for_one_request() -> None:
    from assets_hub.services.rendering import fit_problems

    preset = PRESETS["facebook-link"]
    # One 110-letter "word" can be neither shrunk nor broken into this card's width.
    too_much = {"event_title": "Storytime" + "e" * 100}
    crowded = RenderRequest(SOURCE, "v", preset, brand=PROFILES["long-name"], local_fields=too_much)
    problems = fit_problems(crowded)
    assert problems and all(p.preset == "facebook-link" for p in problems)
    assert [(p.slot, p.field) for p in problems] == [("title", "event_title")]
    assert "shorten event title" in problems[0].message
    fine = RenderRequest(SOURCE, "v", preset, brand=PROFILES["long-name"], local_fields=EVENT)
    assert fit_problems(fine) == []
    assert fit_problems(RenderRequest(SOURCE, "v", preset)) == []


def test_a_template_without_a_band_puts_all_its_text_on_a_plate() -> None:
    from assets_hub.branding.overlays import DEFAULT_TEMPLATE_DOCUMENT, parse_template

    document = {**DEFAULT_TEMPLATE_DOCUMENT, "band": None, "logo": None, "qr": None}
    document["text"] = [
        {**slot, "region": "frame", "plate": True} for slot in DEFAULT_TEMPLATE_DOCUMENT["text"]
    ]
    document["credit"] = {**DEFAULT_TEMPLATE_DOCUMENT["credit"], "region": "frame"}
    request = RenderRequest(
        SOURCE,
        "v",
        PRESETS["instagram-square"],
        focus=FOCUS,
        brand=PROFILES["long-name"],
        template=parse_template(document),
        local_fields={"event_title": "Storytime"},
        credit_line="Photo: A. Photographer",
    )
    _, report = render_with_layout(request)
    roles = {line["role"] for line in report["lines"]}
    assert {"name", "title", "contact", "credit"} <= roles
    assert report["band"] is None and report["plates"]
    for plate in report["plates"]:
        assert not overlaps(_rect(plate), _rect(report["focal_region"]))
