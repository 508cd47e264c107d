"""Colour values for branding: strict parsing (BR-03) and WCAG 2 contrast.

Only ``#RRGGBB`` and ``#RGB`` are accepted, normalised to lower-case ``#rrggbb``; nothing
else (names, ``rgb()``, CSS fragments) ever reaches a stylesheet or the renderer.
"""

from __future__ import annotations

import re

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

# WCAG 2.x AA for normal text.
MIN_TEXT_CONTRAST = 4.5
BLACK = "#000000"
WHITE = "#ffffff"


def parse_colour(value: object) -> str:
    """``value`` as ``#rrggbb``; ValueError naming the accepted forms otherwise."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        shown = repr(value)[:40]
        raise ValueError(f"colour must be #RRGGBB or #RGB (hex digits only), got {shown}")
    digits = value[1:].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def to_rgb(colour: str) -> tuple[int, int, int]:
    """The 0..255 channels of a colour (parsed first)."""
    digits = parse_colour(colour)[1:]
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = to_rgb(colour)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21 (order does not matter)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    high, low = max(la, lb), min(la, lb)
    return (high + 0.05) / (low + 0.05)


def readable_text_colour(
    background: str, preferred: str | None = None, *, minimum: float = MIN_TEXT_CONTRAST
) -> str:
    """A text colour readable on ``background``: ``preferred`` when it reaches ``minimum``.

    Otherwise black or white, whichever contrasts more (one of them always reaches 4.5:1 on
    any opaque background, so brand colours never produce unreadable text).
    """
    if preferred is not None and contrast_ratio(background, preferred) >= minimum:
        return parse_colour(preferred)
    on_black, on_white = contrast_ratio(background, BLACK), contrast_ratio(background, WHITE)
    return BLACK if on_black >= on_white else WHITE
