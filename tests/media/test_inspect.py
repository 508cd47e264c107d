"""Image inspection and derived files (SECURITY UP-02/07/08/09/11/13, IMG-01..05).

Every fixture is generated here with Pillow or hand-written bytes; the builders at the top are
shared with test_strip.py. Memory limits are measured in a child process (ru_maxrss is a
process-wide high-water mark, and Pillow's pixel buffers are invisible to tracemalloc).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from assets_hub.errors import Unprocessable, UnsupportedMediaType
from assets_hub.media.inspect import (
    Inspection,
    Limits,
    flatten_on_white,
    hamming,
    inspect_file,
    phash,
)
from assets_hub.media.sniff import sniff

LIMITS = Limits(max_pixels=50_000_000, max_side_px=12_000, max_frames=1000, max_pdf_pages=500)
REPO = Path(__file__).resolve().parents[2]
BUS = REPO.parent / "shared" / "bench-data" / "photos" / "012mp-bus.jpg"
RED, GREEN, BLUE, CYAN = (255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255)

# Strings planted in metadata; none may appear in any derived or member-downloadable file.
SECRETS = (
    b"Jane Owner",  # EXIF CameraOwnerName
    b"SN-998877",  # EXIF BodySerialNumber
    b"Author Name",  # EXIF Artist and XMP dc:creator
    b"Kettering",  # IPTC city
    b"GPSLatitude",  # XMP exif:GPSLatitude
    b"ns.adobe.com/xap",  # the XMP APP1 signature
    b"Photoshop 3.0",  # the IPTC APP13 signature
    b"tEXt-secret",  # PNG text chunks
    b"Exif\x00\x00",  # any EXIF block at all
)
HTML = b"<html><script>alert('polyglot')</script></html>"


# --- builders ---------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def inspect_bytes(data: bytes, limits: Limits = LIMITS) -> Inspection:
    return inspect_file(io.BytesIO(data), sniff(data[:32]), limits)


def decoded(data: bytes | None) -> Image.Image:
    assert data is not None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    assert jpeg.startswith(b"\xff\xd8")
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def remove_segment(jpeg: bytes, marker: int) -> bytes:
    """``jpeg`` without its first segment of type ``marker`` (header segments only)."""
    start = jpeg.index(bytes((0xFF, marker)))
    (length,) = struct.unpack(">H", jpeg[start + 2 : start + 4])
    return jpeg[:start] + jpeg[start + 2 + length :]


def private_exif(orientation: int | None = None) -> Image.Exif:
    """EXIF with GPS, owner, serial, artist and a capture date."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x013B] = "Author Name"
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x8769] = {0xA430: "Jane Owner", 0xA431: "SN-998877", 0x9003: "2023:05:17 14:22:05"}
    exif[0x8825] = {1: "N", 2: (52.0, 23.0, 30.0), 3: "W", 4: (0.0, 43.0, 12.0)}
    return exif


def xmp_segment() -> bytes:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/" exif:GPSLatitude="52,23.5N" '
        b'exif:GPSLongitude="0,43.2W"><dc:creator>Author Name</dc:creator>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)


def iptc_segment(city: bytes = b"Kettering") -> bytes:
    record = b"\x1c\x02\x5a" + struct.pack(">H", len(city)) + city  # 2:90 City
    if len(record) % 2:
        record += b"\x00"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record))
    return segment(0xED, b"Photoshop 3.0\x00" + resource + record)


