"""Who sees what: one rule for search queries, database reads and single rows (``may_see``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.expressions import Q

from assets_hub.models import Asset, Status
from assets_hub.search.base import Visibility


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Viewer:
    """The caller's view of the catalogue. Library staff and the public see published items only."""

    sees_unpublished: bool = False
    now: datetime = field(default_factory=utcnow)

    def search_visibility(self) -> Visibility:
        if self.sees_unpublished:
            return Visibility.everything()
        return Visibility(
            statuses=frozenset({Status.PUBLISHED.value}),
            now=int(self.now.timestamp()),
            enforce_time=True,
        )

    def may_see(self, asset: Asset) -> bool:
        """``asset_filter`` for one asset already read (a test keeps the two in step)."""
        if asset.deleted_at is not None:
            return False
        if self.sees_unpublished:
            return True
        now = self.now
        return (
            asset.status == Status.PUBLISHED
            and (asset.embargo_until is None or asset.embargo_until <= now)
            and (asset.expires_at is None or asset.expires_at > now)
            and (asset.licence_expires_at is None or asset.licence_expires_at > now)
            and (asset.consent_expires_at is None or asset.consent_expires_at > now)
        )

    def asset_filter(self) -> Q:
        """Database filter for assets this viewer may see (deleted ones never)."""
        visible = Q(deleted_at__isnull=True)
        if self.sees_unpublished:
            return visible
        return (
            visible
            & Q(status=Status.PUBLISHED)
            & (Q(embargo_until__isnull=True) | Q(embargo_until__lte=self.now))
            & (Q(expires_at__isnull=True) | Q(expires_at__gt=self.now))
            & (Q(licence_expires_at__isnull=True) | Q(licence_expires_at__gt=self.now))
            & (Q(consent_expires_at__isnull=True) | Q(consent_expires_at__gt=self.now))
        )
