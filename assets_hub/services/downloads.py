"""Downloads: which stored file a caller receives, and the download record (no personal data)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import F

from assets_hub.auth.principal import Principal
from assets_hub.errors import NotFound
from assets_hub.models import Asset, AssetVersion, DownloadEvent


@dataclass(frozen=True)
class DownloadTarget:
    key: str
    filename: str
    media_type: str
    size: int | None


def original_for(principal: Principal, version: AssetVersion) -> DownloadTarget:
    """Editors and admins get the untouched original; everyone else the metadata-free copy."""
    if principal.is_staff:
        return DownloadTarget(
            version.storage_key, version.filename, version.media_type, version.size
        )
    if not version.stripped_key:
        raise NotFound("This file is not available for download.")
    return DownloadTarget(version.stripped_key, version.filename, version.media_type, None)


async def record_download(
    principal: Principal,
    asset: Asset,
    version: AssetVersion,
    *,
    preset: str,
    branded: bool,
    filename: str,
) -> None:
    """One row per download: asset, version, library, preset, time. Never the user."""
    await record_event(
        asset,
        version,
        library_id=principal.library_id,
        preset=preset,
        branded=branded,
        filename=filename,
    )


async def record_event(
    asset: Asset,
    version: AssetVersion,
    *,
    library_id: int | None,
    preset: str,
    branded: bool,
    filename: str,
) -> None:
    """The download row, also for callers without a principal (signed links name a library)."""
    await DownloadEvent.create(
        asset=asset,
        version=version.number,
        library_id=library_id,
        preset=preset,
        branded=branded,
        filename=filename[:255],
    )
    await Asset.filter(id=asset.id).update(download_count=F("download_count") + 1)
