"""The campaign team's review queue: what waits for them, and rights running out soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from assets_hub.models import Asset, Consent, Status
from assets_hub.services.visibility import utcnow

SOON = timedelta(days=30)
LIMIT = 100


@dataclass(frozen=True)
class ReviewQueue:
    """Items in review (first) and drafts, newest uploads, consents and licences ending soon."""

    waiting: list[Asset]
    recent: list[Asset]
    expiring_consents: list[Consent]
    expiring_licences: list[Asset]
    today: date


async def review_queue() -> ReviewQueue:
    """The queue as of now; each list is capped at 100 rows (10 for the newest uploads)."""
    now = utcnow()
    today = now.date()
    waiting = list(
        await Asset.filter(status__in=(Status.IN_REVIEW, Status.DRAFT), deleted_at=None)
        .order_by("-updated_at")
        .limit(LIMIT)
        .prefetch_related("campaign")
    )
    waiting.sort(key=lambda a: a.status is not Status.IN_REVIEW)  # in review first, stable
    recent = await Asset.filter(deleted_at=None).order_by("-created_at").limit(10)
    consents = (
        await Consent.filter(
            withdrawn_at=None,
            expires_on__gte=today,
            expires_on__lte=today + SOON,
            asset__deleted_at=None,
        )
        .order_by("expires_on")
        .limit(LIMIT)
        .prefetch_related("asset")
    )
    licences = (
        await Asset.filter(
            licence_expires_at__gt=now, licence_expires_at__lte=now + SOON, deleted_at=None
        )
        .order_by("licence_expires_at")
        .limit(LIMIT)
    )
    return ReviewQueue(waiting, list(recent), list(consents), list(licences), today)


async def approvers(assets: list[Asset]) -> dict[object, str]:
    """Under four-eyes publishing, who may publish each asset, in words (empty when off)."""
    from assets_hub.services.lifecycle import four_eyes_on, hands_on  # late: lifecycle is big

    if not four_eyes_on():
        return {}
    said: dict[object, str] = {}
    for asset in assets:
        hands = await hands_on(asset)
        said[asset.id] = (
            f"Four eyes: anyone on the campaign team except {hands.names()} may publish it."
        )
    return said
