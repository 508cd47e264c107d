"""Search endpoints beyond the listing: editors' synonyms and "more like this"."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.assets import acting_user, backends_of, viewer_for
from assets_hub.api.operations import JsonBody, body_of, operation
from assets_hub.api.schemas import json_reply, listing, obj, ref
from assets_hub.api.serializers import asset_json
from assets_hub.auth.policy import Policy, requires
from assets_hub.models import Asset, AssetVersion
from assets_hub.services import assets as asset_service
from assets_hub.services import search_admin

SYNONYMS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string", "maxLength": 100}},
    "description": 'A word and the words that mean the same: {"kids": ["children"]}',
}
SYNONYMS_REPLY = json_reply(200, "The synonyms", obj(("synonyms",), synonyms=SYNONYMS))


@requires(Policy.EDITOR)
@operation("Search synonyms", SYNONYMS_REPLY)
async def get_synonyms(request: Request) -> Response:
    return JSONResponse({"synonyms": await search_admin.current_synonyms()})


@requires(Policy.EDITOR)
@operation(
    "Replace the search synonyms",
    SYNONYMS_REPLY,
    body=JsonBody(obj(("synonyms",), synonyms=SYNONYMS)),
)
async def put_synonyms(request: Request) -> Response:
    """Replace the synonyms: {"synonyms": {"kids": ["children"], ...}}."""
    mapping = search_admin.parse_synonyms(body_of(request)["synonyms"])
    await search_admin.replace_synonyms(backends_of(request), mapping, await acting_user(request))
    return JSONResponse({"synonyms": mapping})


@requires(Policy.CATALOGUE)
@operation("Assets like this one", json_reply(200, "Up to six", listing("hits", ref("Asset"))))
async def similar_assets(request: Request) -> Response:
    """Assets sharing tags, campaign or audience with this one, within what the caller sees."""
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    hits = await backends_of(request).search.similar(str(asset.id), viewer.search_visibility(), 6)
    ids = [uuid.UUID(hit.id) for hit in hits]
    found = {
        a.id: a
        for a in await Asset.filter(viewer.asset_filter(), id__in=ids).prefetch_related(
            "campaign", "tags"
        )
    }
    versions = {
        v.asset_id: v
        for v in await AssetVersion.filter(asset_id__in=list(found)).order_by("number")
    }
    return JSONResponse(
        {"hits": [asset_json(found[i], versions.get(i)) for i in ids if i in found]}
    )
