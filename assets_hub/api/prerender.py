"""A campaign's pre-render readiness for editors: how many launch renditions are warm."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.operations import operation
from assets_hub.api.schemas import json_reply, obj
from assets_hub.auth.policy import Policy, requires
from assets_hub.errors import NotFound
from assets_hub.models import Campaign
from assets_hub.services import prerender

_READINESS = obj(
    ("rendered", "due", "presets"),
    rendered={"type": "integer", "minimum": 0},
    due={"type": "integer", "minimum": 0},
    presets={"type": "array", "items": {"type": "string"}},
)


@requires(Policy.EDITOR)
@operation(
    "A campaign's launch readiness: branded renditions rendered ahead, of those due",
    json_reply(200, "Rendered and due counts, and the presets rendered ahead", _READINESS),
)
async def campaign_readiness(request: Request) -> Response:
    """``{"rendered": n, "due": m, "presets": [...]}`` for the campaign (404 if unknown)."""
    campaign = await Campaign.get_or_none(slug=request.path_params["slug"])
    if campaign is None:
        raise NotFound("No campaign with that slug.")
    counts = await prerender.readiness(campaign.id)
    return JSONResponse({**counts, "presets": list(prerender.PRESETS)})
