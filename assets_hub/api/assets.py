"""JSON endpoints for assets and campaigns (thin: parse, call a service, serialise)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.params import search_query_from
from assets_hub.api.serializers import asset_json, campaign_json
from assets_hub.auth.policy import Policy, principal_of, requires, verify_csrf_field
from assets_hub.auth.principal import viewer_for as principal_viewer
from assets_hub.backends import Backends
from assets_hub.errors import BadRequest, NotFound, Unprocessable
from assets_hub.models import Campaign
from assets_hub.responses import file_download, inline_image
from assets_hub.services import assets as asset_service
from assets_hub.services.metadata import parse_metadata
from assets_hub.services.visibility import Viewer
from assets_hub.uploads import read_upload_form


def _backends(request: Request) -> Backends:
    backends: Backends = request.state.backends
    return backends


def viewer_for(request: Request) -> Viewer:
    """What the caller may see: editors and admins everything, everyone else published only."""
    return principal_viewer(principal_of(request))


@requires(Policy.EDITOR, csrf_in_multipart=True)
async def create_asset(request: Request) -> Response:
    backends = _backends(request)
    largest, limit_for = asset_service.upload_limit_for(backends.settings)
    form = await read_upload_form(
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        request.stream(),
        tmp_dir=backends.settings.tmp_dir,
        limit_for=limit_for,
        largest_limit=largest,
    )
    try:
        verify_csrf_field(request, form.fields)
        files = [f for f in form.files if f.field_name == "file"]
        if len(files) != 1:
            raise Unprocessable("Send exactly one file in the 'file' field.")
        upload = files[0]
        stem = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        meta = parse_metadata(form.fields, default_title=stem.strip() or "Untitled")
        asset = await asset_service.upload_asset(backends, upload, meta)
    finally:
        form.close()
    fresh = await asset_service.get_asset(str(asset.id), Viewer(sees_unpublished=True))
    version = await asset_service.current_version(fresh)
    return JSONResponse(
        asset_json(fresh, version),
        status_code=201,
        headers={"Location": f"/api/v1/assets/{asset.id}"},
    )


@requires(Policy.CATALOGUE)
async def get_asset(request: Request) -> Response:
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer_for(request))
    version = await asset_service.current_version(asset)
    return JSONResponse(asset_json(asset, version))


@requires(Policy.CATALOGUE)
async def list_assets(request: Request) -> Response:
    viewer = viewer_for(request)
    query = search_query_from(request.query_params, viewer)
    result = await asset_service.search_assets(_backends(request), query, viewer)
    return JSONResponse(
        {
            "hits": [
                asset_json(a, result.versions.get(a.id), result.highlights.get(a.id, {}))
                for a in result.assets
            ],
            "total": result.total,
            "page": query.page,
            "per_page": query.per_page,
            "facets": result.facets,
        }
    )


@requires(Policy.SIGNED_IN)
async def download_asset(request: Request) -> Response:
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer_for(request))
    version = await asset_service.current_version(asset)
    return await file_download(
        _backends(request).storage,
        version.storage_key,
        filename=version.filename,
        content_type=version.media_type,
        size=version.size,
    )


@requires(Policy.CATALOGUE)
async def asset_thumbnail(request: Request) -> Response:
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer_for(request))
    version = await asset_service.current_version(asset)
    if not version.thumbnail_key:
        raise NotFound("This asset has no thumbnail.")
    return await inline_image(
        _backends(request).storage, version.thumbnail_key, content_type="image/webp"
    )


@requires(Policy.CATALOGUE)
async def list_campaigns(request: Request) -> Response:
    campaigns = await Campaign.all().order_by("name")
    return JSONResponse({"campaigns": [campaign_json(c) for c in campaigns]})


@requires(Policy.EDITOR)
async def create_campaign(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("Send the campaign as a JSON object.") from None
    if not isinstance(body, dict):
        raise BadRequest("Send the campaign as a JSON object.")
    campaign = await asset_service.create_campaign(
        str(body.get("slug", "")), str(body.get("name", "")), str(body.get("description", ""))
    )
    return JSONResponse(campaign_json(campaign), status_code=201)
