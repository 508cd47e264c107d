"""Logo uploads: validated like any image (by content, with limits), stored as a clean sRGB PNG
under a content-addressed key, so a logo change is a new key and never an overwrite (BR-05)."""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, UnidentifiedImageError

from assets_hub.backends import Backends
from assets_hub.errors import Unprocessable, UnsupportedMediaType
from assets_hub.media.inspect import to_srgb
from assets_hub.media.keys import derived_key
from assets_hub.media.sniff import GIF, PDF, sniff
from assets_hub.threads import run_blocking
from assets_hub.uploads import SpooledFile

MAX_LOGO_SIDE = 4096  # SECURITY.md policy numbers: logos max side 4096 px
MAX_LOGO_BYTES = 10 * 1024 * 1024


def clean_logo(data: bytes, pillow_format: str) -> bytes:
    """The logo as an sRGB PNG (alpha kept, metadata dropped); 422 with the reason if unusable."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[pillow_format])
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as exc:
            raise Unprocessable("The logo is not a readable image.") from exc
        with image:
            width, height = image.size
            if max(width, height) > MAX_LOGO_SIDE:
                raise Unprocessable(
                    f"The logo is {width}×{height} pixels; a logo must be at most "
                    f"{MAX_LOGO_SIDE} px on its longest side."
                )
            if getattr(image, "is_animated", False):
                raise Unprocessable("Animated logos are not accepted; upload a still image.")
            try:
                image.load()
            except (OSError, SyntaxError, ValueError) as exc:
                raise Unprocessable("The logo image is damaged.") from exc
            clean = to_srgb(image).convert("RGBA")
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def store_logo(backends: Backends, upload: SpooledFile) -> tuple[str, str]:
    """Validate and store an uploaded logo; returns (storage key, sha256 of the stored PNG)."""
    if upload.size == 0:
        raise Unprocessable("The logo file is empty.")
    if upload.size > MAX_LOGO_BYTES:
        raise Unprocessable("The logo file is larger than 10 MiB.")
    media = sniff(upload.head[:32])
    if media in (PDF, GIF) or media.pillow_format is None:
        raise UnsupportedMediaType("Logos must be PNG (with transparency, ideally), JPEG or WebP.")
    await run_blocking("files", upload.file.seek, 0)
    data = await run_blocking("files", upload.file.read)
    png = await run_blocking("pillow", clean_logo, data, media.pillow_format)
    digest = hashlib.sha256(png).hexdigest()
    key = derived_key(digest, "logo.png")
    if await backends.storage.head(key) is None:
        await backends.storage.put_bytes(key, png, content_type="image/png")
    return key, digest
