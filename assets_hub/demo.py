"""Demo content: a campaign with real photos (when present) and generated posters. Idempotent."""

from __future__ import annotations

import io
import logging
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from assets_hub.backends import Backends
from assets_hub.errors import AppError
from assets_hub.models import (
    AssetVersion,
    BrandingProfile,
    BrandingProfileVersion,
    Campaign,
    Library,
    Role,
    User,
)
from assets_hub.services import accounts
from assets_hub.services.ingest import upload_asset
from assets_hub.services.metadata import parse_metadata
from assets_hub.threads import run_blocking
from assets_hub.uploads import open_local_file

log = logging.getLogger(__name__)
DEFAULT_PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data" / "photos"

CAMPAIGNS = (
    ("libraries-week", "Libraries Week 2026", "Celebrating what libraries do for every community."),
    ("summer-reading", "Summer Reading Challenge", "Six books over the summer holidays."),
    ("digital-skills", "Digital Skills", "Free help getting online at your library."),
)

POSTERS = (
    ("Summer Reading Challenge poster", "summer-reading", "children, reading, summer", "#f6a800"),
    ("Libraries Week social square", "libraries-week", "social, community", "#1d70b8"),
    ("Get online at your library", "digital-skills", "digital, adults, older people", "#00703c"),
    ("Storytime for under fives", "summer-reading", "children, families, storytime", "#d4351c"),
    ("Libraries Week banner", "libraries-week", "banner, web", "#4c2c92"),
)


# Demo accounts: (email, role, library slug, password). Only for `make run` on a development
# machine; `assets-hub demo` refuses to run with ASSETS_HUB_ENVIRONMENT=production.
LIBRARIES = (
    ("leeds", "Leeds Libraries", "#00703c", "https://www.leeds.gov.uk/libraries"),
    ("kent", "Kent Libraries", "#4c2c92", "https://www.kent.gov.uk/libraries"),
)
USERS = (
    ("admin@demo.assets-hub.org", Role.ADMIN, None, "demo-admin-password"),
    ("editor@demo.assets-hub.org", Role.EDITOR, None, "demo-editor-password"),
    ("admin@leeds.demo.assets-hub.org", Role.LIBRARY_ADMIN, "leeds", "demo-leeds-admin"),
    ("staff@leeds.demo.assets-hub.org", Role.LIBRARY_MEMBER, "leeds", "demo-leeds-staff"),
    ("admin@kent.demo.assets-hub.org", Role.LIBRARY_ADMIN, "kent", "demo-kent-admin1"),
    ("staff@kent.demo.assets-hub.org", Role.LIBRARY_MEMBER, "kent", "demo-kent-staff1"),
)


async def load_demo_accounts() -> list[tuple[str, str, str, str]]:
    """The demo libraries and users (created when missing): (email, role, library, password)."""
    for slug, name, colour, website in LIBRARIES:
        library = await Library.get_or_none(slug=slug) or await accounts.create_library(name, slug)
        if not await BrandingProfile.exists(library=library):
            profile = await BrandingProfile.create(library=library, name="Main", is_default=True)
            await BrandingProfileVersion.create(
                profile=profile,
                number=1,
                primary=colour,
                text="#ffffff",
                font="sans",
                values={"library_name": name, "website": website, "phone": "0113 000 0000"},
                qr_url=website,
                created_by="demo",
            )
    for email, role, library_slug, password in USERS:
        if not await User.exists(email=email):
            home = await Library.get(slug=library_slug) if library_slug else None
            await accounts.create_user(email, role, home, password=password)
    return [(email, role.value, slug or "-", password) for email, role, slug, password in USERS]


def _poster(title: str, colour: str) -> bytes:
    image = Image.new("RGB", (1600, 1000), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, 1600, 80):
        draw.line([(i, 0), (i + 400, 1000)], fill="white", width=6)
    draw.rectangle([(80, 700), (1520, 920)], fill="white")
    draw.text((120, 760), title, fill="black", font_size=72)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


async def load_demo(backends: Backends, photos_dir: str | None = None) -> int:
    """Create the demo campaigns and assets that are not there yet; returns how many were added."""
    for slug, name, description in CAMPAIGNS:
        await Campaign.get_or_create(slug=slug, defaults={"name": name, "description": description})
    items: list[tuple[str, dict[str, str]]] = []
    folder = Path(photos_dir) if photos_dir else DEFAULT_PHOTOS
    if folder.is_dir():
        for photo in sorted(folder.glob("*.jpg")):
            items.append(
                (
                    str(photo),
                    {
                        "title": "Library bus visiting the village"
                        if "bus" in photo.name
                        else photo.stem.replace("-", " ").title(),
                        "campaign": "libraries-week",
                        "tags": "mobile library, community, outdoors",
                        "description": "Photograph for local use (CC0).",
                        "alt_text": "A mobile library bus parked in a village.",
                        "licence": "cc0",
                        "audience": "everyone",
                    },
                )
            )
    tmp = Path(tempfile.mkdtemp(prefix="demo-", dir=_tmp_dir(backends)))
    for title, campaign, tags, colour in POSTERS:
        poster = tmp / (title.lower().replace(" ", "-") + ".jpg")
        poster.write_bytes(await run_blocking("pillow", _poster, title, colour))
        items.append(
            (
                str(poster),
                {
                    "title": title,
                    "campaign": campaign,
                    "tags": tags,
                    "licence": "own-work",
                    "alt_text": f"Poster in {colour} with the words: {title}.",
                    "audience": "everyone",
                },
            )
        )
    added = 0
    for path, fields in items:
        upload = await run_blocking("files", open_local_file, path)
        try:
            if await AssetVersion.exists(sha256=upload.sha256):
                continue
            meta = parse_metadata({**fields, "status": "published"}, default_title=fields["title"])
            await upload_asset(backends, upload, meta, uploader=None)
            added += 1
        except AppError as exc:
            log.warning("demo item %s skipped: %s", os.path.basename(path), exc.message)
        finally:
            upload.close()
    for leftover in tmp.iterdir():
        leftover.unlink()
    tmp.rmdir()
    return added


def _tmp_dir(backends: Backends) -> str:
    os.makedirs(backends.settings.tmp_dir, exist_ok=True)
    return backends.settings.tmp_dir
