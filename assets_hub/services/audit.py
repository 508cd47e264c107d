"""The audit log: one append-only row per security-relevant event (never secrets or bodies)."""

from __future__ import annotations

import logging
from typing import Any

from assets_hub.models import AuditEvent, User

log = logging.getLogger("assets_hub.audit")


def _one_line(text: str) -> str:
    # User-controlled text never forges extra log lines (INJ-08).
    return text.replace("\r", "\\r").replace("\n", "\\n")


async def record(
    action: str,
    *,
    actor: User | None = None,
    actor_email: str = "",
    target_type: str = "",
    target_id: object = "",
    library_id: int | None = None,
    ip: str = "",
    **detail: Any,
) -> AuditEvent:
    """Write an audit row (inside the caller's transaction, if any) and log a line for it."""
    email = actor.email if actor is not None else actor_email
    event = await AuditEvent.create(
        action=action,
        actor=actor,
        actor_email=email[:254],
        target_type=target_type,
        target_id=str(target_id)[:100],
        library_id=library_id,
        ip=ip[:64],
        detail=detail,
    )
    log.info(
        "audit action=%s actor=%s target=%s:%s library=%s ip=%s",
        action,
        _one_line(email),
        target_type,
        _one_line(str(target_id)),
        library_id,
        ip,
    )
    return event
