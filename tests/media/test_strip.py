"""Member-downloadable originals without metadata or payloads (SECURITY IMG-01, IMG-05)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Dictionary, Name
from PIL import Image, PngImagePlugin

from assets_hub.errors import Unprocessable
from assets_hub.media import strip as strip_module
from assets_hub.media.pdfscan import scan_pdf
from assets_hub.media.sniff import GIF, JPEG, PDF, PNG, WEBP, MediaType, sniff
from assets_hub.media.strip import stripped_original, stripped_to_temp
from tests.media.test_inspect import (
    BUS,
    HTML,
    SECRETS,
    decoded,
    encode,
    gif,
    inspect_bytes,
    jpeg_with_metadata,
    polyglot_jpeg,
    private_exif,
    xmp_segment,
)


def strip(data: bytes, media: MediaType | None = None) -> bytes:
    """Strip ``data``, and check the result is well-formed: stripping it again changes nothing."""
    media = media or sniff(data[:32])
    stripped = stripped_original(io.BytesIO(data), media)
    if media != PDF:
        assert stripped_original(io.BytesIO(stripped), media) == stripped
    return stripped


def same_pixels(a: bytes, b: bytes) -> bool:
    first, second = decoded(a), decoded(b)
    return first.mode == second.mode and first.tobytes() == second.tobytes()


def assert_clean(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data, secret
    image = decoded(data)
    exif = image.getexif()
    assert 0x8825 not in exif and not exif.get_ifd(0x8825)
    assert 0x8769 not in exif
    assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info


def test_jpeg_loses_exif_xmp_iptc_and_comments_but_keeps_its_pixels() -> None:
    original = jpeg_with_metadata()
    stripped = strip(original)
    assert_clean(stripped)
    assert same_pixels(original, stripped)
    assert stripped.startswith(b"\xff\xd8") and stripped.endswith(b"\xff\xd9")
    assert len(stripped) < len(original)


def test_jpeg_orientation_survives_as_the_only_exif_tag() -> None:
    original = jpeg_with_metadata(orientation=6)
    stripped = strip(original)
    assert_clean_except_orientation(stripped)
    assert dict(decoded(stripped).getexif()) == {0x0112: 6}
    assert same_pixels(original, stripped)
    # It still displays upright: the derived files from the stripped copy agree.
    assert (inspect_bytes(stripped).width, inspect_bytes(stripped).height) == (48, 64)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_orientation_survives_alone(fmt: str) -> None:
    image = Image.new("RGB", (40, 20), (128, 128, 128))
    image.paste((255, 0, 0), (0, 12, 8, 20))
    options: dict[str, object] = {"lossless": True} if fmt == "WEBP" else {}
    original = encode(image, fmt, exif=private_exif(orientation=6), **options)
    stripped = strip(original)
    assert_clean_except_orientation(stripped)
    assert dict(decoded(stripped).getexif()) == {0x0112: 6}
    assert same_pixels(original, stripped)
    inspection = inspect_bytes(stripped)
    assert (inspection.width, inspection.height) == (20, 40)


def assert_clean_except_orientation(data: bytes) -> None:
    for secret in SECRETS:
        if secret != b"Exif\x00\x00":
            assert secret not in data, secret
    exif = decoded(data).getexif()
    assert set(exif) <= {0x0112}


def test_jpeg_keeps_icc_profile_and_adobe_marker() -> None:
    cmyk = encode(Image.new("CMYK", (16, 16), (255, 0, 0, 0)), "JPEG", quality=95)
    stripped = strip(cmyk)
    assert decoded(stripped).info.get("adobe") is not None
    assert same_pixels(cmyk, stripped)
    bus = BUS.read_bytes()
    stripped_bus = strip(bus)
    with Image.open(BUS) as source, Image.open(io.BytesIO(stripped_bus)) as copy:
        assert copy.info.get("icc_profile") == source.info.get("icc_profile")
        assert not copy.getexif()


def test_jpeg_polyglot_payloads_are_gone() -> None:
    stripped = strip(polyglot_jpeg())
    assert HTML not in stripped and b"<html" not in stripped
    assert b"PK\x03\x04" not in stripped and b"evil.html" not in stripped
    assert stripped.endswith(b"\xff\xd9")
    assert sniff(stripped[:32]) == JPEG


def test_progressive_jpeg_with_restart_markers_is_copied_exactly() -> None:
    noisy = Image.effect_noise((96, 64), 60).convert("RGB")
    for options in ({"progressive": True}, {"restart_marker_rows": 1}):
        original = encode(noisy, "JPEG", quality=85, **options)
        assert same_pixels(original, strip(original))


def test_png_text_exif_and_time_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Author Name tEXt-secret")
    info.add_text("Comment", "Kettering " * 50, zip=True)
    info.add_itxt("XML:com.adobe.xmp", '<x exif:GPSLatitude="52,1N">Jane Owner</x>')
    image = Image.new("RGBA", (24, 24), (10, 200, 30, 128))
    original = encode(image, "PNG", pnginfo=info, exif=private_exif())
    time_chunk = b"\x00\x00\x00\x07tIME\x07\xea\x01\x02\x03\x04\x05" + b"\x00" * 4
    original = original[:-12] + time_chunk + original[-12:]  # before IEND
    original += HTML  # after IEND
    stripped = strip(original)
    for kind in (b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"):
        assert kind not in stripped
    assert_clean(stripped)
    assert HTML not in stripped and stripped.endswith(b"IEND\xaeB`\x82")
    assert same_pixels(original, stripped)


def test_palette_png_keeps_plte_and_trns() -> None:
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (4, 0, 8, 8))
    original = encode(image, "PNG", transparency=0)
    stripped = strip(original)
    assert same_pixels(original, stripped)
    assert decoded(stripped).info.get("transparency") == 0


def test_webp_exif_and_xmp_are_dropped_and_flags_cleared() -> None:
    image = Image.new("RGB", (32, 32), (90, 20, 200))
    xmp = xmp_segment()[4:]
    original = encode(image, "WEBP", lossless=True, exif=private_exif(), xmp=xmp) + HTML
    assert b"EXIF" in original and b"XMP " in original
    stripped = strip(original, WEBP)
    assert b"EXIF" not in stripped and b"XMP " not in stripped
    assert HTML not in stripped
    assert stripped[20] & 0x0C == 0  # VP8X: no EXIF, no XMP flag
    assert_clean(stripped)
    assert same_pixels(original, stripped)


def test_animated_webp_keeps_its_frames() -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    original = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    stripped = strip(original)
    with Image.open(io.BytesIO(stripped)) as image:
        assert getattr(image, "n_frames", 1) == 2


def test_gif_comments_and_trailing_data_are_dropped() -> None:
    frames = [Image.new("P", (16, 16), index) for index in (0, 1)]
    for frame in frames:
        frame.putpalette([255, 0, 0, 0, 0, 255])
    original = (
        encode(
            frames[0],
            "GIF",
            save_all=True,
            append_images=frames[1:],
            comment=b"Author Name",
            loop=0,
        )
        + HTML
    )
    assert b"Author Name" in original
    stripped = strip(original)
    assert b"Author Name" not in stripped and HTML not in stripped
    assert stripped.endswith(b"\x3b")
    with Image.open(io.BytesIO(stripped)) as image:
        assert getattr(image, "n_frames", 1) == 2
        assert image.info.get("loop") == 0
    assert same_pixels(original, stripped)


def test_gif_xmp_and_plain_text_extensions_are_dropped() -> None:
    packet = b'<x:xmpmeta><rdf:Description exif:GPSLatitude="52,1N">Jane Owner</x:xmpmeta>'
    blocks = b"".join(bytes((len(part),)) + part for part in (packet[:200], packet[200:]) if part)
    xmp = b"\x21\xff\x0bXMP DataXMP" + blocks + b"\x00"
    text = b"\x21\x01\x0c" + b"\x00" * 12 + b"\x0bAuthor Name\x00"
    original = gif(8, 8, 2)
    original = original[:19] + xmp + text + original[19:]
    stripped = strip(original)
    assert b"XMP DataXMP" not in stripped and b"Jane Owner" not in stripped
    assert b"Author Name" not in stripped and b"NETSCAPE2.0" in stripped
    assert same_pixels(original, stripped)


@pytest.mark.parametrize(
    ("media", "data"),
    [
        (JPEG, b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        (PNG, b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
        (GIF, b"GIF89a\x01\x00"),
        (WEBP, b"RIFF\xff\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"),
    ],
    ids=["jpeg", "png", "gif", "webp"],
)
def test_truncated_structures_are_unprocessable(media: MediaType, data: bytes) -> None:
    with pytest.raises(Unprocessable, match="damaged"):
        strip(data, media)


def test_pdf_loses_document_info_xmp_and_exif_in_embedded_jpegs() -> None:
    photo = jpeg_with_metadata()
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    image = pikepdf.Stream(pdf, photo)
    image.Type, image.Subtype, image.Filter = Name.XObject, Name.Image, Name.DCTDecode
    image.Width, image.Height, image.BitsPerComponent = 64, 48, 8
    image.ColorSpace = Name.DeviceRGB
    page.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 64 0 0 48 10 10 cm /Im0 Do Q")
    pdf.docinfo["/Author"] = "Author Name"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["Jane Owner"]
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    original = out.getvalue()
    assert b"Jane Owner" in original and b"Kettering" in original

    stripped = strip(original)
    for secret in (*SECRETS, b"/Author"):
        assert secret not in stripped, secret
    assert scan_pdf(stripped, max_pages=5).page_count == 1
    with pikepdf.open(io.BytesIO(stripped)) as cleaned:
        assert "/Info" not in cleaned.trailer and "/Metadata" not in cleaned.Root
        data = cleaned.pages[0].Resources.XObject.Im0.read_raw_bytes()
    assert same_pixels(photo, data)


def test_damaged_pdf_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="damaged"):
        strip(b"%PDF-1.7\n" + b"\x00" * 100, PDF)


# --- into a temporary file (large PDFs never held in memory) -----------------------------


def _fact_sheet_with_metadata() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = "Author Name"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["pdf", "jpeg"])
def test_stripped_to_temp_matches_the_in_memory_copy(kind: str, tmp_path: Path) -> None:
    data = _fact_sheet_with_metadata() if kind == "pdf" else jpeg_with_metadata()
    media = sniff(data[:32])
    upload = io.BytesIO(data)
    upload.seek(7)  # wherever the caller left it
    stripped, size = stripped_to_temp(upload, media, str(tmp_path / "tmp"))
    try:
        assert stripped.tell() == 0
        content = stripped.read()
    finally:
        stripped.close()
    assert size == len(content)
    assert content == stripped_original(io.BytesIO(data), media)
    assert b"Author Name" not in content
    assert list((tmp_path / "tmp").iterdir()) == []  # the file never had a name


def test_stripped_to_temp_closes_its_file_when_the_pdf_is_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Any] = []
    real = strip_module.tempfile.TemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(strip_module.tempfile, "TemporaryFile", recording)
    with pytest.raises(Unprocessable, match="damaged"):
        stripped_to_temp(io.BytesIO(b"%PDF-1.7\n" + b"\x00" * 100), PDF, str(tmp_path))
    assert len(made) == 1 and made[0].closed
