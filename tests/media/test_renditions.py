"""render() and rendition_key(): correct bytes, clean metadata, budgets, keys that invalidate."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageStat

from assets_hub.branding.brand import Brand
from assets_hub.branding.compositor import overlay_for
from assets_hub.branding.overlays import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_DOCUMENT, parse_template
from assets_hub.branding.presets import PRESETS, Preset
from assets_hub.media import renditions
from assets_hub.media.geometry import Focus
from assets_hub.media.operations import decode_master
from assets_hub.media.renditions import (
    RenderError,
    RenderRequest,
    SourceTooSmall,
    master_suffices,
    render,
    rendition_key,
)
from tests.branding.conftest import NAME_60, logo_png

PHOTO = Path(__file__).resolve().parents[3] / "shared" / "bench-data" / "photos" / "012mp-bus.jpg"


def _jpeg(image: Image.Image, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **kwargs)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _has_red(image: Image.Image) -> bool:
    red = image.convert("RGB").point(lambda v: v).split()
    mask = Image.merge("RGB", red).convert("HSV")  # any strongly red, saturated pixel
    hue, sat, val = mask.split()
    found = ImageChops.multiply(
        hue.point(lambda h: 255 if h < 10 or h > 245 else 0),
        ImageChops.multiply(
            sat.point(lambda s: 255 if s > 150 else 0), val.point(lambda v: 255 if v > 150 else 0)
        ),
    )
    return found.getbbox() is not None


@pytest.fixture
def brand() -> Brand:
    return Brand(
        "profile-1",
        3,
        primary="#1d3c6e",
        text="#ffd700",
        fields={"library_name": NAME_60, "website": "https://library.example.org.uk"},
        logo=logo_png(),
        qr_url="https://library.example.org.uk/events",
    )


@pytest.fixture
def source() -> bytes:
    image = Image.new("RGB", (2560, 1920), (90, 120, 150))
    ImageDraw.Draw(image).ellipse((1920, 800, 2240, 1120), fill=(220, 30, 30))
    return _jpeg(image)


def test_render_makes_a_branded_jpeg_of_the_preset_size(brand: Brand, source: bytes) -> None:
    result = render(RenderRequest(source, "v1:master", PRESETS["instagram-square"], brand=brand))
    image = Image.open(io.BytesIO(result.data))
    assert (image.format, image.size) == ("JPEG", (1080, 1080))
    assert (result.width, result.height, result.media_type) == (1080, 1080, "image/jpeg")
    assert result.quality == 85 and result.budget_met is None and result.warnings == ()


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_output_has_srgb_profile_and_no_exif_or_gps(brand: Brand, fmt: str) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 29.0, 0.0)}  # GPS
    original = _jpeg(Image.new("RGB", (1600, 1200), "teal"), exif=exif.tobytes())
    assert "exif" in Image.open(io.BytesIO(original)).info
    request = RenderRequest(original, "v1", PRESETS["x-post"], format=fmt, brand=brand)  # type: ignore[arg-type]
    image = Image.open(io.BytesIO(render(request).data))
    assert "exif" not in image.info and not image.getexif()
    assert "xmp" not in image.info
    profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)


def test_exif_orientation_of_an_original_is_applied() -> None:
    # Stored sideways with orientation 6 (rotate 90° clockwise to view): left half red.
    stored = Image.new("RGB", (1200, 1600), "blue")
    stored.paste((255, 0, 0), (0, 0, 1200, 800))  # top when stored = right... after rotation
    exif = Image.Exif()
    exif[0x0112] = 6
    request = RenderRequest(_jpeg(stored, exif=exif.tobytes()), "v1", PRESETS["x-post"])
    image = Image.open(io.BytesIO(render(request).data)).convert("RGB")
    assert image.size == (1200, 675)
    r, _, b = image.getpixel((1100, 337))  # type: ignore[misc]
    assert r > 200 and b < 60  # the stored top is now on the right
    r, _, b = image.getpixel((100, 337))  # type: ignore[misc]
    assert b > 200 and r < 60


def test_the_focal_point_stays_in_frame(source: bytes) -> None:
    request = RenderRequest(source, "v1", PRESETS["story"], focus=Focus(2080 / 2560, 0.5))
    image = Image.open(io.BytesIO(render(request).data)).convert("RGB")
    assert _has_red(image)  # the red disc is in the story crop


def test_without_focus_saliency_finds_the_detail(source: bytes) -> None:
    image = Image.open(io.BytesIO(render(RenderRequest(source, "v1", PRESETS["story"])).data))
    assert _has_red(image.convert("RGB"))


def test_overlay_pixels_stay_in_their_zones_in_the_final_png(brand: Brand) -> None:
    grey = _png(Image.new("RGB", (2400, 1800), (128, 128, 128)))
    preset = PRESETS["instagram-portrait"]
    fields = {"event_title": "Summer Reading Challenge", "event_date": "Sat 12 July"}
    result = render(
        RenderRequest(grey, "v1", preset, format="png", brand=brand, local_fields=fields)
    )
    image = Image.open(io.BytesIO(result.data)).convert("RGB")
    expected = Image.new("RGB", image.size, (128, 128, 128))
    overlay = overlay_for(brand, DEFAULT_TEMPLATE, image.size, preset.safe_area, fields, None)
    assert overlay.layout is not None and overlay.layout.band is not None
    x, y, w, h = overlay.layout.band
    expected.paste((0x1D, 0x3C, 0x6E), (x, y, x + w, y + h))
    for plate in overlay.layout.plates:  # opaque plates in the brand colour
        expected.paste(
            (0x1D, 0x3C, 0x6E), (plate[0], plate[1], plate[0] + plate[2], plate[1] + plate[3])
        )
    for left, top, width, height in overlay.slots.values():
        for im in (image, expected):
            im.paste((0, 0, 0), (left, top, left + width, top + height))
    # The event plate hugs its text inside the event zone; blank that zone as a whole.
    assert ImageChops.difference(image, expected).getbbox() is None


def test_bluesky_budget_is_met_on_the_12_megapixel_photo(brand: Brand) -> None:
    if not PHOTO.is_file():
        pytest.skip("bench photo not available")
    result = render(RenderRequest(PHOTO.read_bytes(), "v1", PRESETS["bluesky"], brand=brand))
    assert (result.width, result.height) == (2000, 2000)
    assert len(result.data) <= 1_000_000 and result.budget_met is True


def test_impossible_budget_is_reported_not_hidden() -> None:
    noise = Image.effect_noise((1200, 1200), 100).convert("RGB")
    tiny = Preset("tiny", "Tiny", 1080, 1080, byte_budget=20_000)
    result = render(RenderRequest(_png(noise), "v1", tiny))
    assert result.budget_met is False and len(result.data) > 20_000
    assert result.quality == 40
    assert any("exceeds the Tiny budget of 20,000 bytes" in w for w in result.warnings)


def test_budget_search_keeps_the_highest_quality_that_fits() -> None:
    noise = Image.effect_noise((1200, 1200), 30).convert("RGB")
    unlimited = render(RenderRequest(_png(noise), "v1", Preset("a", "A", 1080, 1080)))
    budget = len(unlimited.data) * 2 // 3
    limited = render(
        RenderRequest(_png(noise), "v1", Preset("b", "B", 1080, 1080, byte_budget=budget))
    )
    assert limited.budget_met is True and len(limited.data) <= budget
    assert limited.quality is not None and 40 <= limited.quality < 85


def test_too_small_source_is_refused_or_made_smaller_on_request() -> None:
    small = _jpeg(Image.new("RGB", (640, 480), "olive"))
    with pytest.raises(SourceTooSmall, match=r"640×480 px, too small for A4 poster"):
        render(RenderRequest(small, "v1", PRESETS["poster-a4"]))
    result = render(RenderRequest(small, "v1", PRESETS["poster-a4"], allow_smaller=True))
    assert (result.width, result.height) == (424, 599)
    assert any("made at 424×599" in w for w in result.warnings)
    preview = render(RenderRequest(small, "v1", PRESETS["poster-a4"], preview=True))
    assert (preview.width, preview.height) == (424, 600)  # a preview shows the preset's shape
    assert any("too small for A4 poster" in w for w in preview.warnings)


def test_bad_requests_are_refused_with_reasons(brand: Brand, source: bytes) -> None:
    with pytest.raises(RenderError, match="format 'png' is not offered for preset 'bluesky'"):
        RenderRequest(source, "v1", PRESETS["bluesky"], format="png")
    with pytest.raises(
        RenderError, match="local field 'event_title' is 121 characters long; the maximum is 120"
    ):
        RenderRequest(
            source,
            "v1",
            PRESETS["story"],
            local_fields={"event_title": "x" * 121},
        )
    with pytest.raises(RenderError, match="unknown local field 'library_name'"):
        RenderRequest(source, "v1", PRESETS["story"], local_fields={"library_name": "Evil"})
    with pytest.raises(RenderError, match="not a readable JPEG, PNG or WebP"):
        render(RenderRequest(b"<svg/>", "v1", PRESETS["story"]))
    with pytest.raises(RenderError, match="credit"):
        render(RenderRequest(source, "v1", PRESETS["story"], brand=brand, credit_required=True))


def test_preview_is_small(brand: Brand, source: bytes) -> None:
    result = render(RenderRequest(source, "v1", PRESETS["story"], brand=brand, preview=True))
    assert (result.width, result.height) == (338, 600)


def test_decoded_master_renders_like_its_bytes(brand: Brand, source: bytes) -> None:
    # Bytes may be decoded at a reduced DCT scale, a decoded master is resampled from full
    # size: the results agree to within rounding, not bit for bit.
    master = decode_master(source)
    a = render(RenderRequest(source, "v1", PRESETS["linkedin"], brand=brand, format="png"))
    b = render(RenderRequest(master, "v1", PRESETS["linkedin"], brand=brand, format="png"))
    pa, pb = (Image.open(io.BytesIO(r.data)).convert("RGB") for r in (a, b))
    assert pa.size == pb.size == (1200, 627)
    histogram = ImageChops.difference(pa, pb).convert("L").histogram()
    assert sum(i * n for i, n in enumerate(histogram)) / sum(histogram) < 1.0
    assert master.size == (2560, 1920)  # not mutated


def test_master_suffices_for_social_sizes_not_for_posters() -> None:
    assert master_suffices((2560, 1920), PRESETS["instagram-square"], None)
    assert not master_suffices((2560, 1920), PRESETS["poster-a4"], None)


# --- keys -------------------------------------------------------------------------------------


def _base(brand: Brand) -> RenderRequest:
    return RenderRequest(
        b"...",
        "asset-7:v2",
        PRESETS["instagram-square"],
        brand=brand,
        focus=Focus(0.4, 0.5),
        local_fields={"event_title": "Storytime"},
    )


def test_key_is_stable(brand: Brand) -> None:
    again = Brand(
        "profile-1",
        3,
        primary="#1D3C6E",
        text="#FFD700",
        fields={"website": "https://library.example.org.uk", "library_name": NAME_60},
        logo=logo_png(),
        qr_url="https://library.example.org.uk/events",
    )
    assert rendition_key(_base(brand)) == rendition_key(_base(again))
    assert len(rendition_key(_base(brand))) == 64


CHANGES = {
    "logo": lambda r, b: dataclasses.replace(
        r, brand=dataclasses.replace(b, logo=logo_png(margin=10))
    ),
    "primary": lambda r, b: dataclasses.replace(r, brand=dataclasses.replace(b, primary="#1d3c6f")),
    "text colour": lambda r, b: dataclasses.replace(
        r, brand=dataclasses.replace(b, text="#ffffff")
    ),
    "profile version": lambda r, b: dataclasses.replace(r, brand=dataclasses.replace(b, version=4)),
    "profile field": lambda r, b: dataclasses.replace(
        r, brand=dataclasses.replace(b, fields={"library_name": "Other"})
    ),
    "font": lambda r, b: dataclasses.replace(r, brand=dataclasses.replace(b, font="serif")),
    "qr url": lambda r, b: dataclasses.replace(
        r, brand=dataclasses.replace(b, qr_url="https://x.example/")
    ),
    "focus": lambda r, b: dataclasses.replace(r, focus=Focus(0.41, 0.5)),
    "no focus": lambda r, b: dataclasses.replace(r, focus=None),
    "local field": lambda r, b: dataclasses.replace(r, local_fields={"event_title": "Storytime!"}),
    "preset": lambda r, b: dataclasses.replace(r, preset=PRESETS["instagram-portrait"]),
    "preset edit": lambda r, b: dataclasses.replace(
        r, preset=dataclasses.replace(r.preset, version=2)
    ),
    "format": lambda r, b: dataclasses.replace(r, format="webp"),
    "source version": lambda r, b: dataclasses.replace(r, source_version="asset-7:v3"),
    "template": lambda r, b: dataclasses.replace(
        r, template=parse_template({**DEFAULT_TEMPLATE_DOCUMENT, "revision": 2})
    ),
    "credit": lambda r, b: dataclasses.replace(r, credit_line="Photo: A. N. Other"),
    "unbranded": lambda r, b: dataclasses.replace(r, brand=None),
    "preview": lambda r, b: dataclasses.replace(r, preview=True),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_that_affects_bytes_changes_the_key(brand: Brand, change: str) -> None:
    base = _base(brand)
    assert rendition_key(CHANGES[change](base, brand)) != rendition_key(base)


def test_engine_version_is_part_of_the_key(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    before = rendition_key(_base(brand))
    monkeypatch.setattr(renditions, "ENGINE_VERSION", renditions.ENGINE_VERSION + "-next")
    assert rendition_key(_base(brand)) != before


def _photo_like(size: tuple[int, int]) -> Image.Image:
    """Detail everywhere (gradients and edges), so resampling differences would show."""
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 37):
        draw.line((i, 0, size[0] - i, size[1]), fill=(200, 40 + i % 200, 90), width=3)
    return image


def test_only_the_visible_part_is_resampled_with_the_same_pixels() -> None:
    from assets_hub.media.geometry import Rect
    from assets_hub.media.operations import crop_resize

    image = _photo_like((2560, 1920))
    crop = Rect(320.4, 0, 1920, 1920)
    whole = crop_resize(image, crop, (1080, 1080))
    part = crop_resize(image, crop, (1080, 1080), visible=(0, 0, 1080, 821))
    assert part.size == (1080, 1080) and part.mode == "RGB"
    # Same sample centres and scale (up to float rounding of the scale: ±1 level at most).
    top = (0, 0, 1080, 816)
    inside = ImageChops.difference(whole.crop(top), part.crop(top))
    assert max(high for _, high in inside.getextrema()) <= 1
    edge = ImageChops.difference(whole.crop((0, 816, 1080, 821)), part.crop((0, 816, 1080, 821)))
    assert max(high for _, high in edge.getextrema()) <= 8
    assert part.crop((0, 821, 1080, 1080)).getbbox() is None  # left for the band to cover


def test_a_one_to_one_crop_is_copied_exactly() -> None:
    from assets_hub.media.geometry import Rect
    from assets_hub.media.operations import crop_resize

    image = _photo_like((2560, 1920))
    out = crop_resize(image, Rect(740.3, 0, 1080, 1920), (1080, 1920))
    assert ImageChops.difference(out, image.crop((740, 0, 1820, 1920))).getbbox() is None


@pytest.mark.skipif(not PHOTO.exists(), reason="needs the bench photo (its Display P3 profile)")
def test_display_p3_source_is_converted_to_srgb_with_a_cached_transform() -> None:
    from assets_hub.media.operations import _srgb_transform

    with Image.open(PHOTO) as photo:
        p3 = photo.info["icc_profile"]
    assert "P3" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(p3)))
    colour = (200, 100, 50)
    source = _jpeg(Image.new("RGB", (1600, 1600), colour), icc_profile=p3)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), colour),
        ImageCms.ImageCmsProfile(io.BytesIO(p3)),
        ImageCms.createProfile("sRGB"),
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
    )
    assert expected is not None
    want = expected.getpixel((0, 0))
    assert isinstance(want, tuple) and want != colour  # P3 and sRGB really differ here
    _srgb_transform.cache_clear()
    for _ in range(2):
        result = render(RenderRequest(source, "p3", PRESETS["instagram-square"]))
        with Image.open(io.BytesIO(result.data)) as out:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(out.info["icc_profile"]))
            assert "sRGB" in ImageCms.getProfileDescription(profile)
            got = out.convert("RGB").getpixel((540, 540))
        assert isinstance(got, tuple)
        assert all(abs(g - w) <= 3 for g, w in zip(got, want, strict=True))  # JPEG rounding
    info = _srgb_transform.cache_info()
    assert info.misses == 1 and info.hits == 1  # built once for the profile, then reused


@pytest.mark.parametrize(
    ("size", "crop", "out"),
    [
        ((2560, 1920), (320.4, 0, 1920, 1920), (1080, 1080)),  # master to a square
        ((2016, 1512), (0, 347.5, 2016, 1058.4), (1200, 630)),  # half-decoded original, link
        ((1920, 2560), (0, 173.3, 1920, 2400), (1080, 1350)),  # portrait, past the bottom edge
    ],
)
def test_a_resize_in_bands_equals_the_whole(
    size: tuple[int, int],
    crop: tuple[float, float, float, float],
    out: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assets_hub.media import operations
    from assets_hub.media.geometry import Rect

    image = _photo_like(size)
    with Image.open(PHOTO) if PHOTO.exists() else Image.new("RGB", (1, 1)) as photo:
        p3 = photo.info.get("icc_profile")
    if p3:  # the colour conversion runs per band too
        image.info["icc_profile"] = p3
    banded = operations.crop_resize(image, Rect(*crop), out)
    monkeypatch.setattr(operations, "PARALLEL_MIN_PIXELS", 10**12)
    whole = operations.crop_resize(image, Rect(*crop), out)
    assert banded.size == whole.size == out
    # Same scale and sample centres in every band, up to float rounding (a band's box edge is
    # top * scale): a level or two here and there, a slightly shifted filter window on a
    # handful of pixels, and no seam where the bands meet.
    levels = ImageChops.difference(banded, whole).convert("L").histogram()
    assert sum(levels[3:]) <= out[0] * out[1] // 10_000
    seam = ImageChops.difference(banded, whole).crop((0, out[1] // 2 - 2, out[0], out[1] // 2 + 2))
    assert max(ImageStat.Stat(seam).mean) < 0.1  # a seam would differ all along those rows


def test_artwork_is_fitted_whole_on_its_edge_colour_and_never_refused() -> None:
    banner = Image.new("RGB", (800, 267), (230, 80, 40))
    ImageDraw.Draw(banner).rectangle((0, 0, 799, 30), fill=(255, 255, 255))  # a top strip
    ImageDraw.Draw(banner).rectangle((0, 236, 799, 266), fill=(0, 0, 0))  # a bottom strip
    data = _png(banner)
    for key in ("instagram-square", "story", "x-post"):
        preset = PRESETS[key]
        result = render(RenderRequest(data, "b", preset, format="png", artwork=True))
        image = Image.open(io.BytesIO(result.data)).convert("RGB")
        assert image.size == (preset.width, preset.height)  # not refused, not made smaller
        colours = {c for _, c in image.getcolors(1 << 20) or []}
        # Both strips survive: nothing of the banner was cut off.
        assert any(c[0] > 240 and c[1] > 240 for c in colours)
        assert any(max(c) < 15 for c in colours)
    with pytest.raises(SourceTooSmall, match="or mark the asset as artwork"):
        render(RenderRequest(data, "b", PRESETS["story"]))
