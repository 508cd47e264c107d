"""Who is calling: the signed-in user as resolved for this request (never from request data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assets_hub.models import Role
from assets_hub.services.visibility import Viewer, utcnow

STAFF_ROLES = frozenset({Role.ADMIN, Role.EDITOR})
LIBRARY_ROLES = frozenset({Role.LIBRARY_ADMIN, Role.LIBRARY_MEMBER})


@dataclass(frozen=True)
class Principal:
    """A signed-in user: by browser session (with its CSRF token) or by API token."""

    user_id: int
    email: str
    role: Role
    library_id: int | None
    session_id: str | None = None
    csrf_token: str | None = None
    token_id: int | None = None
    authenticated_at: datetime | None = None

    @property
    def is_staff(self) -> bool:
        """Editors and admins: the national team and the operators."""
        return self.role in STAFF_ROLES

    @property
    def uses_cookie(self) -> bool:
        return self.session_id is not None

    def in_library(self, library_id: int | None) -> bool:
        return library_id is not None and self.library_id == library_id


def viewer_for(principal: Principal | None) -> Viewer:
    """What this caller may see of the catalogue: staff everything, others published only."""
    return Viewer(sees_unpublished=principal is not None and principal.is_staff, now=utcnow())