def jpeg_with_metadata(orientation: int | None = None) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    plain = encode(image, "JPEG", quality=95, exif=private_exif(orientation))
    return after_soi(plain, xmp_segment(), iptc_segment(), segment(0xFE, b"Author Name"))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_from_rows(width: int, height: int, depth: int, colour: int, row: bytes) -> bytes:
    """A valid PNG of identical filtered rows, compressed as a stream (large sizes stay cheap)."""
    compressor = zlib.compressobj(9)
    block = (b"\x00" + row) * 500
    parts = [compressor.compress(block) for _ in range(height // 500)]
    parts.append(compressor.compress((b"\x00" + row) * (height % 500)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def gif(width: int, height: int, frames: int) -> bytes:
    """An animated GIF with a ``width`` x ``height`` canvas and ``frames`` 1x1 frames."""
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0))
    out += b"\xc8\x32\x32\xff\xff\xff"  # two-colour global table: red-ish, white
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 0.1 s
    frame += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return bytes(out + frame * frames + b"\x3b")


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def rgb_icc(red: tuple[float, ...], green: tuple[float, ...], blue: tuple[float, ...]) -> bytes:
    """A minimal ICC v2 matrix/TRC RGB display profile (linear curves) with given colorants."""

    def xyz(values: tuple[float, ...]) -> bytes:
        return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in values)

    description = b"test profile\x00"
    tags = [
        (b"desc", b"desc\x00\x00\x00\x00" + struct.pack(">I", len(description)) + description
         + b"\x00" * 8 + b"\x00\x00\x00" + b"\x00" * 67),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(red)),
        (b"gXYZ", xyz(green)),
        (b"bXYZ", xyz(blue)),
        (b"rTRC", b"curv\x00\x00\x00\x00\x00\x00\x00\x00"),
        (b"gTRC", b"curv\x00\x00\x00\x00\x00\x00\x00\x00"),
        (b"bTRC", b"curv\x00\x00\x00\x00\x00\x00\x00\x00"),
    ]  # fmt: skip
    offset = 128 + 4 + 12 * len(tags)
    table, body = bytearray(struct.pack(">I", len(tags))), bytearray()
    for signature, data in tags:
        data += b"\x00" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = 128 + len(table) + len(body)
    header = (
        struct.pack(">I", size) + b"\x00" * 4 + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ " + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp"
        + b"\x00" * 24 + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
        + b"\x00" * 48
    )  # fmt: skip
    assert len(header) == 128
    return bytes(header + table + body)


# sRGB colorants adapted to D50, as in every sRGB ICC profile.
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (
    (0.4361, 0.2225, 0.0139),
    (0.3851, 0.7169, 0.0971),
    (0.1431, 0.0606, 0.7141),
)


