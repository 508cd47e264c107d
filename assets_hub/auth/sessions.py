"""Server-side sessions behind a __Host- cookie, with idle and absolute expiry."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from assets_hub.auth.principal import STAFF_ROLES, Principal
from assets_hub.auth.secrets import digest, new_token
from assets_hub.models import Session, User
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings

COOKIE_NAME = "__Host-assets_hub_session"
# Writing last_seen on every request would make every page view a database write.
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


def _limits(settings: Settings, user: User) -> tuple[timedelta, timedelta]:
    if user.role in STAFF_ROLES:
        return (
            timedelta(minutes=settings.session_idle_staff_min),
            timedelta(hours=settings.session_absolute_staff_h),
        )
    return (
        timedelta(minutes=settings.session_idle_library_min),
        timedelta(hours=settings.session_absolute_library_h),
    )


async def start_session(settings: Settings, user: User, ip: str) -> tuple[str, Session]:
    """A new session (always a new id: sign-in never reuses one). Returns the cookie token."""
    token = new_token()
    now = utcnow()
    _, absolute = _limits(settings, user)
    session = await Session.create(
        id=digest(token),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        authenticated_at=now,
        last_seen_at=now,
        expires_at=now + absolute,
        ip=ip[:64],
    )
    return token, session


async def resolve_session(settings: Settings, token: str) -> Principal | None:
    """The principal for a cookie token, or None if unknown, expired, idle or the user is off."""
    if not token or len(token) > 128:
        return None
    # One joined query: every page of a signed-in user pays for it.
    session = await Session.get_or_none(id=digest(token)).select_related("user")
    if session is None:
        return None
    user: User = session.user
    now = utcnow()
    idle, _ = _limits(settings, user)
    if not user.is_active or now >= session.expires_at or now - session.last_seen_at > idle:
        await session.delete()
        return None
    if now - session.last_seen_at > LAST_SEEN_GRANULARITY:
        session.last_seen_at = now
        await session.save(update_fields=["last_seen_at"])
    return principal_for(
        user,
        session_id=session.id,
        csrf_token=session.csrf_token,
        authenticated_at=session.authenticated_at,
    )


def principal_for(
    user: User,
    *,
    session_id: str | None = None,
    csrf_token: str | None = None,
    token_id: int | None = None,
    authenticated_at: datetime | None = None,
) -> Principal:
    return Principal(
        user_id=user.id,
        email=user.email,
        role=user.role,
        library_id=user.library_id,
        session_id=session_id,
        csrf_token=csrf_token,
        token_id=token_id,
        authenticated_at=authenticated_at,
    )


async def end_session(session_id: str) -> None:
    """Sign-out: the row is deleted, so replaying the old cookie finds nothing."""
    await Session.filter(id=session_id).delete()


async def end_all_sessions(user_id: int) -> None:
    """After a password change or when an account is disabled."""
    await Session.filter(user_id=user_id).delete()


def cookie_attributes(settings: Settings, max_age_s: int | None) -> dict[str, object]:
    """__Host- requires Secure, Path=/ and no Domain (SECURITY.md SES-01)."""
    return {
        "key": COOKIE_NAME,
        "httponly": True,
        "secure": True,
        "samesite": "lax",
        "path": "/",
        "max_age": max_age_s,
    }
