"""Decode-safe inspection of an upload and its derived files: pure, blocking, run in a thread.

Images are opened with the sniffed format only (so Pillow never tries EPS, TIFF …), their
dimensions are checked from the header before any pixel buffer exists, frames are counted only
up to the limit (GIFs by walking their block structure, never by decoding frames), and Pillow's
decompression-bomb warning is an error.

One decode makes every derived file: the image is decoded once (JPEGs at a reduced DCT scale
when that is still large enough), converted to sRGB, turned upright, bounded to the working
master size, and the preview, thumbnail, hash and colours all come from that master. Derived
files are built from fresh pixel data with an empty ``info`` dict, so no EXIF, XMP, IPTC or
foreign ICC profile can travel into them.

PDFs are scanned structurally by :mod:`assets_hub.media.pdfscan` (refusals happen here, at
upload) and their first page is rendered to a target pixel size. They are read from the file
where it lies, never into memory as a whole, so a 1 GiB document costs no more than a small one
(beyond what its largest page holds).
"""

from __future__ import annotations

import io
import math
import re
import struct
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal

from PIL import Image, ImageCms, UnidentifiedImageError

from assets_hub.errors import Unprocessable
from assets_hub.media.pdfscan import PDFIUM_LOCK, PdfSource, pdfium_input, scan_pdf
from assets_hub.media.sniff import GIF, PDF, MediaType

THUMBNAIL_PX = 400
PREVIEW_PX = 1200
MASTER_PX = 2560
MASTER_JPEG_QUALITY = 92
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_WHITE = (255, 255, 255)
# Modes Pillow resamples well (with premultiplied alpha for RGBA); others convert first.
_RESIZABLE = frozenset({"RGB", "RGBA", "L", "CMYK"})

# EXIF tags read before decoding.
_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET = re.compile(r"[+-]\d\d:\d\d")

# EXIF orientation → the transpose that makes the pixels upright.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Everything Pillow raises for a file it cannot decode (PyCMSError is an OSError).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)

Orientation = Literal["landscape", "portrait", "square"]


@dataclass(frozen=True)
class Limits:
    """Upload limits taken from settings."""

    max_pixels: int
    max_side_px: int
    max_frames: int
    max_pdf_pages: int


@dataclass(frozen=True)
class Inspection:
    """What the file turned out to be, its derived files and the metadata extracted from it.

    Every derived file is free of EXIF/XMP/IPTC and of any ICC profile (pixels are sRGB):

    * ``thumbnail``: WebP, long side ≤ 400 px (images and a PDF's first page).
    * ``preview``: WebP, long side ≤ 1200 px (images and a PDF's first page).
    * ``master``: images only; the working master every later rendition starts from: upright,
      sRGB, long side ≤ 2560 px; JPEG, or PNG when the image really has transparency
      (``master_media_type`` says which). Fully transparent pixels are white underneath.

    ``width``/``height`` are the upright source dimensions (PDF: first page in points).
    """

    width: int | None
    height: int | None
    frames: int
    page_count: int | None
    thumbnail: bytes | None
    preview: bytes | None = None
    master: bytes | None = None
    master_media_type: str | None = None
    master_width: int | None = None
    master_height: int | None = None
    orientation: Orientation | None = None
    dominant_colours: tuple[str, ...] = ()
    camera_date: str | None = None
    phash: str | None = None
    text: str | None = None
    # Where the subject is (faces, else a salient region), fractions of the upright image,
    # and the share of flat colour (artwork is mostly flat): see assets_hub.media.subject.
    subject: dict[str, object] | None = None
    flat_share: float | None = None
    detect_ms: float | None = None


def inspect_file(file: IO[bytes], media: MediaType, limits: Limits) -> Inspection:
    """Validate the whole file and make its derived files; Unprocessable (422) with the reason."""
    file.seek(0)
    if media == PDF:
        return _inspect_pdf(file, limits)
    return _inspect_image(file, media, limits)


# --- images -----------------------------------------------------------------------------------


