"""Rights and consent: consent records, the asset fields derived from them, and takedown
notices for every library that downloaded an asset that may no longer be used."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from assets_hub.errors import NotFound, Unprocessable
from assets_hub.models import (
    Asset,
    Channel,
    Consent,
    DownloadEvent,
    Library,
    Status,
    TakedownNotice,
    User,
)
from assets_hub.search.outbox import enqueue_change
from assets_hub.services import analytics, audit
from assets_hub.services.visibility import utcnow

CHANNELS = tuple(channel.value for channel in Channel)


def _end_of(day: date) -> datetime:
    """Consent runs to the end of its expiry day (UK forms give dates, not times)."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def parse_consent(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a consent record from JSON; 422 naming each bad field."""
    problems = []
    reference = str(data.get("reference", "")).strip()
    if not reference or len(reference) > 100 or "\x00" in reference:
        problems.append("reference: the form's reference, 1 to 100 characters")
    channels = data.get("channels")
    if not isinstance(channels, list) or not channels or not set(channels) <= set(CHANNELS):
        problems.append(f"channels: a list of one or more of {', '.join(CHANNELS)}")
        channels = []
    days = {}
    for name in ("given_on", "expires_on"):
        try:
            days[name] = date.fromisoformat(str(data.get(name, "")))
        except ValueError:
            problems.append(f"{name}: a date like 2026-12-01")
    if len(days) == 2 and days["expires_on"] < days["given_on"]:
        problems.append("expires_on: must not be before given_on")
    is_child = data.get("is_child", False)
    if not isinstance(is_child, bool):
        problems.append("is_child: true or false")
    if problems:
        raise Unprocessable("Please correct: " + "; ".join(problems) + ".")
    return {"reference": reference, "channels": sorted(set(channels)), "is_child": is_child, **days}


async def refresh_consent_fields(asset: Asset) -> None:
    """Recompute the asset's consent expiry and channels from its consent records."""
    consents = await Consent.filter(asset=asset)
    if not consents:
        expires, channels = None, None
    elif any(c.withdrawn_at for c in consents):
        expires = min(c.withdrawn_at for c in consents if c.withdrawn_at)
        channels = []
    else:
        expires = min(_end_of(c.expires_on) for c in consents)
        channels = sorted(set.intersection(*(set(c.channels) for c in consents)))
    await Asset.filter(id=asset.id).update(
        consent_expires_at=expires, consent_channels=channels, revision=asset.revision + 1
    )
    asset.consent_expires_at, asset.consent_channels = expires, channels
    asset.revision += 1


async def add_consent(asset: Asset, data: dict[str, Any], *, actor: User) -> Consent:
    values = parse_consent(data)
    async with in_transaction():
        consent = await Consent.create(asset=asset, **values)
        await refresh_consent_fields(asset)
        await audit.record(
            "consent_added",
            actor=actor,
            target_type="asset",
            target_id=asset.id,
            reference=values["reference"],
        )
        await enqueue_change(asset.id)
    return consent


async def withdraw_consent(asset: Asset, consent_id: int, *, actor: User, reason: str) -> Consent:
    """Withdrawal stops new downloads at once and sends takedown notices."""
    consent = await Consent.get_or_none(id=consent_id, asset=asset)
    if consent is None:
        raise NotFound("No consent with that id for this asset.")
    if consent.withdrawn_at is None:
        async with in_transaction():
            consent.withdrawn_at = utcnow()
            await consent.save(update_fields=["withdrawn_at"])
            await refresh_consent_fields(asset)
            await audit.record(
                "consent_withdrawn",
                actor=actor,
                target_type="asset",
                target_id=asset.id,
                reference=consent.reference,
            )
            await issue_takedowns(
                asset,
                f"consent {consent.reference} was withdrawn"
                + (f": {reason[:200]}" if reason else ""),
            )
            await enqueue_change(asset.id)
    return consent


async def issue_takedowns(asset: Asset, reason: str) -> int:
    """One open notice per library that downloaded the asset, listing the files it took."""
    taken: dict[int, list[str]] = {}
    rows = await DownloadEvent.filter(asset=asset, library_id__isnull=False).values_list(
        "library_id", "filename", "preset"
    )
    for library_id, filename, preset in rows:
        files = taken.setdefault(int(library_id), [])
        # Named as the library saved it: a pack's entry is its path in the pack.
        label = f"{filename} (in a campaign pack)" if "/" in filename else f"{filename} ({preset})"
        if label not in files:
            files.append(label)
    for library_id, sizes in (await analytics.sizes_downloaded_by_library(asset.id)).items():
        if library_id not in taken:  # its download events are past the retention period
            taken[library_id] = [f"an older download ({', '.join(sorted(sizes))})"]
    for library_id, files in taken.items():
        await TakedownNotice.create(
            asset=asset, library_id=library_id, reason=reason[:300], files=files[:200]
        )
    await Asset.filter(id=asset.id).update(takedown_issued_at=utcnow())
    return len(taken)


async def sweep_expiries() -> int:
    """Issue notices for published assets whose expiry, licence or consent has just passed.

    Visibility already changed at that second (it is computed when reading); this only makes
    sure libraries hear about it, once per expiry.
    """
    now = utcnow()
    due = await Asset.filter(
        Q(expires_at__lte=now) | Q(licence_expires_at__lte=now) | Q(consent_expires_at__lte=now),
        status=Status.PUBLISHED,
        deleted_at=None,
        takedown_issued_at=None,
    )
    for asset in due:
        async with in_transaction():
            await issue_takedowns(asset, "its licence, consent or use-by date has passed")
    return len(due)


async def mark_notice_done(
    notice_id: int, *, library_id: int | None, actor: User
) -> TakedownNotice:
    """Library staff confirm they removed the asset (another library's notice is 404)."""
    notice = await TakedownNotice.get_or_none(id=notice_id, library_id=library_id)
    if notice is None:
        raise NotFound("No notice with that id.")
    if notice.done_at is None:
        notice.done_at = utcnow()
        notice.done_by = actor.email
        await notice.save(update_fields=["done_at", "done_by"])
        await audit.record(
            "takedown_done",
            actor=actor,
            target_type="notice",
            target_id=notice.id,
            library_id=library_id,
        )
    return notice


async def open_notices(library: Library) -> list[TakedownNotice]:
    """The library's takedown notices not yet marked done, newest first."""
    return list(
        await TakedownNotice.filter(library=library, done_at=None)
        .order_by("-id")
        .limit(200)
        .prefetch_related("asset")
    )
