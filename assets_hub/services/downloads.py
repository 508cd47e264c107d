"""Downloads: which stored file a caller receives, and the download record (no personal data)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import IO

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from assets_hub.auth.principal import Principal
from assets_hub.backends import Backends
from assets_hub.errors import NotFound
from assets_hub.media.keys import derived_key
from assets_hub.media.sniff import BY_MIME
from assets_hub.media.strip import stripped_to_temp
from assets_hub.models import Asset, AssetVersion, DownloadEvent, Library, Preset
from assets_hub.services import analytics
from assets_hub.services.inflight import single_flight
from assets_hub.threads import run_blocking


@dataclass(frozen=True)
class DownloadTarget:
    key: str
    filename: str
    media_type: str
    size: int | None


async def original_for(
    backends: Backends, principal: Principal, version: AssetVersion
) -> DownloadTarget:
    """Editors and admins get the untouched original; everyone else the metadata-free copy."""
    if principal.is_staff:
        return DownloadTarget(
            version.storage_key, version.filename, version.media_type, version.size
        )
    key = await member_copy(backends, version)
    return DownloadTarget(key, version.filename, version.media_type, None)


async def member_copy(backends: Backends, version: AssetVersion) -> str:
    """The storage key of the metadata-free copy, made now (once) if ingest left it for later."""
    if version.stripped_key:
        return version.stripped_key
    return await single_flight(
        backends, f"strip:{version.sha256}", lambda: _make_member_copy(backends, version)
    )


async def _make_member_copy(backends: Backends, version: AssetVersion) -> str:
    settings = backends.settings
    media = BY_MIME.get(version.media_type)
    if media is None:
        raise NotFound("This file is not available for download.")
    key = derived_key(version.sha256, "original-stripped" + media.extension)
    if await backends.storage.head(key) is None:
        os.makedirs(settings.tmp_dir, exist_ok=True)
        source: IO[bytes] = await run_blocking(
            "files", lambda: tempfile.TemporaryFile(mode="w+b", dir=settings.tmp_dir)
        )
        try:
            async for chunk in backends.storage.read(version.storage_key):
                await run_blocking("files", source.write, chunk)
            stripped, size = await run_blocking(
                "pdf", stripped_to_temp, source, media, settings.tmp_dir
            )
            try:
                await backends.storage.put(key, stripped, content_type=media.mime, size=size)
            finally:
                await run_blocking("files", stripped.close)
        finally:
            await run_blocking("files", source.close)
    await AssetVersion.filter(sha256=version.sha256, stripped_key=None).update(stripped_key=key)
    version.stripped_key = key
    return key


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
    # One transaction: the event, its count and its daily roll-up stand or fall together.
    async with in_transaction() as connection:
        event = await DownloadEvent.create(
            asset=asset,
            version=version.number,
            library_id=library_id,
            preset=preset,
            branded=branded,
            filename=filename[:255],
        )
        await Asset.filter(id=asset.id).update(download_count=F("download_count") + 1)
        await analytics.count_download(connection, event)


HISTORY_PER_PAGE = 25


@dataclass(frozen=True)
class HistoryPage:
    """A page of the library's download history, newest first."""

    events: list[DownloadEvent]
    preset_names: dict[str, str]
    page: int
    pages: int
    total: int


async def download_history(
    library: Library, page: int, per_page: int = HISTORY_PER_PAGE
) -> HistoryPage:
    """The library's download events, newest first, one page of them (asset prefetched)."""
    query = DownloadEvent.filter(library=library)
    total = await query.count()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = (
        await query.order_by("-at", "-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("asset")
    )
    names = {"original": "Original file"} | dict(await Preset.all().values_list("key", "name"))
    return HistoryPage(list(events), names, page, pages, total)
