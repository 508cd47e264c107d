"""A campaign's pre-render readiness for editors: how many launch renditions are warm."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.auth.policy import Policy, requires
from assets_hub.errors import NotFound
from assets_hub.models import Campaign
from assets_hub.services import prerender


@requires(Policy.EDITOR)
async def campaign_readiness(request: Request) -> Response:
    """``{"rendered": n, "due": m, "presets": [...]}`` for the campaign (404 if unknown)."""
    campaign = await Campaign.get_or_none(slug=request.path_params["slug"])
    if campaign is None:
        raise NotFound("No campaign with that slug.")
    counts = await prerender.readiness(campaign.id)
    return JSONResponse({**counts, "presets": list(prerender.PRESETS)})
