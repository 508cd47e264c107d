"""Accounts as JSON (never password hashes or token hashes)."""

from __future__ import annotations

from typing import Any

from assets_hub.models import ApiToken, AuditEvent, Library, User


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def library_json(library: Library) -> dict[str, Any]:
    return {"id": library.id, "slug": library.slug, "name": library.name}


def user_json(user: User, library: Library | None = None) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "library": library_json(library) if library is not None else None,
        "is_active": user.is_active,
        "has_password": user.password_hash is not None,
        "last_sign_in_at": _iso(user.last_sign_in_at),
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "revoked_at": _iso(token.revoked_at),
        "last_used_at": _iso(token.last_used_at),
    }


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _iso(event.at),
        "action": event.action,
        "actor": event.actor_email,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "library_id": event.library_id,  # type: ignore[attr-defined]
        "ip": event.ip,
        "detail": event.detail,
    }