def _inspect_image(file: IO[bytes], media: MediaType, limits: Limits) -> Inspection:
    if media.pillow_format is None:
        raise TypeError(f"{media.mime} is not an image format")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; a warning is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=[media.pillow_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Pillow checks the declared size inside open(), above MAX_IMAGE_PIXELS.
            raise Unprocessable(
                "The image is too large; the limit is max "
                f"{limits.max_pixels / 1e6:.0f} megapixels."
            ) from None
        except UnidentifiedImageError:
            raise _unreadable(media) from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
            raise _unreadable(media) from exc
        with image:
            width, height = image.size
            _check_dimensions(width, height, limits)
            frames = _count_frames(image, file, media, limits.max_frames)
            orientation = _orientation(image)
            camera_date = _camera_date(image)
            try:
                image.seek(0)  # previews of animations come from the first frame
                master = _working_master(image, orientation)
            except _DECODE_ERRORS as exc:
                raise _damaged() from exc
    if orientation in (5, 6, 7, 8):
        # Report upright dimensions: what every derived file will have.
        width, height = height, width
    has_alpha = master.mode == "RGBA"
    flat = flatten_on_white(master)
    master_bytes = _encode(master, "PNG") if has_alpha else _encode(flat, "JPEG")
    return Inspection(
        width=width,
        height=height,
        frames=frames,
        page_count=None,
        thumbnail=_encode(_bounded(master, THUMBNAIL_PX), "WEBP"),
        preview=_encode(_bounded(master, PREVIEW_PX), "WEBP"),
        master=master_bytes,
        master_media_type="image/png" if has_alpha else "image/jpeg",
        master_width=master.width,
        master_height=master.height,
        orientation=orientation_of(width, height),
        dominant_colours=dominant_colours(flat),
        camera_date=camera_date,
        phash=phash(flat),
        **_subject_fields(flat),
    )


def _subject_fields(image: Image.Image) -> dict[str, Any]:
    """subject, flat_share and detect_ms of an image, for its Inspection."""
    from assets_hub.media.subject import detect_subject, flat_share  # OpenCV: ingest only

    started = time.perf_counter()
    found = detect_subject(image).as_json()
    elapsed = (time.perf_counter() - started) * 1000
    return {"subject": found, "flat_share": round(flat_share(image), 3), "detect_ms": elapsed}


def _unreadable(media: MediaType) -> Unprocessable:
    name = media.pillow_format or "file"
    return Unprocessable(f"The file starts like a {name} image but is not a readable {name}.")


def _damaged() -> Unprocessable:
    return Unprocessable(
        "The image is damaged (it could not be decoded completely). "
        "Export it again and upload the new file."
    )


def _check_dimensions(width: int, height: int, limits: Limits) -> None:
    if width <= 0 or height <= 0:
        raise Unprocessable("The image has no pixels.")
    if max(width, height) > limits.max_side_px:
        raise Unprocessable(
            f"The image is {width}×{height} pixels; the longest side may be at most "
            f"{limits.max_side_px:,} pixels."
        )
    if width * height > limits.max_pixels:
        raise Unprocessable(
            f"The image is {width}×{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is max {limits.max_pixels / 1e6:.0f} megapixels."
        )


def _too_many_frames(max_frames: int) -> Unprocessable:
    return Unprocessable(
        f"The animation has too many frames; at most {max_frames:,} frames are accepted."
    )


def _count_frames(image: Image.Image, file: IO[bytes], media: MediaType, max_frames: int) -> int:
    """Frames in the file, stopping as soon as the limit is passed; nothing is decoded.

    Pillow's GIF seek decodes every previous frame onto the canvas (900 frames of 3000x3000
    would take minutes), so GIFs are counted by walking their blocks. WebP and APNG declare
    their frame count in a header Pillow has already read, so ``n_frames`` is free there.
    """
    if media == GIF:
        position = file.tell()
        try:
            count = count_gif_frames(file, max_frames + 1)
        finally:
            file.seek(position)
    else:
        count = int(getattr(image, "n_frames", 1))
    if count > max_frames:
        raise _too_many_frames(max_frames)
    return max(count, 1)


def count_gif_frames(file: IO[bytes], stop_at: int) -> int:
    """Image descriptors in a GIF stream, counted up to ``stop_at``; damage ends the count."""
    file.seek(0)
    header = file.read(13)
    if len(header) < 13:
        return 0
    flags = header[10]
    if flags & 0x80:
        file.seek(3 << ((flags & 0x07) + 1), io.SEEK_CUR)
    count = 0
    while count < stop_at:
        introducer = file.read(1)
        if introducer == b"\x2c":  # image descriptor
            descriptor = file.read(9)
            if len(descriptor) < 9:
                break
            if descriptor[8] & 0x80:
                file.seek(3 << ((descriptor[8] & 0x07) + 1), io.SEEK_CUR)
            file.seek(1, io.SEEK_CUR)  # LZW minimum code size
            if not _skip_sub_blocks(file):
                break
            count += 1
        elif introducer == b"\x21":  # extension: label, then sub-blocks
            file.seek(1, io.SEEK_CUR)
            if not _skip_sub_blocks(file):
                break
        elif introducer in (b"\x3b", b""):  # trailer or end of file
            break
        elif not _skip_to_block(file):
            # Pillow skips stray bytes between blocks one by one; so do we, in bulk, so that
            # frames hidden behind junk are still counted.
            break
    return count


_BLOCK_START = re.compile(rb"[,!;]")


def _skip_to_block(file: IO[bytes]) -> bool:
    """Move to the next byte that can start a GIF block; False at end of file."""
    while True:
        start = file.tell()
        chunk = file.read(65536)
        if not chunk:
            return False
        found = _BLOCK_START.search(chunk)
        if found is not None:
            file.seek(start + found.start())
            return True


def _skip_sub_blocks(file: IO[bytes]) -> bool:
    """Skip a GIF data sub-block chain; False if the file ends first."""
    while True:
        size = file.read(1)
        if not size:
            return False
        if size == b"\x00":
            return True
        file.seek(size[0], io.SEEK_CUR)


def _orientation(image: Image.Image) -> int:
    """EXIF (or XMP) orientation; anything outside 1-8 (0, 9, 65535 …) counts as 1."""
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block is ignored, never fatal
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _camera_date(image: Image.Image) -> str | None:
    """EXIF DateTimeOriginal as ISO 8601 (with OffsetTimeOriginal when valid), else None."""
    try:
        ifd = image.getexif().get_ifd(_EXIF_IFD)
        raw = ifd.get(_DATETIME_ORIGINAL)
        offset = ifd.get(_OFFSET_TIME_ORIGINAL)
    except Exception:  # noqa: BLE001 - a broken EXIF block is ignored, never fatal
        return None
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # "0000:00:00 00:00:00" and other placeholders
    text = taken.isoformat()
    if isinstance(offset, str) and _OFFSET.fullmatch(offset.strip("\x00 ")):
        text += offset.strip("\x00 ")
    return text


def _working_master(image: Image.Image, orientation: int) -> Image.Image:
    """Decode once into upright sRGB pixels, long side ≤ MASTER_PX, with no metadata.

    Memory: JPEGs are decoded at a reduced DCT scale when possible; every other image is
    downscaled straight after decoding (while still in its own mode, its ICC profile kept in
    ``info``), so colour conversion and transposition only ever touch master-sized copies.
    """
    if image.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result still covers the
        # master size: a fraction of the memory and time for large photos.
        image.draft(None, (MASTER_PX, MASTER_PX))
    image.load()
    pixels: Image.Image = image
    if image.mode == "CMYK" and image.format == "JPEG" and "adobe" not in image.info:
        # Pillow reads every CMYK JPEG as Adobe-inverted; without an Adobe APP14 marker the
        # samples are plain CMYK (libjpeg's convention), so undo Pillow's inversion.
        pixels = image.point(lambda v: 255 - v)
    if pixels.mode in _RESIZABLE and max(pixels.size) > MASTER_PX:
        pixels = pixels.resize(_fit(pixels.size, MASTER_PX), Image.Resampling.LANCZOS, None, 2.0)
    pixels = _bounded(to_srgb(pixels), MASTER_PX)
    method = _TRANSPOSE.get(orientation)
    if method is not None:
        pixels = pixels.transpose(method)
    if pixels.mode == "RGBA":
        pixels = _clean_alpha(pixels)
    pixels.info = {}  # conversions copy info (EXIF, ICC, XMP); derived files carry none
    return pixels


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``size`` scaled so its long side is ``long_side``, aspect kept, each side ≥ 1."""
    width, height = size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def to_srgb(image: Image.Image) -> Image.Image:
    """A new RGB or RGBA image in sRGB: ICC profiles converted, CMYK, palettes, 16-bit resolved.

    Only profiles whose colour space matches the pixels are applied; a broken or mismatched
    profile falls back to a plain conversion rather than refusing the upload.
    """
    icc = image.info.get("icc_profile")
    if image.mode.startswith("I"):
        image = image.convert("I").point(lambda v: v / 257).convert("L")  # 16-bit → 8-bit
    elif image.mode == "1":
        image = image.convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("PA", "LA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "RGBA", "CMYK"):
        image = image.convert("RGB")
    if isinstance(icc, bytes) and icc:
        converted = _apply_profile(image, icc)
        if converted is not None:
            return converted
    return image.convert("RGBA" if image.mode == "RGBA" else "RGB")


def _apply_profile(image: Image.Image, icc: bytes) -> Image.Image | None:
    """``image`` converted from its embedded profile to sRGB, or None if the profile can't be."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = source.profile.xcolor_space.strip()
        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        base = image.convert("RGB") if alpha is not None else image
        if (space, base.mode) not in (("RGB", "RGB"), ("CMYK", "CMYK")):
            return None
        converted = ImageCms.profileToProfile(
            base,
            source,
            _SRGB,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: fall back to a plain conversion
    if converted is None:
        return None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _clean_alpha(image: Image.Image) -> Image.Image:
    """RGBA stays RGBA only with real transparency; fully transparent pixels become white.

    Pixels under alpha 0 are invisible but still stored: a naive RGB conversion downstream
    would reveal them (hidden red, or content someone meant to remove), so they are erased.
    """
    alpha = image.getchannel("A")
    low, _ = alpha.getextrema()
    if low == 255:
        return image.convert("RGB")
    hidden = alpha.point(lambda a: 255 if a == 0 else 0).convert("1")
    image.paste((*_WHITE, 0), mask=hidden)
    return image


def flatten_on_white(image: Image.Image) -> Image.Image:
    """RGB pixels for formats without alpha (JPEG): transparency composited onto white."""
    if image.mode != "RGBA":
        return image if image.mode == "RGB" else image.convert("RGB")
    canvas = Image.new("RGB", image.size, _WHITE)
    canvas.paste(image, mask=image.getchannel("A"))
    return canvas


def _bounded(image: Image.Image, long_side: int) -> Image.Image:
    """A copy whose long side is at most ``long_side`` (never upscaled)."""
    copy = image.copy()
    if max(copy.size) > long_side:
        copy.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    copy.info = {}
    return copy


def _encode(image: Image.Image, fmt: Literal["JPEG", "PNG", "WEBP"]) -> bytes:
    """Encoded bytes with no metadata (Pillow is given none, and ``info`` is empty)."""
    out = io.BytesIO()
    if fmt == "JPEG":
        # 4:2:0 chroma: about a fifth faster to decode for every rendition (which are 4:2:0
        # themselves) and ~15% fewer bytes; at quality 92 still visually lossless for photos.
        image.save(out, format="JPEG", quality=MASTER_JPEG_QUALITY, subsampling=2, optimize=True)
    elif fmt == "PNG":
        image.save(out, format="PNG", compress_level=6)
    else:
        image.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


# --- extracted metadata -----------------------------------------------------------------------


def orientation_of(width: int, height: int) -> Orientation:
    """ "landscape", "portrait" or "square" (exactly equal sides) for upright dimensions."""
    if width > height:
        return "landscape"
    if height > width:
        return "portrait"
    return "square"


def dominant_colours(image: Image.Image, count: int = 5) -> tuple[str, ...]:
    """Up to ``count`` "#rrggbb" colours, most common first, from a 64 px median-cut quantize."""
    small = flatten_on_white(image).copy()
    small.thumbnail((64, 64), Image.Resampling.BILINEAR)
    quantized = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    found: list[str] = []
    for _, index in sorted(quantized.getcolors(count) or [], reverse=True):
        index = int(index)  # type: ignore[call-overload]  # palette images give ints
        red, green, blue = palette[index * 3 : index * 3 + 3]
        colour = f"#{red:02x}{green:02x}{blue:02x}"
        if colour not in found:
            found.append(colour)
    return tuple(found)


_HASH_SIDE = 32  # pixels per side of the hashed image
_HASH_BITS = 8  # low-frequency coefficients per side kept: 8x8 = 64 bits


def _dct_matrix() -> list[list[float]]:
    """Orthonormal DCT-II basis rows for the low frequencies: M[u][x]."""
    n = _HASH_SIDE
    rows = []
    for u in range(_HASH_BITS):
        scale = math.sqrt((1 if u == 0 else 2) / n)
        rows.append([scale * math.cos((2 * x + 1) * u * math.pi / (2 * n)) for x in range(n)])
    return rows


_DCT = _dct_matrix()


def phash(image: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex digits (robust to re-encoding and resizing).

    The image is reduced to 32x32 grey, transformed with a 2-D DCT (plain Python: only the
    8x8 low-frequency block is computed, ~10k multiplications), and each of the 64
    coefficients becomes a bit: above the block's median or not.
    """
    grey = (
        flatten_on_white(image)
        .convert("L")
        .resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.LANCZOS)
    )
    data = list(grey.tobytes())  # one byte per pixel in mode L
    rows = [data[y * _HASH_SIDE : (y + 1) * _HASH_SIDE] for y in range(_HASH_SIDE)]
    # Rows first: R[y][u] = Σx p[y][x]·M[u][x]; then columns: D[v][u] = Σy M[v][y]·R[y][u].
    across = [
        [sum(p * m for p, m in zip(row, basis, strict=True)) for basis in _DCT] for row in rows
    ]
    coefficients = [
        sum(_DCT[v][y] * across[y][u] for y in range(_HASH_SIDE))
        for v in range(_HASH_BITS)
        for u in range(_HASH_BITS)
    ]
    ordered = sorted(coefficients)
    median = (ordered[31] + ordered[32]) / 2
    bits = 0
    for value in coefficients:
        bits = (bits << 1) | (value > median)
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes: ≤ ~10 of 64 means "probably the same picture"."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def phash_quarters(value: str) -> tuple[int, int, int, int]:
    """A hex hash's four 16-bit quarters, most significant first."""
    number = int(value, 16)
    q0, q1, q2, q3 = ((number >> shift) & 0xFFFF for shift in (48, 32, 16, 0))
    return q0, q1, q2, q3


def near_quarters(quarter: int) -> list[int]:
    """The quarter and every value one bit away from it (17 values).

    Two hashes at most 7 bits apart differ by at most one bit in at least one of their four
    quarters (four quarters with two or more each would be 8), so looking up each quarter's
    neighbours finds every such hash: an index lookup instead of a scan of all hashes.
    """
    return [quarter, *(quarter ^ (1 << bit) for bit in range(16))]


# --- PDFs -------------------------------------------------------------------------------------


def _inspect_pdf(file: IO[bytes], limits: Limits) -> Inspection:
    report = scan_pdf(file, limits.max_pdf_pages)  # refusals (JS, attachments …) happen here
    with PDFIUM_LOCK:
        width_pt, height_pt, image = _first_page(file)
    image.info = {}
    return Inspection(
        width=round(width_pt),
        height=round(height_pt),
        frames=1,
        page_count=report.page_count,
        thumbnail=_encode(_bounded(image, THUMBNAIL_PX), "WEBP"),
        preview=_encode(_bounded(image, PREVIEW_PX), "WEBP"),
        orientation=orientation_of(round(width_pt), round(height_pt)),
        text=report.text,
    )


def _first_page(source: PdfSource) -> tuple[float, float, Image.Image]:
    """The first page's size in points and an RGB bitmap of it, long side PREVIEW_PX."""
    import pypdfium2 as pdfium  # imported lazily: only PDFs need it

    try:
        document = pdfium.PdfDocument(pdfium_input(source))
    except pdfium.PdfiumError as exc:
        raise Unprocessable("The PDF is damaged and could not be opened.") from exc
    try:
        page = document[0]
        try:
            width_pt, height_pt = page.get_size()
            # Render to a target pixel size, never a fixed DPI: a 14400 pt page with
            # /UserUnit 75000 still costs one PREVIEW_PX bitmap.
            scale = PREVIEW_PX / max(width_pt, height_pt, 1.0)
            bitmap = page.render(scale=scale, may_draw_forms=False)
            image = bitmap.to_pil().convert("RGB")
        except pdfium.PdfiumError as exc:
            raise Unprocessable("The PDF is damaged: its first page cannot be drawn.") from exc
        finally:
            page.close()
    finally:
        document.close()
    return width_pt, height_pt, image
