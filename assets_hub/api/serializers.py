"""Model -> JSON, in one place, so every endpoint describes an asset the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assets_hub.media.subject import ARTWORK_FLAT_SHARE
from assets_hub.models import Asset, AssetVersion, Campaign


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def campaign_json(campaign: Campaign | None) -> dict[str, Any] | None:
    if campaign is None:
        return None
    return {"slug": campaign.slug, "name": campaign.name, "description": campaign.description}


def version_json(version: AssetVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "number": version.number,
        "sha256": version.sha256,
        "size": version.size,
        "media_type": version.media_type,
        "width": version.width,
        "height": version.height,
        "orientation": version.orientation or None,
        "page_count": version.page_count,
        "filename": version.filename,
        "dominant_colours": version.dominant_colours,
        "camera_date": version.camera_date,
        "created_at": _iso(version.created_at),
    }


def looks_like_artwork(version: AssetVersion | None) -> bool:
    """True when ingest found the file mostly flat colour (see media.subject.flat_share)."""
    share = version.flat_share if version is not None else None
    return share is not None and share >= ARTWORK_FLAT_SHARE


def asset_json(
    asset: Asset,
    version: AssetVersion | None,
    highlights: dict[str, str] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """An asset with its current version and links.

    The campaign must be fetched; so must the tags, unless ``tags`` (sorted names) is given.
    """
    base = f"/api/v1/assets/{asset.id}"
    body: dict[str, Any] = {
        "id": str(asset.id),
        "title": asset.title,
        "description": asset.description,
        "kind": str(asset.kind),
        "status": str(asset.status),
        "tags": tags if tags is not None else sorted(tag.name for tag in asset.tags),
        "campaign": campaign_json(asset.campaign),
        "created_at": _iso(asset.created_at),
        "updated_at": _iso(asset.updated_at),
        "published_at": _iso(asset.published_at),
        "embargo_until": _iso(asset.embargo_until),
        "expires_at": _iso(asset.expires_at),
        "audience": asset.audience,
        "alt_text": asset.alt_text,
        "language": asset.language,
        "licence": {
            "code": asset.licence or None,
            "terms": asset.licence_terms,
            "credit": asset.credit,
            "expires_at": _iso(asset.licence_expires_at),
        },
        "consent": {
            "expires_at": _iso(asset.consent_expires_at),
            "channels": asset.consent_channels,
        },
        "focal_point": ([asset.focal_x, asset.focal_y] if asset.focal_x is not None else None),
        "artwork": asset.artwork,
        "variant_of": str(asset.variant_of) if asset.variant_of else None,
        # Mostly flat colour (a poster, a banner): the editors are asked to mark it artwork.
        "artwork_suggested": not asset.artwork and looks_like_artwork(version),
        "subject": version.subject_box if version is not None else None,
        "revision": asset.revision,
        "deleted_at": _iso(asset.deleted_at),
        "version": version_json(version),
        "links": {
            "self": base,
            "download": f"{base}/download",
            "thumbnail": f"{base}/thumbnail",
            "preview": f"{base}/preview",
            "page": f"/assets/{asset.id}",
        },
    }
    if highlights is not None:
        body["highlights"] = highlights
    return body
