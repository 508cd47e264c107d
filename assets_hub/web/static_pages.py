"""Pages with fixed content (the accessibility statement), open to everyone."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from assets_hub.auth.policy import Policy, requires
from assets_hub.web.templating import templates


@requires(Policy.PUBLIC)
async def accessibility_statement(request: Request) -> Response:
    """The accessibility statement the footer links to (required of public-sector services)."""
    return templates.TemplateResponse(request, "pages/accessibility.html", {})
