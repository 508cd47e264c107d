"""Overlay layers: text stays inside its slots in every preset (checked on the pixels)."""

from __future__ import annotations

import dataclasses
import io
import time

import pytest
from PIL import Image, ImageChops, ImageDraw

from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import contrast_ratio, to_rgb
from assets_hub.branding.compositor import (
    DoesNotFit,
    _region_rects,
    apply_overlay,
    build_overlay,
    load_logo,
    overlay_for,
)
from assets_hub.branding.overlays import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_DOCUMENT, parse_template
from assets_hub.branding.presets import PRESETS, Preset
from tests.branding.conftest import NAME_60


def _stray_pixels(
    brand: Brand, preset: Preset, allowed: list[str], **kwargs: object
) -> tuple[int, dict[str, tuple[int, int, int, int]]]:
    """Pixels of the overlay outside the ``allowed`` slot boxes that are not plain band."""
    size, safe = (preset.width, preset.height), preset.safe_area
    overlay = build_overlay(brand, DEFAULT_TEMPLATE, size, safe, {}, None, **kwargs)  # type: ignore[arg-type]
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    assert overlay.layer is not None
    canvas.alpha_composite(overlay.layer, overlay.offset)
    expected = Image.new("RGBA", size, (0, 0, 0, 0))
    x, y, w, h = _region_rects(DEFAULT_TEMPLATE, size, safe)["band_fill"]
    expected.paste((*to_rgb(brand.primary), 255), (x, y, x + w, y + h))
    for key in allowed:
        left, top, width, height = overlay.slots[key]
        for image in (canvas, expected):
            image.paste((0, 0, 0, 0), (left, top, left + width, top + height))
    diff = ImageChops.difference(canvas, expected)
    where = diff.getbbox(alpha_only=False)
    if where is None:
        return 0, dict(overlay.slots)
    stray = sum(1 for px in diff.crop(where).get_flattened_data() if px != (0, 0, 0, 0))
    return stray, dict(overlay.slots)


@pytest.mark.parametrize("preset", list(PRESETS.values()), ids=list(PRESETS))
def test_sixty_character_name_fits_every_preset_inside_its_slot(
    brand: Brand, preset: Preset
) -> None:
    plain = dataclasses.replace(brand, logo=None, qr_url=None, fields={"library_name": NAME_60})
    stray, slots = _stray_pixels(plain, preset, ["name"])
    assert stray == 0, f"{stray} text pixels outside the name slot in {preset.key}"
    # ...and the name was really drawn inside the slot, within the frame and the band.
    size, safe = (preset.width, preset.height), preset.safe_area
    overlay = build_overlay(plain, DEFAULT_TEMPLATE, size, safe, {}, None)
    left, top, width, height = slots["name"]
    assert 0 <= left and left + width <= preset.width and top + height <= preset.height
    ox, oy = overlay.offset
    assert overlay.layer is not None
    inside = overlay.layer.crop((left - ox, top - oy, left - ox + width, top - oy + height))
    band = Image.new("RGBA", inside.size, (*to_rgb(plain.primary), 255))
    assert ImageChops.difference(inside, band).getbbox(alpha_only=False) is not None


@pytest.mark.parametrize("preset", list(PRESETS.values()), ids=list(PRESETS))
def test_thousand_character_contact_stays_in_its_slot_quickly(brand: Brand, preset: Preset) -> None:
    contact = ("Ffôn 029 2087 1000 · مكتبة المدينة · Llyfrgell Ganolog Caerdydd · " * 20)[:1000]
    busy = dataclasses.replace(
        brand, logo=None, qr_url=None, fields={"library_name": NAME_60, "address": contact}
    )
    started = time.perf_counter()
    stray, _ = _stray_pixels(busy, preset, ["name", "contact"])
    assert time.perf_counter() - started < 2.0  # IMG-09
    assert stray == 0


def test_full_overlay_draws_only_inside_its_zones(brand: Brand) -> None:
    preset = PRESETS["story"]
    stray, slots = _stray_pixels(brand, preset, ["name", "contact", "logo", "qr"])
    assert stray == 0
    assert {"name", "contact", "logo", "qr"} <= set(slots)
    # The story's zones keep clear of the bottom 340 px that Instagram's reply box covers.
    assert all(top + height <= 1920 - 340 for _, top, _, height in slots.values())


def test_text_on_the_band_is_readable(brand: Brand) -> None:
    # Brand text colour barely contrasts with the band: the renderer switches to white.
    poor = dataclasses.replace(brand, primary="#1d3c6e", text="#2b4c80", logo=None, qr_url=None)
    overlay = build_overlay(
        poor, DEFAULT_TEMPLATE, (1080, 1080), PRESETS["instagram-square"].safe_area, {}, None
    )
    assert overlay.layer is not None
    colours = {c for _, c in overlay.layer.convert("RGB").getcolors(1 << 20) or []}
    assert (255, 255, 255) in colours
    assert (0x2B, 0x4C, 0x80) not in colours
    assert contrast_ratio("#1d3c6e", "#ffffff") >= 4.5


def test_logo_is_trimmed_of_transparent_margins() -> None:
    from tests.branding.conftest import logo_png

    logo = load_logo(logo_png((600, 300), margin=60))
    assert logo.size == (481, 181)  # the disc itself: the 60 px margins are gone


def test_logo_on_white_canvas_is_trimmed_of_white() -> None:
    image = Image.new("RGB", (500, 500), "white")
    ImageDraw.Draw(image).rectangle((100, 200, 399, 299), fill="navy")
    out = io.BytesIO()
    image.save(out, "PNG")
    assert load_logo(out.getvalue()).size == (300, 100)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"not an image", "not a readable"), (b"GIF89a" + b"\0" * 20, "not a readable")],
)
def test_bad_logo_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_logo(data)


