"""Seed output presets: named sizes with optional byte budgets, safe areas and formats.

Presets are data. The API lists them and admins may add more (stored by the lead's model);
the renderer only needs a :class:`Preset`. A rendition is only ever made for a preset
(IMG-07): there is no free-form width/height.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assets_hub.media.geometry import DEFAULT_MAX_UPSCALE

OUTPUT_FORMATS = ("jpeg", "png", "webp")
MIN_SIDE_PX = 16
MAX_SIDE_PX = 4096  # SECURITY.md: renditions at most 4096 px a side (the one place it is set)


@dataclass(frozen=True)
class SafeArea:
    """Pixels at each edge that platform UI covers (e.g. a story's top bar and reply box)."""

    top: int = 0
    right: int = 0
    bottom: int = 0
    left: int = 0


@dataclass(frozen=True)
class Preset:
    """A named output size. ``byte_budget``: the encoded file must not exceed it."""

    key: str
    name: str
    width: int
    height: int
    dpi: int = 72
    byte_budget: int | None = None
    safe_area: SafeArea = field(default_factory=SafeArea)
    formats: tuple[str, ...] = ("jpeg", "png", "webp")
    default_format: str = "jpeg"
    max_upscale: float = DEFAULT_MAX_UPSCALE
    version: int = 1

    def __post_init__(self) -> None:
        sides = (self.width, self.height)
        if not all(MIN_SIDE_PX <= side <= MAX_SIDE_PX for side in sides):
            raise ValueError(
                f"preset {self.key}: width and height must be {MIN_SIDE_PX} to {MAX_SIDE_PX} px"
            )
        if not set(self.formats) <= set(OUTPUT_FORMATS) or self.default_format not in self.formats:
            raise ValueError(f"preset {self.key}: formats must be among {OUTPUT_FORMATS}")
        s = self.safe_area
        if s.top + s.bottom >= self.height // 2 or s.left + s.right >= self.width // 2:
            raise ValueError(f"preset {self.key}: safe area leaves less than half the frame")


def _mm_to_px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


_PRESETS = (
    Preset("instagram-square", "Instagram square", 1080, 1080),
    Preset("instagram-portrait", "Instagram portrait", 1080, 1350),
    Preset("instagram-tall", "Instagram tall (3:4)", 1080, 1440),
    # Stories and reels: the profile bar and the reply box cover the top and bottom.
    Preset("story", "Story / reel (9:16)", 1080, 1920, safe_area=SafeArea(top=250, bottom=340)),
    Preset("facebook-link", "Facebook / LinkedIn link", 1200, 630),
    Preset("x-post", "X post", 1200, 675),
    Preset("linkedin", "LinkedIn post", 1200, 627),
    # Bluesky: long edge ≤ 2000 px and ≤ 1,000,000 bytes per image.
    Preset("bluesky", "Bluesky", 2000, 2000, byte_budget=1_000_000, formats=("jpeg", "webp")),
    Preset("web-banner", "Web banner", 1920, 600),
    Preset(
        "poster-a4",
        "A4 poster (300 dpi)",
        _mm_to_px(210, 300),
        _mm_to_px(297, 300),
        dpi=300,
        formats=("jpeg", "png"),
    ),
    Preset(
        "poster-a5",
        "A5 poster (300 dpi)",
        _mm_to_px(148, 300),
        _mm_to_px(210, 300),
        dpi=300,
        formats=("jpeg", "png"),
    ),
)
PRESETS: dict[str, Preset] = {p.key: p for p in _PRESETS}


def get_preset(key: str) -> Preset:
    """The seed preset ``key``; ValueError listing the valid keys otherwise."""
    found = PRESETS.get(key)
    if found is None:
        raise ValueError(f"unknown preset {key!r}; choose one of: {', '.join(PRESETS)}")
    return found
