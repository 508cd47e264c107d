"""The audit log: one append-only row per security-relevant event (never secrets or bodies)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assets_hub.models import AuditEvent, Role, User

if TYPE_CHECKING:
    from assets_hub.auth.principal import Principal

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


PER_PAGE = 50


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first, and how many pages there are."""

    events: list[AuditEvent]
    page: int
    pages: int


async def page_for(principal: Principal, page: int, action: str = "") -> AuditPage:
    """The page of the log ``principal`` may read (a page past the end: the last one).

    Library admins see only their own library's events; editors and admins see all.
    """
    query = AuditEvent.all()
    if principal.role is Role.LIBRARY_ADMIN:
        query = query.filter(library_id=principal.library_id)
    if action:
        query = query.filter(action=action[:50])
    pages = max(1, -(-(await query.count()) // PER_PAGE))
    page = min(max(page, 1), pages)
    events = (
        await query.order_by("-id")
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .prefetch_related("library")
    )
    return AuditPage(list(events), page, pages)
