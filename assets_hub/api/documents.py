"""JSON endpoints for fact sheets' brand zones and for case studies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.asset_edits import expected_revision
from assets_hub.api.assets import acting_user, asset_body, backends_of, viewer_for
from assets_hub.api.operations import JsonBody, body_of, operation
from assets_hub.api.schemas import (
    IF_MATCH_REVISION,
    METADATA,
    REVISION,
    json_reply,
    obj,
    pick,
    ref,
)
from assets_hub.auth.policy import Policy, requires
from assets_hub.documents import casestudy as study_limits
from assets_hub.documents.casestudy_html import casestudy_html
from assets_hub.documents.stamp import page_sizes
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.models import Asset, Kind
from assets_hub.models import CaseStudy as CaseStudyRow
from assets_hub.services import assets as asset_service
from assets_hub.services import case_studies, documents, ingest, lifecycle
from assets_hub.threads import run_blocking

SHORT = {"type": "string", "maxLength": study_limits.MAX_SHORT}
CONTENT = {
    "library_featured": SHORT,
    "summary": {"type": "string", "maxLength": study_limits.MAX_SUMMARY},
    "body_markdown": {"type": "string", "maxLength": study_limits.MAX_BODY},
    "pull_quote": {"type": "string", "maxLength": study_limits.MAX_QUOTE},
    "pull_quote_by": SHORT,
    "figures": {
        "type": "array",
        "maxItems": study_limits.MAX_FIGURES,
        "items": {"type": "object"},
        "description": '[{"label": …, "value": …}]',
    },
    "images": {
        "type": "array",
        "maxItems": study_limits.MAX_IMAGES,
        "items": {"type": "object", "description": '{"asset_id": …, "caption": …}'},
    },
}
assert set(CONTENT) == set(case_studies.CONTENT_KEYS)  # noqa: S101 - one list of fields
STUDY = json_reply(200, "The case study", ref("Asset"))


@requires(Policy.EDITOR)
@operation(
    "Where local branding goes on a fact sheet",
    json_reply(200, "The zone", obj(("brand_zone", "revision"), revision={"type": "integer"})),
    params=[IF_MATCH_REVISION],
    body=JsonBody(
        obj(
            pages={"type": "string", "maxLength": 40, "description": "last, first, all or 1,3"},
            rect={"type": ["object", "null"], "description": "x, y, width, height in points"},
            revision=REVISION,
        )
    ),
)
async def put_brand_zone(request: Request) -> Response:
    """Where local branding goes on a fact sheet: {"pages": "last", "rect": {…} | null}."""
    data = body_of(request)
    expected = expected_revision(request, data)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    if asset.kind is not Kind.DOCUMENT:
        raise Unprocessable("Brand zones are for fact sheets (PDF documents).")
    version = await asset_service.current_version(asset)
    original = await backends_of(request).storage.read_bytes(version.storage_key)
    sizes = await run_blocking("pdf", page_sizes, original)
    zone = documents.check_zone(data, sizes)
    await lifecycle.set_brand_zone(
        asset, zone, expected_revision=expected, actor=await acting_user(request)
    )
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse({"brand_zone": zone, "revision": asset.revision})


async def _study_json(request: Request, asset: Asset) -> dict[str, Any]:
    row = await CaseStudyRow.get_or_none(asset=asset)
    if row is None:
        raise NotFound("This asset is not a case study.")
    body = await asset_body(asset.id, viewer_for(request))
    study = await documents.case_study_of(backends_of(request), asset)
    body["case_study"] = {
        "library_featured": row.library_featured,
        "summary": row.summary,
        "body_markdown": row.body_markdown,
        "pull_quote": row.pull_quote,
        "pull_quote_by": row.pull_quote_by,
        "figures": row.figures,
        "images": row.images,
        "html": casestudy_html(study, title_level=2),
    }
    return body


@requires(Policy.EDITOR)
@operation(
    "Create a case study",
    json_reply(201, "The case study", ref("Asset")),
    body=JsonBody(obj(("title",), **CONTENT, **pick(METADATA, case_studies.META_KEYS))),
)
async def create_case_study(request: Request) -> Response:
    data = body_of(request)
    asset = await case_studies.create_case_study(data, await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await _study_json(request, asset), status_code=201)


@requires(Policy.CATALOGUE)
@operation("One case study", STUDY)
async def get_case_study(request: Request) -> Response:
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer_for(request))
    return JSONResponse(await _study_json(request, asset))


@requires(Policy.EDITOR)
@operation(
    "Change a case study",
    STUDY,
    params=[IF_MATCH_REVISION],
    body=JsonBody(obj(**CONTENT, title=METADATA["title"], revision=REVISION)),
)
async def update_case_study(request: Request) -> Response:
    data = body_of(request)
    expected = expected_revision(request, data)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    asset = await case_studies.update_case_study(asset, data, await acting_user(request), expected)
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await _study_json(request, asset))
