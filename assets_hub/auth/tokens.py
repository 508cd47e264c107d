"""Personal API tokens: shown once, stored hashed, named, optionally expiring, revocable."""

from __future__ import annotations

import logging
from datetime import timedelta

from tortoise.exceptions import OperationalError

from assets_hub.auth.principal import STAFF_ROLES, Principal
from assets_hub.auth.secrets import digest, new_token
from assets_hub.auth.sessions import principal_for
from assets_hub.db import is_unavailable
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.models import ApiToken, User
from assets_hub.services.visibility import utcnow

log = logging.getLogger(__name__)
TOKEN_PREFIX = "ahk_"  # noqa: S105 - a visible marker on tokens, not a secret
MAX_TOKEN_NAME = 100
MAX_EXPIRY_DAYS = 366


async def create_token(user: User, name: str, expires_days: int | None) -> tuple[str, ApiToken]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_TOKEN_NAME or "\x00" in name:
        raise Unprocessable(f"name: 1 to {MAX_TOKEN_NAME} characters")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise Unprocessable(f"expires_days: between 1 and {MAX_EXPIRY_DAYS}")
    token = new_token(TOKEN_PREFIX)
    row = await ApiToken.create(
        user=user,
        name=name,
        token_hash=digest(token),
        prefix=token[: len(TOKEN_PREFIX) + 4],
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
    )
    return token, row


async def resolve_token(token: str) -> Principal | None:
    """The principal for a bearer token, or None if unknown, expired, revoked or user disabled."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    # One joined query: every API call with a token pays for it.
    row = await ApiToken.get_or_none(token_hash=digest(token)).select_related("user")
    now = utcnow()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and now >= row.expires_at:
        return None
    user: User = row.user
    if not user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        try:
            await row.save(update_fields=["last_used_at"])
        except OperationalError as exc:
            # A note of use, not the request's purpose: a busy database must not turn every
            # read into an error (F12). The next request records it.
            if not is_unavailable(exc):
                raise
            log.info("token use not recorded, database busy: %s", exc)
    return principal_for(user, token_id=row.id)


async def revoke_token(principal: Principal, token_id: int) -> ApiToken:
    """Revoke one of the caller's own tokens (another user's is 404, never 403)."""
    row = await ApiToken.get_or_none(id=token_id, user_id=principal.user_id)
    if row is None:
        raise NotFound("No token with that id.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await row.save(update_fields=["revoked_at"])
    return row


async def maker_still_entitled(user_id: int | None, library_id: int | None) -> bool:
    """Whether a render link or feed token made by ``user_id`` for ``library_id`` still works.

    Links and feeds stop with their maker: once the maker is switched off, deleted, or (for
    library staff) no longer in that library, what they shared stops too. ``None`` is a feed
    token made before its maker was recorded; it keeps working until revoked.
    """
    if user_id is None:
        return True
    user = await User.get_or_none(id=user_id)
    if user is None or not user.is_active:
        return False
    return user.role in STAFF_ROLES or (library_id is not None and user.library_id == library_id)
