"""QR codes for a library's URL, drawn only when they are large enough to scan.

Encoding is done by ``segno`` (pure Python, no image dependency); the module matrix is turned
into pixels here at a whole number of pixels per module (nearest-neighbour, so edges stay
crisp) with the standard 4-module quiet zone. A box too small for ``min_module_px`` gives a
result with ``image=None`` and the reason, never a blurry, unscannable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import segno
from PIL import Image

QUIET_ZONE_MODULES = 4  # ISO/IEC 18004 minimum
DEFAULT_MIN_MODULE_PX = 3
MAX_URL_LENGTH = 2048
# A fixed data mask: segno otherwise encodes the symbol with all eight masks to score each
# (~5 of the ~7 ms of an encode). Every mask is valid ISO/IEC 18004; the score only avoids
# patterns that could confuse old scanners, and decoding is tested (tests/branding/test_qr.py).
MASK = 0


@dataclass(frozen=True)
class QrCode:
    """A drawn QR code (``image``, mode "L", square) or the reason it was not drawn."""

    image: Image.Image | None
    modules: int  # symbol width in modules, without the quiet zone
    module_px: int
    quiet_zone: int
    reason: str | None = None


def check_url(url: object) -> str:
    """An absolute http(s) URL ≤ 2048 characters (BR-01); ValueError otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise ValueError(f"QR URL must be 1 to {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("QR URL must be an absolute http:// or https:// URL")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("QR URL must not contain spaces or control characters")
    return url


@lru_cache(maxsize=256)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR symbol's dark modules, row by row (error correction M, no micro QR, mask
    :data:`MASK`).

    Cached: one library's URL is drawn at every preset size.
    """
    code = segno.make(check_url(url), error="m", micro=False, boost_error=False, mask=MASK)
    return tuple(tuple(bool(v) for v in row) for row in code.matrix)


def make_qr(
    url: str,
    side_px: int,
    *,
    min_module_px: int = DEFAULT_MIN_MODULE_PX,
    quiet_zone: int = QUIET_ZONE_MODULES,
) -> QrCode:
    """The largest QR for ``url`` that fits a ``side_px`` square, with quiet zone.

    Modules are whole pixels; if that is fewer than ``min_module_px`` the code is refused.
    Always black on white: brand colours can lower the contrast scanners need.
    """
    matrix = qr_matrix(url)
    modules = len(matrix)
    total = modules + 2 * quiet_zone
    module_px = side_px // total
    if module_px < max(1, min_module_px):
        reason = (
            f"QR code needs at least {total * max(1, min_module_px)} px "
            f"({total} modules × {min_module_px} px) but the zone is {side_px} px"
        )
        return QrCode(None, modules, module_px, quiet_zone, reason)
    small = Image.new("L", (total, total), 255)
    data = bytearray(small.tobytes())
    for y, row in enumerate(matrix):
        base = (y + quiet_zone) * total + quiet_zone
        for x, on in enumerate(row):
            if on:
                data[base + x] = 0
    small.frombytes(bytes(data))
    big = small.resize((total * module_px,) * 2, Image.Resampling.NEAREST)
    return QrCode(big, modules, module_px, quiet_zone)