def test_name_too_long_for_any_size_is_refused_naming_the_slot(brand: Brand) -> None:
    long_name = dataclasses.replace(brand, fields={"library_name": "Llyfrgell " * 11})
    with pytest.raises(DoesNotFit, match="'name'"):
        build_overlay(
            long_name, DEFAULT_TEMPLATE, (400, 210), PRESETS["linkedin"].safe_area, {}, None
        )


def test_required_credit_without_a_credit_line_is_refused(brand: Brand) -> None:
    with pytest.raises(DoesNotFit, match="credit"):
        build_overlay(
            brand,
            DEFAULT_TEMPLATE,
            (1080, 1080),
            PRESETS["instagram-square"].safe_area,
            {},
            None,
            credit_required=True,
        )


def test_qr_too_small_is_left_out_with_a_warning(brand: Brand) -> None:
    overlay = build_overlay(
        dataclasses.replace(brand, fields={"library_name": "Cardiff Library"}),
        DEFAULT_TEMPLATE,
        (400, 210),
        PRESETS["linkedin"].safe_area,
        {},
        None,
    )
    assert any("QR code left out" in w for w in overlay.warnings)
    assert "qr" not in overlay.slots


def test_overlay_layers_are_reused(brand: Brand) -> None:
    safe = PRESETS["instagram-square"].safe_area
    first = overlay_for(brand, DEFAULT_TEMPLATE, (1080, 1080), safe, {}, None)
    assert overlay_for(brand, DEFAULT_TEMPLATE, (1080, 1080), safe, {}, None) is first
    other = dataclasses.replace(brand, version=4)
    assert overlay_for(other, DEFAULT_TEMPLATE, (1080, 1080), safe, {}, None) is not first


def test_welsh_name_is_drawn_in_the_name_slot(brand: Brand) -> None:
    fields = {
        "library_name": "Cardiff Central Library",
        "library_name_cy": "Llyfrgell Ganolog Caerdydd",
    }
    bilingual = dataclasses.replace(brand, logo=None, qr_url=None, fields=fields)
    english = dataclasses.replace(bilingual, fields={"library_name": fields["library_name"]})
    stray, _ = _stray_pixels(bilingual, PRESETS["instagram-square"], ["name"])
    assert stray == 0
    size, safe = (1080, 1080), PRESETS["instagram-square"].safe_area
    a = build_overlay(bilingual, DEFAULT_TEMPLATE, size, safe, {}, None)
    b = build_overlay(english, DEFAULT_TEMPLATE, size, safe, {}, None)
    assert a.layer is not None and b.layer is not None
    assert ImageChops.difference(a.layer, b.layer).getbbox(alpha_only=False) is not None


@pytest.mark.parametrize("edge", ["bottom", "top", "left", "right"])
def test_the_band_is_an_opaque_piece_and_only_the_rest_is_visible(brand: Brand, edge: str) -> None:
    document = {**DEFAULT_TEMPLATE_DOCUMENT, "band": {**DEFAULT_TEMPLATE_DOCUMENT["band"]}}
    document["band"]["edge"] = edge
    document["text"] = []  # the default's text does not fit a band on a side edge
    template = parse_template(document)
    safe = PRESETS["story"].safe_area
    overlay = build_overlay(brand, template, (1080, 1920), safe, {}, None)
    x, y, w, h = _region_rects(template, (1080, 1920), safe)["band_fill"]
    band = [p for p in overlay.pieces if p.opaque]
    assert len(band) == 1 and band[0].offset == (x, y) and band[0].image.size == (w, h)
    assert band[0].image.getchannel("A").getextrema() == (255, 255)
    assert overlay.visible is not None
    vx, vy, vw, vh = overlay.visible
    # The visible part and the band tile the frame exactly.
    assert vw * vh + w * h == 1080 * 1920
    assert not (vx < x + w and x < vx + vw and vy < y + h and y < vy + vh)


def test_a_plate_over_the_band_keeps_the_band_blended(brand: Brand) -> None:
    document = {
        **DEFAULT_TEMPLATE_DOCUMENT,
        "text": [dict(s) for s in DEFAULT_TEMPLATE_DOCUMENT["text"]],
    }
    document["text"][2]["box"] = [0.04, 0.7, 0.92, 0.28]  # the event plate reaches the band
    template = parse_template(document)
    safe = PRESETS["instagram-square"].safe_area
    overlay = build_overlay(
        brand, template, (1080, 1080), safe, {"event_title": "Storytime " * 8}, None
    )
    assert overlay.visible is None
    assert not any(p.opaque for p in overlay.pieces)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_applying_the_pieces_equals_blending_one_layer(brand: Brand, mode: str) -> None:
    safe = PRESETS["instagram-square"].safe_area
    fields = {"event_title": "Summer Reading Challenge"}
    overlay = build_overlay(brand, DEFAULT_TEMPLATE, (1080, 1080), safe, fields, None)
    assert len(overlay.pieces) == 2  # the band, and the event plate
    photo = Image.radial_gradient("L").resize((1080, 1080)).convert(mode)
    if mode == "RGBA":
        photo.putalpha(Image.linear_gradient("L").resize((1080, 1080)))
    expected = photo.copy()
    layer = overlay.layer
    assert layer is not None
    if mode == "RGBA":
        expected.alpha_composite(layer, overlay.offset)
    else:
        expected.paste(layer, overlay.offset, layer)
    apply_overlay(photo, overlay)
    assert ImageChops.difference(photo, expected).getbbox(alpha_only=False) is None
