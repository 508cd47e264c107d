"""Which posts anyone outside the campaign team may see now (AZ-04, AZ-06).

The database query is the first filter; this is the last one, applied by feeds (and usable for
packs) so an item the caller forgot to filter still cannot leak: a draft (``published`` is
``None``), a post scheduled later, or one under embargo is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar


class Publishable(Protocol):
    """Anything with a publication time and an optional embargo (aware datetimes)."""

    @property
    def published(self) -> datetime | None: ...

    @property
    def embargo_until(self) -> datetime | None: ...


P = TypeVar("P", bound=Publishable)


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time is ambiguous across BST/GMT: refuse rather than guess.
        raise ValueError(f"{what} must be timezone-aware")
    return moment


def is_visible(item: Publishable, now: datetime) -> bool:
    """Published at or before ``now`` and not under embargo at ``now``."""
    now = _aware(now, "now")
    if item.published is None or _aware(item.published, "published") > now:
        return False
    return item.embargo_until is None or _aware(item.embargo_until, "embargo_until") <= now


def visible_posts(posts: Iterable[P], now: datetime) -> list[P]:
    """The items of ``posts`` visible at ``now``, in their original order."""
    return [p for p in posts if is_visible(p, now)]