def child_measurement(tmp_path: Path, data: bytes) -> dict[str, object]:
    """Inspect ``data`` in a fresh interpreter: outcome, seconds, peak RSS growth in MiB."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    script = (
        "import io, json, resource, sys, time\n"
        "from PIL import Image\n"
        "Image.init()\n"
        "from assets_hub.errors import Unprocessable\n"
        "from assets_hub.media.inspect import Limits, inspect_file\n"
        "from assets_hub.media.sniff import sniff\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "limits = Limits(50_000_000, 12_000, 1000, 500)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    inspect_file(io.BytesIO(data), sniff(data[:32]), limits)\n"
        "    outcome = 'accepted'\n"
        "except Unprocessable as exc:\n"
        "    outcome = exc.message\n"
        "seconds = time.monotonic() - started\n"
        "grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024\n"
        "print(json.dumps({'outcome': outcome, 'seconds': seconds, 'grown_mib': grown}))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, str(path)],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def near(pixel: object, expected: tuple[int, ...], tolerance: int = 24) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


# --- orientation --------------------------------------------------------------------------------


def _marked_landscape() -> Image.Image:
    """64x32, grey, with a red 8x8 block bottom-left: top-left once turned by Orientation=6."""
    image = Image.new("RGB", (64, 32), (128, 128, 128))
    image.paste(RED, (0, 24, 8, 32))
    return image


def test_orientation_6_gives_an_upright_32x64_master_without_the_tag() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    inspection = inspect_bytes(encode(_marked_landscape(), "JPEG", quality=95, exif=exif))
    assert (inspection.width, inspection.height) == (32, 64)
    assert inspection.orientation == "portrait"
    master = decoded(inspection.master)
    assert master.size == (32, 64)
    assert near(master.getpixel((3, 3)), RED, 40)
    assert near(master.getpixel((28, 60)), (128, 128, 128))
    assert 0x0112 not in master.getexif()
    for derived in (inspection.preview, inspection.thumbnail):
        image = decoded(derived)
        assert image.size == (32, 64)  # never upscaled
        assert near(image.convert("RGB").getpixel((3, 3)), RED, 40)
        assert 0x0112 not in image.getexif()


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_invalid_orientation_counts_as_1(value: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = value
    inspection = inspect_bytes(encode(_marked_landscape(), "JPEG", quality=95, exif=exif))
    assert (inspection.width, inspection.height) == (64, 32)
    master = decoded(inspection.master)
    assert master.size == (64, 32)
    assert near(master.getpixel((3, 28)), RED, 40)


# --- colour -------------------------------------------------------------------------------------


def test_adobe_inverted_cmyk_jpeg_keeps_cyan_cyan() -> None:
    image = Image.new("CMYK", (32, 32), (255, 0, 0, 0))  # cyan
    image.paste((0, 0, 255, 0), (16, 0, 32, 32))  # yellow
    data = encode(image, "JPEG", quality=95)
    assert decoded(data).info.get("adobe") is not None  # Pillow writes Adobe, inverted
    master = decoded(inspect_bytes(data).master)
    assert master.mode == "RGB"
    assert near(master.getpixel((4, 16)), CYAN, 40)
    assert near(master.getpixel((28, 16)), (255, 255, 0), 40)


def test_plain_cmyk_jpeg_without_adobe_marker_keeps_cyan_cyan() -> None:
    # Pillow stores 255 - value: these pixels land in the file as plain (non-inverted) cyan.
    stored = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 255)), "JPEG", quality=95)
    data = remove_segment(stored, 0xEE)
    assert "adobe" not in decoded(data).info
    master = decoded(inspect_bytes(data).master)
    assert near(master.getpixel((16, 16)), CYAN, 40)


def test_icc_profile_is_converted_to_srgb_and_dropped() -> None:
    # A profile whose "red" primary is sRGB blue: only a real conversion turns red into blue.
    swapped = rgb_icc(SRGB_BLUE, SRGB_GREEN, SRGB_RED)
    data = encode(Image.new("RGB", (32, 32), RED), "JPEG", quality=95, icc_profile=swapped)
    inspection = inspect_bytes(data)
    for derived in (inspection.master, inspection.preview, inspection.thumbnail):
        image = decoded(derived)
        assert near(image.convert("RGB").getpixel((16, 16)), BLUE, 40)
        assert "icc_profile" not in image.info


def test_display_p3_profile_is_converted() -> None:
    with Image.open(BUS) as photo:
        display_p3 = photo.info["icc_profile"]
    description = ImageCms.ImageCmsProfile(io.BytesIO(display_p3)).profile.profile_description
    assert description == "Display P3"
    data = encode(Image.new("RGB", (32, 32), (200, 60, 40)), "PNG", icc_profile=display_p3)
    master = decoded(inspect_bytes(data).master)
    # P3 (200, 60, 40) lies outside sRGB's reds: converted, it is more saturated.
    assert near(master.getpixel((16, 16)), (217, 42, 23), 3)


def test_srgb_and_mismatched_profiles_leave_colours_alone() -> None:
    for profile in (rgb_icc(SRGB_RED, SRGB_GREEN, SRGB_BLUE), ImageCms.ImageCmsProfile(
        ImageCms.createProfile("LAB")
    ).tobytes()):  # fmt: skip
        data = encode(Image.new("RGB", (32, 32), RED), "JPEG", quality=95, icc_profile=profile)
        master = decoded(inspect_bytes(data).master)
        assert near(master.getpixel((16, 16)), RED, 40)


@pytest.mark.parametrize(
    ("colour", "sample", "expected"),
    [
        (2, struct.pack(">HHH", 65535, 32768, 0), (255, 128, 0)),
        (0, struct.pack(">H", 40000), (155, 155, 155)),
    ],
    ids=["rgb48", "grey16"],
)
def test_16_bit_png_becomes_8_bit(colour: int, sample: bytes, expected: tuple[int, ...]) -> None:
    data = png_from_rows(16, 16, 16, colour, sample * 16)
    inspection = inspect_bytes(data)
    assert inspection.master_media_type == "image/jpeg"
    master = decoded(inspection.master)
    assert master.mode == "RGB"
    assert near(master.getpixel((8, 8)), expected, 4)


def _palette_with_trns() -> bytes:
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 0, 0, 255])  # index 0 black (transparent), 1 blue
    image.paste(1, (16, 0, 32, 32))
    return encode(image, "PNG", transparency=0)


def _rgba_hiding_red() -> bytes:
    image = Image.new("RGBA", (32, 32), (255, 0, 0, 0))  # invisible red
    image.paste((0, 0, 255, 255), (16, 0, 32, 32))
    return encode(image, "PNG")


@pytest.mark.parametrize("data", [_palette_with_trns(), _rgba_hiding_red()], ids=["trns", "rgba"])
def test_transparent_areas_are_white_never_black_or_red(data: bytes) -> None:
    inspection = inspect_bytes(data)
    # The master keeps alpha (PNG) so PNG/WebP renditions can too …
    assert inspection.master_media_type == "image/png"
    master = decoded(inspection.master)
    assert master.mode == "RGBA"
    assert master.getpixel((4, 16)) == (255, 255, 255, 0)  # hidden colour erased
    assert near(master.getpixel((28, 16)), (*BLUE, 255), 4)
    # … and any JPEG made from it, flattened properly or naively, shows white.
    for rgb in (flatten_on_white(master), master.convert("RGB")):
        jpeg = decoded(encode(rgb, "JPEG", quality=90))
        pixel = jpeg.getpixel((4, 16))
        assert isinstance(pixel, tuple) and min(pixel) >= 240
    preview = decoded(inspection.preview)
    assert preview.mode == "RGBA" and preview.getpixel((4, 16))[3] == 0  # type: ignore[index]


def test_opaque_rgba_png_gets_a_jpeg_master() -> None:
    inspection = inspect_bytes(encode(Image.new("RGBA", (20, 10), (1, 2, 3, 255)), "PNG"))
    assert inspection.master_media_type == "image/jpeg"
    assert decoded(inspection.master).format == "JPEG"


# --- metadata -----------------------------------------------------------------------------------


def test_private_metadata_never_reaches_derived_files() -> None:
    data = jpeg_with_metadata()
    assert all(secret in data for secret in SECRETS if secret != b"tEXt-secret")
    inspection = inspect_bytes(data)
    assert inspection.camera_date == "2023-05-17T14:22:05"
    for derived in (inspection.master, inspection.preview, inspection.thumbnail):
        assert derived is not None
        for secret in SECRETS:
            assert secret not in derived
        image = decoded(derived)
        assert not image.getexif()
        assert "xmp" not in image.info and "icc_profile" not in image.info


def test_bus_photo_master_preview_and_metadata() -> None:
    inspection = inspect_bytes(BUS.read_bytes())
    assert (inspection.width, inspection.height) == (4032, 3024)
    assert inspection.orientation == "landscape"
    assert (inspection.master_width, inspection.master_height) == (2560, 1920)
    assert inspection.camera_date is not None and inspection.camera_date.startswith("2024-")
    assert 0 < len(inspection.dominant_colours) <= 5
    assert all(len(c) == 7 and c.startswith("#") for c in inspection.dominant_colours)
    assert inspection.phash is not None and len(inspection.phash) == 16
    master = decoded(inspection.master)
    assert master.format == "JPEG" and master.size == (2560, 1920)
    assert "icc_profile" not in master.info and not master.getexif()
    assert max(decoded(inspection.preview).size) == 1200
    assert max(decoded(inspection.thumbnail).size) == 400


def test_dominant_colours_and_square_orientation() -> None:
    image = Image.new("RGB", (40, 40), RED)
    image.paste(BLUE, (0, 0, 40, 10))
    inspection = inspect_bytes(encode(image, "PNG"))
    assert inspection.orientation == "square"
    assert inspection.camera_date is None
    assert inspection.dominant_colours[:2] == ("#ff0000", "#0000ff")


def test_large_jpeg_is_decoded_at_reduced_scale_into_a_bounded_master() -> None:
    data = encode(Image.new("RGB", (5120, 5120), (10, 120, 200)), "JPEG", quality=80)
    started = time.monotonic()
    inspection = inspect_bytes(data)
    assert time.monotonic() - started < 5
    assert (inspection.width, inspection.height) == (5120, 5120)
    assert decoded(inspection.master).size == (2560, 2560)


# --- perceptual hash ----------------------------------------------------------------------------


def test_phash_matches_reencoded_copies_and_separates_other_pictures() -> None:
    with Image.open(BUS) as source:
        source.draft("RGB", (1008, 756))
        photo = source.convert("RGB")
    original = phash(photo)
    small = photo.resize((500, 375), Image.Resampling.BILINEAR)
    copy = decoded(encode(small, "JPEG", quality=35)).convert("RGB")
    assert hamming(original, phash(copy)) <= 6
    other = Image.effect_mandelbrot((400, 300), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    assert hamming(original, phash(other)) >= 20
    assert hamming(original, phash(photo.transpose(Image.Transpose.FLIP_TOP_BOTTOM))) >= 20
    assert hamming("00ff", "00f0") == 4


# --- animations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_previews_come_from_the_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (48, 32), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    inspection = inspect_bytes(data)
    assert inspection.frames == 3
    for derived in (inspection.master, inspection.preview, inspection.thumbnail):
        assert near(decoded(derived).convert("RGB").getpixel((24, 16)), RED, 40)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_frame_limit_applies_to_every_animated_format(fmt: str) -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    two = Limits(max_pixels=50_000_000, max_side_px=12_000, max_frames=2, max_pdf_pages=1)
    with pytest.raises(Unprocessable, match="at most 2 frames"):
        inspect_bytes(data, two)


def test_5000_frame_gif_is_refused_quickly_naming_the_limit() -> None:
    data = gif(16, 16, 5000)
    started = time.monotonic()
    with pytest.raises(Unprocessable, match="at most 1,000 frames"):
        inspect_bytes(data)
    assert time.monotonic() - started < 2


def test_frames_hidden_behind_junk_bytes_are_still_counted() -> None:
    data = gif(16, 16, 1)
    frames = data[: data.rindex(b"\x3b")]
    one_frame = frames[frames.index(b"\x21\xf9") :]
    data = frames + b"\x00junk\x00" * 20_000 + one_frame * 1500 + b"\x3b"
    with pytest.raises(Unprocessable, match="at most 1,000 frames"):
        inspect_bytes(data)


def test_huge_canvas_gif_with_900_frames_uses_frame_0_only() -> None:
    data = gif(3000, 3000, 900)
    started = time.monotonic()
    inspection = inspect_bytes(data)
    assert time.monotonic() - started < 10
    assert inspection.frames == 900
    assert decoded(inspection.master).size == (2560, 2560)


# --- damage and bombs ---------------------------------------------------------------------------


def test_truncated_jpeg_is_damaged() -> None:
    noisy = Image.effect_noise((512, 512), 80).convert("RGB")
    data = encode(noisy, "JPEG", quality=90)
    with pytest.raises(Unprocessable, match="damaged"):
        inspect_bytes(data[: len(data) * 6 // 10])


def test_png_signature_with_junk_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="not a readable PNG"):
        inspect_bytes(b"\x89PNG\r\n\x1a\n" + b"<html>not really</html>")


@pytest.mark.parametrize("side", [9000, 12000])
def test_pixel_flood_png_refused_from_the_header(tmp_path: Path, side: int) -> None:
    data = png_from_rows(side, side, 1, 0, b"\x00" * (side // 8))
    started = time.monotonic()
    with pytest.raises(Unprocessable, match="50 megapixels"):
        inspect_bytes(data)
    assert time.monotonic() - started < 1
    measured = child_measurement(tmp_path, data)
    assert "50 megapixels" in str(measured["outcome"])
    assert float(measured["grown_mib"]) < 16  # type: ignore[arg-type]


def test_lossless_webp_declaring_16384_squared_is_refused(tmp_path: Path) -> None:
    bits = (16384 - 1) | ((16384 - 1) << 14)
    vp8l = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 16
    data = b"RIFF" + struct.pack("<I", 4 + 8 + len(vp8l)) + b"WEBP"
    data += b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    assert len(data) < 50
    started = time.monotonic()
    with pytest.raises(Unprocessable):
        inspect_bytes(data)
    assert time.monotonic() - started < 1
    measured = child_measurement(tmp_path, data)
    assert measured["outcome"] != "accepted"
    assert float(measured["grown_mib"]) < 64  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["before-idat", "after-idat"])
def test_ztxt_bomb_is_refused_or_dropped_with_bounded_memory(tmp_path: Path, where: str) -> None:
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (64 << 20), 9))
    plain = encode(Image.new("RGB", (8, 8), GREEN), "PNG")
    idat = plain.index(b"IDAT") - 4
    iend = plain.index(b"IEND") - 4
    at = idat if where == "before-idat" else iend
    data = plain[:at] + bomb + plain[at:]
    measured = child_measurement(tmp_path, data)
    assert float(measured["grown_mib"]) < 64  # type: ignore[arg-type]
    if measured["outcome"] == "accepted":
        inspection = inspect_bytes(data)
        assert inspection.master is not None and b"AAAA" not in inspection.master


# --- polyglots ----------------------------------------------------------------------------------


def polyglot_jpeg() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("evil.html", HTML)
    photo = encode(Image.new("RGB", (40, 30), (30, 160, 90)), "JPEG", quality=90)
    return after_soi(photo, segment(0xFE, HTML)) + HTML + archive.getvalue()


def test_polyglot_jpeg_is_accepted_as_jpeg_and_payloads_stay_out() -> None:
    data = polyglot_jpeg()
    assert sniff(data[:32]).mime == "image/jpeg"
    inspection = inspect_bytes(data)
    for derived in (inspection.master, inspection.preview, inspection.thumbnail):
        assert derived is not None
        assert b"<html" not in derived and b"PK\x03\x04" not in derived
        assert b"evil.html" not in derived


# --- SVG (docs/decisions/0002-svg-refused.md) ---------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">',
        b'\xef\xbb\xbf<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
        b"  \n<svg><script>alert(1)</script></svg>",
    ],
    ids=["onload", "xxe-with-bom", "leading-space"],
)
def test_svg_is_refused_at_sniff_time_naming_what_is_accepted(head: bytes) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        sniff(head[:32])
    assert caught.value.status_code == 415
    assert "SVG and XML files are not accepted" in caught.value.message
    assert "JPEG, PNG, WebP" in caught.value.message
