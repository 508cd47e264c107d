"""Turn an asset row into the SearchDocument the engines index (one place, both backends)."""

from __future__ import annotations

from datetime import datetime

from assets_hub.models import Asset, AssetVersion, Kind
from assets_hub.search.base import NEVER_EXPIRES, NO_EMBARGO, SearchDocument
from assets_hub.social.captions import readable_template


def _ts(value: datetime | None, default: int) -> int:
    return int(value.timestamp()) if value is not None else default


def usable_until(asset: Asset) -> datetime | None:
    """The first moment the asset stops being usable: its own, licence or consent expiry."""
    ends = [t for t in (asset.expires_at, asset.licence_expires_at, asset.consent_expires_at) if t]
    return min(ends) if ends else None


async def build_document(asset: Asset) -> SearchDocument:
    """The index document for an asset (fetches its campaign, tags and current version)."""
    await asset.fetch_related("campaign", "tags")
    version = await AssetVersion.filter(asset=asset).order_by("-number").first()
    campaign = asset.campaign
    return SearchDocument(
        id=str(asset.id),
        title=asset.title,
        description=readable_template(asset.description)
        if asset.kind is Kind.SOCIAL_POST
        else asset.description,
        tags=tuple(sorted(tag.name for tag in asset.tags)),
        campaign=campaign.slug if campaign else "",
        campaign_name=campaign.name if campaign else "",
        kind=str(asset.kind),
        status=str(asset.status),
        created_at=_ts(asset.created_at, 0),
        published_at=_ts(asset.published_at, 0),
        embargo_until=_ts(asset.embargo_until, NO_EMBARGO),
        expires_at=_ts(usable_until(asset), NEVER_EXPIRES),
        downloads=asset.download_count,
        version=asset.revision,
        body=(version.text if version else await _case_study_text(asset))[:100_000],
        audience=tuple(asset.audience),
        language=asset.language,
        orientation=version.orientation if version else "",
        alt_text=asset.alt_text,
        credit=asset.credit,
    )


async def _case_study_text(asset: Asset) -> str:
    if asset.kind != Kind.CASE_STUDY:
        return ""
    from assets_hub.services.case_studies import search_text  # late: services import search

    return await search_text(asset)
