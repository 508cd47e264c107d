"""Fixtures for the search contract suite: one backend per engine, and a shared asset set.

The Meilisearch run needs a server: set ASSETS_HUB_TEST_MEILISEARCH_URL, e.g.
``meilisearch+http://127.0.0.1:7700?api_key=MASTER_KEY``. Each test gets its own index,
dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypedDict

import pytest

from assets_hub.search.base import NEVER_EXPIRES, NO_EMBARGO, SearchBackend, SearchDocument
from assets_hub.search.embedded import EmbeddedSearchBackend
from assets_hub.search.meili import MeilisearchBackend, parse_meili_url

MEILI_ENV = "ASSETS_HUB_TEST_MEILISEARCH_URL"
DAY = 86_400
NOW = 1_780_000_000  # the "current time" every visibility in the suite uses
EMBARGO_UNTIL = NOW + 3_600
EXPIRED_AT = NOW - 60
# The filter-injection string of SECURITY.md INJ-04, used as a real tag and as a query.
INJECTION = '" OR status = "draft" OR tags = "'


def _doc(
    id: str,
    title: str,
    *,
    kind: str,
    campaign: str,
    campaign_name: str,
    tags: tuple[str, ...],
    age_days: int,
    downloads: int,
    description: str = "",
    status: str = "published",
    embargo_until: int = NO_EMBARGO,
    expires_at: int = NEVER_EXPIRES,
    audience: tuple[str, ...] = (),
    orientation: str = "",
    language: str = "en",
    alt_text: str = "",
    credit: str = "",
    body: str = "",
) -> SearchDocument:
    created = NOW - age_days * DAY
    return SearchDocument(
        id=id,
        title=title,
        description=description,
        tags=tags,
        campaign=campaign,
        campaign_name=campaign_name,
        kind=kind,
        status=status,
        created_at=created,
        published_at=created if status == "published" else 0,
        embargo_until=embargo_until,
        expires_at=expires_at,
        downloads=downloads,
        audience=audience,
        orientation=orientation,
        language=language,
        alt_text=alt_text,
        credit=credit,
        body=body,
    )


class _Campaign(TypedDict):
    campaign: str
    campaign_name: str


SRC: _Campaign = {"campaign": "summer-reading", "campaign_name": "Summer Reading Challenge 2026"}
LW: _Campaign = {"campaign": "libraries-week", "campaign_name": "Libraries Week"}

# A dozen-odd assets; created_at, downloads and titles are all distinct so every sort has
# exactly one right answer. Visible by default: everything published, not embargoed at NOW,
# not expired at NOW.
DOCUMENTS: tuple[SearchDocument, ...] = (
    _doc(
        "src-poster",
        "Summer Reading Challenge poster",
        kind="image",
        **SRC,
        tags=("children", "reading", "poster"),
        age_days=10,
        downloads=120,
        description="A3 poster announcing the challenge at your library, with space for dates.",
        audience=("children", "families"),
        orientation="portrait",
        alt_text="A child holding a lantern beside a stack of books",
        credit="Illustration by Ada Quill",
    ),
    _doc(
        "src-bookmark",
        "Summer Reading Challenge bookmark",
        kind="document",
        **SRC,
        tags=("children", "reading"),
        age_days=9,
        downloads=45,
        description="Print-ready bookmark, two per A4 sheet.",
        audience=("children",),
    ),
    _doc(
        "lw-bus",
        "Libraries Week bus photo",
        kind="image",
        **LW,
        tags=("photo", "outreach"),
        age_days=30,
        downloads=300,
        description=(
            "The mobile library bus outside the town hall during Libraries Week. "
            "Young people welcome aboard."
        ),
        audience=("adults", "families"),
        orientation="landscape",
        alt_text="Mobile library van parked in a market square",
        credit="Photo by Kit Marlow",
    ),
    _doc(
        "lw-logo",
        "Libraries Week logo",
        kind="logo",
        **LW,
        tags=("logo", "brand"),
        age_days=60,
        downloads=500,
        audience=("adults",),
        orientation="square",
    ),
    _doc(
        "lw-press",
        "Libraries Week press release template",
        kind="document",
        **LW,
        tags=("press",),
        age_days=25,
        downloads=10,
        description="Fill in your branch name and quotes from the council lead.",
        audience=("adults",),
    ),
    _doc(
        "rw-leaflet",
        "Reading Well for children leaflet",
        kind="document",
        campaign="reading-well",
        campaign_name="Reading Well",
        tags=("children", "health"),
        age_days=40,
        downloads=80,
        description="Books on prescription to help children understand feelings.",
        audience=("children", "families"),
        language="cy",
        body="Each title was chosen by experts; a paper lantern craft is on the last page.",
    ),
    _doc(
        "code-club",
        "Code Club flyer",
        kind="image",
        campaign="digital-skills",
        campaign_name="Digital Skills Month",
        tags=("coding", "teens"),
        age_days=3,
        downloads=5,
        description="Weekly coding club for teens, laptops provided.",
        audience=("young people",),
        orientation="landscape",
        alt_text="Two students at laptops",
    ),
    _doc(
        "xss-banner",
        "<script>alert(1)</script> Storytime banner",
        kind="image",
        campaign="storytime",
        campaign_name="Storytime",
        tags=("children",),
        age_days=2,
        downloads=7,
        description="Banner for under-fives <b>rhyme time</b> sessions.",
        audience=("children",),
        orientation="landscape",
    ),
    _doc(
        "author-talk",
        'Author talk poster "Meet the author" \\ evening',
        kind="image",
        campaign="author-events",
        campaign_name="Author Events",
        tags=(INJECTION, 'say "hi"', "back\\slash"),
        age_days=1,
        downloads=33,
        audience=("adults",),
        orientation="portrait",
        credit="Lantern Studio",
    ),
    # --- never visible to library staff at NOW -------------------------------------------
    _doc(
        "src-draft",
        "Draft Summer Reading Challenge banner",
        kind="image",
        **SRC,
        tags=("children", "reading"),
        age_days=4,
        downloads=0,
        status="draft",
        audience=("children",),
        orientation="landscape",
    ),
    _doc(
        "src-embargoed",
        "Summer Reading Challenge medal artwork",
        kind="image",
        **SRC,
        tags=("children", "reading"),
        age_days=5,
        downloads=1,
        embargo_until=EMBARGO_UNTIL,
        audience=("children",),
        orientation="square",
    ),
    _doc(
        "src-expired",
        "Summer Reading Challenge 2025 certificate",
        kind="document",
        **SRC,
        tags=("children", "reading"),
        age_days=400,
        downloads=900,
        expires_at=EXPIRED_AT,
    ),
    _doc(
        "lw-withdrawn",
        "Libraries Week withdrawn banner",
        kind="image",
        **LW,
        tags=("brand",),
        age_days=70,
        downloads=2,
        status="withdrawn",
        audience=("adults",),
        orientation="landscape",
    ),
)
HIDDEN_IDS = frozenset({"src-draft", "src-embargoed", "src-expired", "lw-withdrawn"})
VISIBLE = tuple(d for d in DOCUMENTS if d.id not in HIDDEN_IDS)


async def _embedded(tmp_path: Path) -> EmbeddedSearchBackend:
    # A small writer heap: tests open many indexes and tantivy reserves it per writer.
    return EmbeddedSearchBackend(tmp_path / "search", writer_heap_bytes=15_000_000)


@pytest.fixture(params=("embedded", "meilisearch"))
async def search_backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SearchBackend]:
    """An empty, set-up backend of each kind (Meilisearch only when a test URL is given)."""
    backend: SearchBackend
    if request.param == "embedded":
        backend = await _embedded(tmp_path)
    else:
        url = os.environ.get(MEILI_ENV)
        if not url:
            pytest.skip(f"{MEILI_ENV} not set: Meilisearch contract not run")
        base_url, api_key, _ = parse_meili_url(url)
        backend = MeilisearchBackend(
            base_url, api_key=api_key, index_uid=f"test_{uuid.uuid4().hex}", timeout_s=10.0
        )
    if isinstance(backend, MeilisearchBackend):
        await backend.setup(wait=True)  # start-up does not wait; the tests need the index now
    else:
        await backend.setup()
    try:
        yield backend
    finally:
        if isinstance(backend, MeilisearchBackend):
            await backend.drop_index()
        await backend.aclose()


@pytest.fixture
async def loaded_backend(search_backend: SearchBackend) -> SearchBackend:
    """The backend holding DOCUMENTS."""
    await search_backend.upsert(DOCUMENTS)
    return search_backend
