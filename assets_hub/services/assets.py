"""Assets: read, search, campaigns, with visibility applied everywhere (uploads: ingest)."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field, replace

from assets_hub.backends import Backends
from assets_hub.errors import BadRequest, NotFound, Unprocessable
from assets_hub.media.sniff import BY_MIME, MediaType
from assets_hub.models import Asset, AssetVersion, Campaign, Kind
from assets_hub.search.base import SearchPage, SearchQuery
from assets_hub.services.tags import normal_tag
from assets_hub.services.visibility import Viewer

log = logging.getLogger(__name__)
MIB = 1024 * 1024
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_IMAGE_KINDS = {Kind.IMAGE, Kind.LOGO, Kind.SOCIAL_POST}


NO_ASSET = "No asset with that id."  # also for hidden ones: never confirms they exist
NO_FILE = "The asset has no stored file."


def asset_uuid(asset_id: str) -> uuid.UUID:
    """The id in a path; NotFound (as for an unknown asset) when it is not a UUID."""
    try:
        return uuid.UUID(asset_id)
    except ValueError:
        raise NotFound(NO_ASSET) from None


async def get_asset(
    asset_id: str, viewer: Viewer, *, related: tuple[str, ...] = ("campaign", "tags")
) -> Asset:
    """The asset if the viewer may see it; NotFound otherwise (never confirms hidden ids).

    ``related``: the relations fetched with it (a rendition needs neither campaign nor tags,
    and every cached download pays for each query).
    """
    # Read by id, then checked in Python: the same rule as asset_filter() without building
    # its ten-clause WHERE for one row (every asset page and download pays for it).
    asset = await Asset.filter(id=asset_uuid(asset_id)).first()
    if asset is None or not viewer.may_see(asset):
        raise NotFound(NO_ASSET)
    if related:
        await asset.fetch_related(*related)
    return asset


async def asset_and_version(
    asset_id: str, viewer: Viewer, *, joined: tuple[str, ...] = ()
) -> tuple[Asset, AssetVersion]:
    """``get_asset`` and ``current_version`` in one query (every rendition download pays for
    each): the newest version with its asset (and the asset's ``joined`` one-to-one
    relations, read in the same query)."""
    version = (
        await AssetVersion.filter(asset_id=asset_uuid(asset_id))
        .select_related("asset", *(f"asset__{name}" for name in joined))
        .order_by("-number")
        .first()
    )
    if version is None:
        await get_asset(asset_id, viewer, related=())  # hidden or unknown: 404 as ever
        raise NotFound(NO_FILE)
    if not viewer.may_see(version.asset):
        raise NotFound(NO_ASSET)
    return version.asset, version


async def latest_version(asset: Asset) -> AssetVersion | None:
    """The current stored file, or None for content-only assets (case studies)."""
    return await AssetVersion.filter(asset=asset).order_by("-number").first()


async def current_version(asset: Asset) -> AssetVersion:
    """The current stored file; NotFound when the asset has none."""
    version = await latest_version(asset)
    if version is None:
        raise NotFound(NO_FILE)
    return version


@dataclass(frozen=True)
class SearchResult:
    """A page of visible assets in engine order, with highlights, total and facets."""

    assets: list[Asset]
    versions: dict[uuid.UUID, AssetVersion]
    highlights: dict[uuid.UUID, dict[str, str]]
    total: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    tags: dict[uuid.UUID, list[str]] = field(default_factory=dict)  # sorted names per asset


async def search_assets(backends: Backends, query: SearchQuery, viewer: Viewer) -> SearchResult:
    """Ask the engine, then hydrate from the database and drop anything no longer visible."""
    # Stored tags are normal_tag'd: the filters too, so "Kids" finds "kids" on both engines.
    query = replace(
        query,
        tags=tuple(normal_tag(t) for t in query.tags),
        tags_all=tuple(normal_tag(t) for t in query.tags_all),
    )
    try:
        page: SearchPage = await backends.search.search(query)
    except ValueError as exc:  # the engine's own input checks (the API checks first)
        raise BadRequest(str(exc)) from None
    ids = [uuid.UUID(hit.id) for hit in page.hits]
    found = {
        asset.id: asset
        for asset in await Asset.filter(viewer.asset_filter(), id__in=ids).prefetch_related(
            "campaign"
        )
    }
    ordered = [found[i] for i in ids if i in found]
    tags = await tag_names(list(found))
    versions: dict[uuid.UUID, AssetVersion] = {}
    for version in await AssetVersion.filter(asset_id__in=list(found)).order_by("number"):
        versions[version.asset_id] = version
    highlights = {uuid.UUID(hit.id): hit.highlights for hit in page.hits}
    return SearchResult(
        ordered, versions, highlights, page.total, page.facets, page.suggestion, tags
    )


async def tag_names(asset_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each asset's tag names, sorted, in one query.

    Plain (asset, name) rows instead of prefetching Tag objects: on a search page the
    many-to-many prefetch cost ~4 ms of the ~20 ms request. The join starts from the asset
    side (SQLite walks asset -> asset_tag -> tag by index; from the tag side it would not).
    """
    names: dict[uuid.UUID, list[str]] = {asset_id: [] for asset_id in asset_ids}
    if not asset_ids:
        return names
    rows = await Asset.filter(id__in=asset_ids).values_list("id", "tags__name")
    for asset_id, name in rows:
        if name is not None:  # an asset without tags comes back once, with NULL
            key = asset_id if isinstance(asset_id, uuid.UUID) else uuid.UUID(str(asset_id))
            names[key].append(str(name))
    for found in names.values():
        found.sort()
    return names


async def create_campaign(slug: str, name: str, description: str = "") -> Campaign:
    """Create a campaign; 422 if the slug is malformed or taken."""
    if not _SLUG.fullmatch(slug or ""):
        raise Unprocessable("slug: lower-case letters, digits and hyphens, at most 100 characters")
    if not name.strip() or len(name) > 200 or "\x00" in name:
        raise Unprocessable("name: 1 to 200 characters")
    if await Campaign.exists(slug=slug):
        raise Unprocessable(f"slug: a campaign called {slug!r} already exists")
    return await Campaign.create(slug=slug, name=name.strip(), description=description.strip())


def media_type_of(version: AssetVersion) -> MediaType:
    return BY_MIME[version.media_type]
