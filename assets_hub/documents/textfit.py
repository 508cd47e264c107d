"""Fonts for reportlab and text that fits: wrapping and shrink-to-fit in PDF points.

Only the bundled families of :mod:`assets_hub.branding.fonts` are registered (IMG-09); they are
embedded as subsets with a ToUnicode map, so stamped text stays selectable and extractable.
Text is always drawn as data (BR-04): nothing here interprets markup.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped,unused-ignore]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped,unused-ignore]

from assets_hub.branding.fonts import font_path

# reportlab's font registry is process-global and not locked.
_REGISTER_LOCK = threading.Lock()
_registered: set[str] = set()
MAX_LOGO_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def register_font(key: str, *, bold: bool = False) -> str:
    """The reportlab name of a bundled face, registering it on first use."""
    name = f"AssetsHub-{key}-{'bold' if bold else 'regular'}"
    with _REGISTER_LOCK:
        if name not in _registered:
            pdfmetrics.registerFont(TTFont(name, str(font_path(key, bold=bold))))
            _registered.add(name)
    return name


def text_width(text: str, font: str, size: float) -> float:
    """Advance width of ``text`` in points."""
    return float(pdfmetrics.stringWidth(text, font, size))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``; words too long for a line are broken.

    Newlines in ``text`` start new lines. Breaking long words (URLs, e-mail addresses) keeps
    every character on the page: nothing is cut or allowed to run past the zone.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, font, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for ch in word:
                if current and text_width(current + ch, font, size) > width:
                    lines.append(current)
                    current = ""
                current += ch
        if current:
            lines.append(current)
    return lines


@dataclass(frozen=True)
class TextBlock:
    """One run of wrapped lines at one size."""

    lines: tuple[str, ...]
    font: str
    size: float

    @property
    def leading(self) -> float:
        """Baseline-to-baseline distance."""
        return self.size * 1.2

    @property
    def height(self) -> float:
        """Height of the block."""
        return self.leading * len(self.lines)


def fit_blocks(
    parts: Sequence[tuple[str, str, float]],
    width: float,
    height: float,
    *,
    max_size: float,
    min_size: float,
) -> list[TextBlock] | None:
    """The largest common size at which every ``(text, font, scale)`` part fits the box.

    ``scale`` multiplies the base size (1.25 for a bold name over contact lines). None when even
    ``min_size`` overflows. Binary search to 0.1 pt: block height only grows with size.
    """

    def layout(size: float) -> list[TextBlock] | None:
        blocks = []
        for text, font, scale in parts:
            s = size * scale
            lines = wrap(text, font, s, width)
            if any(text_width(line, font, s) > width + 1e-6 for line in lines):
                return None  # a single glyph wider than the box
            blocks.append(TextBlock(tuple(lines), font, s))
        return blocks if sum(b.height for b in blocks) <= height else None

    best = layout(min_size)
    if best is None:
        return None
    low, high = min_size, max_size
    top = layout(max_size)
    if top is not None:
        return top
    while high - low > 0.1:
        mid = (low + high) / 2
        found = layout(mid)
        if found is None:
            high = mid
        else:
            low, best = mid, found
    return best


@lru_cache(maxsize=8)
def decode_logo(data: bytes, max_side_px: int) -> Image.Image:
    """The logo as RGBA at most ``max_side_px`` on its longer side; ValueError if unusable.

    The pixel count is read from the header before any decoding (decompression bombs), and the
    image is downscaled so a stamp embeds kilobytes, not the uploaded megapixels. Cached (a
    stamp plans and then draws the same logo; a case study draws it on every page): callers
    must not modify the returned image.
    """
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_LOGO_PIXELS:
            raise ValueError("the logo has too many pixels")
        image.load()
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValueError("the logo could not be read as an image") from exc
    image = image.convert("RGBA")
    box = image.getbbox()  # trim transparent margins so the mark fills its box
    if box is not None:
        image = image.crop(box)
    image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    return image


def png_bytes(image: Image.Image) -> bytes:
    """PNG encoding of ``image`` without metadata."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def load_picture(data: bytes, max_side_px: int) -> Image.Image:
    """A photo for a document: pixel count checked first, orientation applied, downscaled.

    RGB unless the image has transparency (then RGBA), so JPEG can be used for photos.
    """
    from PIL import ImageOps

    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_LOGO_PIXELS:
            raise ValueError("the image has too many pixels")
        image.draft("RGB", (max_side_px, max_side_px))  # JPEG: decode at a reduced scale
        image = ImageOps.exif_transpose(image)
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValueError("an image could not be read") from exc
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    return image


def encoded_picture(image: Image.Image) -> bytes:
    """JPEG (quality 85) for opaque images, PNG for transparent ones; no metadata."""
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, "PNG")
    else:
        image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
