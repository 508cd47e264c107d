"""The allow-list of bundled fonts (IMG-09): a key names a family, nothing else is loaded.

The TTF files live in ``assets_hub/branding/fonts/`` next to their licences (DejaVu: Bitstream
Vera licence; Liberation: SIL OFL 1.1), copied from Debian's fonts-dejavu-core and
fonts-liberation2. Profiles store only the key; the path is resolved here, never taken from
user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = (Path(__file__).parent / "fonts").resolve()


@dataclass(frozen=True)
class FontFamily:
    """One bundled family: a display name and its regular and bold faces (absolute paths)."""

    key: str
    name: str
    regular: Path
    bold: Path
    licence: Path


def _family(key: str, name: str, folder: str, regular: str, bold: str) -> FontFamily:
    base = FONT_DIR / folder
    return FontFamily(key, name, base / regular, base / bold, base / "LICENSE")


FONTS: dict[str, FontFamily] = {
    f.key: f
    for f in (
        _family("sans", "DejaVu Sans", "dejavu", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
        _family("serif", "DejaVu Serif", "dejavu", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
        _family(
            "liberation-sans",
            "Liberation Sans",
            "liberation",
            "LiberationSans-Regular.ttf",
            "LiberationSans-Bold.ttf",
        ),
    )
}
DEFAULT_FONT = "sans"


def check_font_key(key: object) -> str:
    """``key`` if it names a bundled family; ValueError listing the valid keys otherwise."""
    if not isinstance(key, str) or key not in FONTS:
        raise ValueError(f"unknown font {key!r}; choose one of: {', '.join(sorted(FONTS))}")
    return key


def font_path(key: str, *, bold: bool = False) -> Path:
    """Absolute path of a bundled face; only paths from :data:`FONTS` are ever returned."""
    family = FONTS[check_font_key(key)]
    return family.bold if bold else family.regular


@lru_cache(maxsize=512)
def load_font(key: str, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A FreeType font at ``size`` px; cached because shrink-to-fit asks for many sizes.

    Raqm (when Pillow has it) shapes right-to-left and combining text; basic layout otherwise.
    """
    if size < 1:
        raise ValueError("font size must be at least 1 px")
    return ImageFont.truetype(str(font_path(key, bold=bold)), size)
