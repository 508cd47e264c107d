"""Turn an asset row into the SearchDocument the engines index (one place, both backends)."""

from __future__ import annotations

from datetime import datetime

from assets_hub.models import Asset
from assets_hub.search.base import NEVER_EXPIRES, NO_EMBARGO, SearchDocument


def _ts(value: datetime | None, default: int) -> int:
    return int(value.timestamp()) if value is not None else default


async def build_document(asset: Asset) -> SearchDocument:
    """The index document for an asset (fetches its campaign and tags)."""
    await asset.fetch_related("campaign", "tags")
    campaign = asset.campaign
    return SearchDocument(
        id=str(asset.id),
        title=asset.title,
        description=asset.description,
        tags=tuple(sorted(tag.name for tag in asset.tags)),
        campaign=campaign.slug if campaign else "",
        campaign_name=campaign.name if campaign else "",
        kind=str(asset.kind),
        status=str(asset.status),
        created_at=_ts(asset.created_at, 0),
        published_at=_ts(asset.published_at, 0),
        embargo_until=_ts(asset.embargo_until, NO_EMBARGO),
        expires_at=_ts(asset.expires_at, NEVER_EXPIRES),
        downloads=asset.download_count,
        version=asset.revision,
    )
