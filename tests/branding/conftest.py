"""Shared branding fixtures: a logo and a brand."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from assets_hub.branding.brand import Brand

NAME_60 = "Little Snoring-on-the-Marsh Community Library & Information!"


def logo_png(size: tuple[int, int] = (600, 300), margin: int = 60) -> bytes:
    """A transparent PNG: white disc with a red bar, inside a wide transparent margin."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((margin, margin, size[0] - margin, size[1] - margin), fill=(255, 255, 255, 255))
    draw.rectangle(
        (size[0] // 3, size[1] // 2 - 20, 2 * size[0] // 3, size[1] // 2 + 20), fill="red"
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def brand() -> Brand:
    return Brand(
        "profile-1",
        3,
        primary="#1d3c6e",
        text="#ffd700",
        fields={
            "library_name": NAME_60,
            "website": "https://library.example.org.uk",
            "phone": "01234 567890",
            "email": "hello@library.example.org.uk",
        },
        logo=logo_png(),
        qr_url="https://library.example.org.uk/events",
    )
