"""Stand-ins for previews: a sample picture, and a sample library's branding with a logo.

Used where there is no real asset or profile to show a design on (a library's profile before
it chooses a picture; the campaign team's template editor, which belongs to no library).
Everything is drawn here, once per process: nothing is read from disk or the network.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps

from assets_hub.branding.brand import Brand
from assets_hub.branding.fonts import DEFAULT_FONT, load_font

SAMPLE_FIELDS = {
    "library_name": "Anytown Central Library",
    "website": "https://www.example.gov.uk/libraries",
    "phone": "01632 960 000",
    "opening_hours": "Monday to Saturday, 9am to 5pm",
}
SAMPLE_LOCAL_FIELDS = {"event_title": "Summer reading challenge", "event_date": "Saturday 12 July"}


@lru_cache(maxsize=1)
def sample_source() -> bytes:
    """A soft two-colour gradient standing in for a photo (made once)."""
    ramp = Image.linear_gradient("L").resize((1600, 1200))
    image = ImageOps.colorize(ramp, black="#3c5a78", white="#e9dcc0")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@lru_cache(maxsize=1)
def sample_logo() -> bytes:
    """A transparent PNG logo: a white open book on a round plate with the letters 'AL'."""
    size = 400
    logo = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((8, 8, size - 8, size - 8), fill=(255, 255, 255, 255))
    draw.ellipse((28, 28, size - 28, size - 28), fill=(29, 112, 184, 255))
    font = load_font(DEFAULT_FONT, 150, bold=True)
    draw.text((size / 2, size / 2), "AL", font=font, fill=(255, 255, 255, 255), anchor="mm")
    out = io.BytesIO()
    logo.save(out, format="PNG")
    return out.getvalue()


def sample_brand() -> Brand:
    """A sample library's branding: blue band, white text, a logo and a QR code."""
    return Brand(
        profile_id="sample",
        version=1,
        primary="#1d70b8",
        secondary="#ffffff",
        text="#ffffff",
        fields=SAMPLE_FIELDS,
        logo=sample_logo(),
        qr_url=SAMPLE_FIELDS["website"],
    )
