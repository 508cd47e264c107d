"""Sign-in throttling: failures per account and per address are slowed, then refused a while."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from assets_hub.errors import ConfigError, TooManyRequests

PER_ACCOUNT = parse("10/minute")
PER_ADDRESS = parse("30/minute")
UPLOADS_PER_USER = parse("60/hour")  # SECURITY.md policy numbers (UP-19)
RENDERS_PER_USER = parse("120/hour")  # new renditions generated (DOS-01/02)
SLOW_AFTER = 3  # failures in the window before answers are deliberately delayed
MAX_DELAY_S = 3.0


def shared_across_processes(url: str) -> bool:
    """Whether counters at ``url`` are shared by every process (Redis and the like) or kept
    in each process's memory (``memory://``, ``async+memory://``): with several workers the
    latter lets each worker count on its own."""
    scheme = url.split("://", 1)[0].lower()
    return scheme.rsplit("+", 1)[-1] != "memory"


class LoginThrottle:
    """Counts failed sign-ins and uploads in moving windows (memory, or Redis for replicas)."""

    def __init__(self, url: str) -> None:
        # limits takes key_prefix only as an argument; from the URL it lets deployments (and
        # test runs) share one Redis without sharing counters.
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        options = {"key_prefix": query.pop("key_prefix")} if "key_prefix" in query else {}
        bare = urlunsplit(parts._replace(query=urlencode(query)))
        try:
            storage = storage_from_string(bare, **options)
        except Exception as exc:
            raise ConfigError("ASSETS_HUB_RATE_LIMIT_URL", f"cannot use {url!r}: {exc}") from exc
        self._limiter = MovingWindowRateLimiter(storage)

    async def _retry_after(self, item: RateLimitItem, key: str) -> int | None:
        stats = await self._limiter.get_window_stats(item, key)
        if stats.remaining > 0:
            return None
        return int(stats.reset_time - time.time()) + 1

    async def check(self, email: str, ip: str) -> None:
        """TooManyRequests (429) with Retry-After when either counter is exhausted."""
        waits = [
            await self._retry_after(PER_ACCOUNT, f"account:{email.lower()}"),
            await self._retry_after(PER_ADDRESS, f"ip:{ip}"),
        ]
        longest = max((w for w in waits if w is not None), default=None)
        if longest is not None:
            raise TooManyRequests(
                f"Too many failed sign-in attempts. Try again in {longest} seconds.",
                retry_after_s=longest,
            )

    async def failed(self, email: str, ip: str) -> None:
        """Count a failure, then wait a little longer the more failures there have been."""
        await self._limiter.hit(PER_ACCOUNT, f"account:{email.lower()}")
        await self._limiter.hit(PER_ADDRESS, f"ip:{ip}")
        stats = await self._limiter.get_window_stats(PER_ACCOUNT, f"account:{email.lower()}")
        failures = PER_ACCOUNT.amount - stats.remaining
        if failures >= SLOW_AFTER:
            await asyncio.sleep(min(0.25 * (failures - SLOW_AFTER + 1), MAX_DELAY_S))

    async def check_uploads(self, user_id: int) -> None:
        """TooManyRequests once a user has uploaded 60 files in the last hour."""
        wait = await self._retry_after(UPLOADS_PER_USER, f"uploads:{user_id}")
        if wait is not None:
            raise TooManyRequests(
                f"You have uploaded {UPLOADS_PER_USER.amount} files in the last hour, the limit. "
                f"Try again in {wait // 60 + 1} minutes.",
                retry_after_s=wait,
            )

    async def count_upload(self, user_id: int) -> None:
        await self._limiter.hit(UPLOADS_PER_USER, f"uploads:{user_id}")

    async def take_render(self, key: str) -> None:
        """Count one new rendition made for ``key`` (a user or a link); 429 past the limit."""
        if not await self._limiter.hit(RENDERS_PER_USER, f"renders:{key}"):
            wait = await self._retry_after(RENDERS_PER_USER, f"renders:{key}") or 60
            raise TooManyRequests(
                f"You have made {RENDERS_PER_USER.amount} new renditions in the last hour, the "
                "limit. Sizes made before are still instant. "
                f"Try again in {wait // 60 + 1} minutes.",
                retry_after_s=wait,
            )
