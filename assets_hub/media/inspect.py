"""Decode-safe inspection of an uploaded file and its thumbnail: pure, blocking, run in a thread.

Images are opened with the sniffed format only (so Pillow never tries EPS, TIFF …), their
dimensions are checked from the header before any pixel buffer exists, frames are counted only
up to the limit, and Pillow's decompression-bomb warning is an error.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from assets_hub.errors import Unprocessable
from assets_hub.media.sniff import PDF, MediaType

THUMBNAIL_PX = 400
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class Limits:
    """Upload limits taken from settings."""

    max_pixels: int
    max_side_px: int
    max_frames: int
    max_pdf_pages: int


@dataclass(frozen=True)
class Inspection:
    """What the file turned out to be, and its thumbnail (WebP bytes, no metadata)."""

    width: int | None
    height: int | None
    frames: int
    page_count: int | None
    thumbnail: bytes | None


def inspect_file(file: IO[bytes], media: MediaType, limits: Limits) -> Inspection:
    """Validate the whole file and make its thumbnail; Unprocessable (422) with the reason."""
    file.seek(0)
    if media == PDF:
        return _inspect_pdf(file, limits)
    return _inspect_image(file, media, limits)


def _inspect_image(file: IO[bytes], media: MediaType, limits: Limits) -> Inspection:
    if media.pillow_format is None:
        raise TypeError(f"{media.mime} is not an image format")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=[media.pillow_format])
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise _unreadable(media) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise _unreadable(media) from exc
        with image:
            width, height = image.size
            _check_dimensions(width, height, limits)
            frames = _count_frames(image, limits.max_frames)
            try:
                image.seek(0)
                thumbnail = _thumbnail(image)
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
                raise Unprocessable(
                    "The image is damaged (it could not be decoded completely). "
                    "Export it again and upload the new file."
                ) from exc
            # Report upright dimensions: what every derived file will have.
            if _orientation(image) in (5, 6, 7, 8):
                width, height = height, width
    return Inspection(width, height, frames, None, thumbnail)


def _unreadable(media: MediaType) -> Unprocessable:
    name = media.pillow_format or "file"
    return Unprocessable(f"The file starts like a {name} image but is not a readable {name}.")


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
            f"the limit is {limits.max_pixels / 1e6:.0f} megapixels."
        )


def _count_frames(image: Image.Image, max_frames: int) -> int:
    if not getattr(image, "is_animated", False):
        return 1
    count = 1
    while True:
        try:
            image.seek(count)
        except EOFError:
            return count
        count += 1
        if count > max_frames:
            raise Unprocessable(
                f"The animation has too many frames; at most {max_frames:,} are accepted."
            )


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block is ignored, never fatal
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _thumbnail(image: Image.Image) -> bytes:
    if image.format == "JPEG":
        # Decode at reduced scale: fast, and far less memory for large photos.
        image.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))
    image.load()
    upright = ImageOps.exif_transpose(image) or image
    rgb = to_srgb(upright)
    rgb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


def to_srgb(image: Image.Image) -> Image.Image:
    """RGB or RGBA pixels in sRGB: embedded ICC profiles converted, CMYK and palettes resolved."""
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    target = "RGBA" if has_alpha else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            base = image if image.mode in ("RGB", "RGBA", "CMYK", "L") else image.convert(target)
            out_mode = "RGBA" if base.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(base, source, _SRGB, outputMode=out_mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to a plain conversion
    if image.mode == "I;16" or image.mode.startswith("I"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grey to 8-bit
    return image.convert(target) if image.mode != target else image


def _inspect_pdf(file: IO[bytes], limits: Limits) -> Inspection:
    import pypdfium2 as pdfium  # imported lazily: only PDFs need it

    data = file.read()
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise Unprocessable("Password-protected PDFs are not accepted.") from exc
        raise Unprocessable("The PDF is damaged and could not be opened.") from exc
    try:
        pages = len(document)
        if pages == 0:
            raise Unprocessable("The PDF has no pages.")
        if pages > limits.max_pdf_pages:
            raise Unprocessable(
                f"The PDF has {pages:,} pages; at most {limits.max_pdf_pages:,} are accepted."
            )
        page = document[0]
        try:
            width_pt, height_pt = page.get_size()
            # Render to a target pixel size, never a fixed DPI (huge UserUnit pages stay cheap).
            scale = THUMBNAIL_PX / max(width_pt, height_pt, 1.0)
            bitmap = page.render(scale=scale)
            image = bitmap.to_pil().convert("RGB")
        finally:
            page.close()
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=80)
        return Inspection(round(width_pt), round(height_pt), 1, pages, out.getvalue())
    finally:
        document.close()
