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
    """Pixels of the band outside the ``allowed`` slot boxes that are not plain band colour."""
    size, safe = (preset.width, preset.height), preset.safe_area
    overlay = build_overlay(brand, DEFAULT_TEMPLATE, size, safe, {}, None, **kwargs)  # type: ignore[arg-type]
    assert overlay.layout is not None and overlay.layout.band is not None
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    apply_overlay(canvas, overlay)
    expected = Image.new("RGBA", size, (0, 0, 0, 0))
    x, y, w, h = overlay.layout.band
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
    assert overlay.layout is not None and overlay.layout.band is not None
    bx, by = overlay.layout.band[:2]
    band_image = next(p.image for p in overlay.pieces if p.offset == (bx, by))
    inside = band_image.crop((left - bx, top - by, left - bx + width, top - by + height))
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
    assert a.layout is not None and b.layout is not None
    assert [t.block.lines for t in a.layout.texts] != [t.block.lines for t in b.layout.texts]


@pytest.mark.parametrize("edge", ["bottom", "top", "left", "right"])
def test_the_band_and_the_photo_area_tile_the_frame(brand: Brand, edge: str) -> None:
    document = {**DEFAULT_TEMPLATE_DOCUMENT, "band": {**DEFAULT_TEMPLATE_DOCUMENT["band"]}}
    document["band"]["edge"] = edge
    document["text"] = [DEFAULT_TEMPLATE_DOCUMENT["text"][0]]
    template = parse_template(document)
    safe = PRESETS["story"].safe_area
    named = dataclasses.replace(brand, fields={"library_name": "Leeds Central Library"})
    overlay = build_overlay(named, template, (1080, 1920), safe, {}, None)
    assert overlay.layout is not None and overlay.layout.band is not None
    x, y, w, h = overlay.layout.band
    band = [p for p in overlay.pieces if p.opaque]
    assert len(band) == 1 and band[0].offset == (x, y) and band[0].image.size == (w, h)
    assert band[0].image.getchannel("A").getextrema() == (255, 255)
    vx, vy, vw, vh = overlay.layout.photo
    # The photo area and the band tile the frame exactly: the band is never on the photo.
    assert vw * vh + w * h == 1080 * 1920
    assert not (vx < x + w and x < vx + vw and vy < y + h and y < vy + vh)


def test_the_band_is_as_tall_as_its_content(brand: Brand) -> None:
    safe = PRESETS["story"].safe_area
    short = dataclasses.replace(brand, fields={"library_name": "Leeds Library"}, logo=None)
    small = build_overlay(short, DEFAULT_TEMPLATE, (1080, 1920), safe, {}, None).layout
    big = build_overlay(brand, DEFAULT_TEMPLATE, (1080, 1920), safe, {}, None).layout
    assert small is not None and big is not None and small.band and big.band
    assert small.band[3] < big.band[3]
    # Content ends a padding away from the band's live bottom (no empty lower third).
    lowest = max(t.box[1] + t.box[3] for t in big.texts)
    assert 1920 - 340 - lowest < 0.06 * 1080


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_every_piece_is_opaque_and_copied(brand: Brand, mode: str) -> None:
    safe = PRESETS["instagram-square"].safe_area
    fields = {"event_title": "Summer Reading Challenge"}
    overlay = build_overlay(brand, DEFAULT_TEMPLATE, (1080, 1080), safe, fields, None)
    assert len(overlay.pieces) == 2  # the band, and the event plate
    assert all(p.opaque for p in overlay.pieces)
    photo = Image.radial_gradient("L").resize((1080, 1080)).convert(mode)
    expected = photo.copy()
    for piece in overlay.pieces:
        expected.paste(piece.image.convert(mode), piece.offset)
    apply_overlay(photo, overlay)
    assert ImageChops.difference(photo, expected).getbbox(alpha_only=False) is None
