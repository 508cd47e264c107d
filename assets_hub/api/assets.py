"""JSON endpoints to upload, read, search and download assets (thin: parse, call, serialise)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.operations import JsonBody, Multipart, Reply, body_of, operation
from assets_hub.api.params import SEARCH_PARAMS, search_query_from
from assets_hub.api.schemas import (
    METADATA,
    STATUS_ON_UPLOAD,
    TEXT,
    binary_reply,
    json_reply,
    listing,
    obj,
    ref,
)
from assets_hub.api.serializers import asset_json, campaign_json
from assets_hub.auth.policy import (
    Policy,
    principal_of,
    require_principal,
    requires,
    verify_csrf_field,
)
from assets_hub.auth.principal import viewer_for as principal_viewer
from assets_hub.backends import Backends
from assets_hub.errors import AppError, NotFound, Unprocessable
from assets_hub.models import Campaign, User
from assets_hub.responses import file_download, inline_image
from assets_hub.services import assets as asset_service
from assets_hub.services import downloads, ingest
from assets_hub.services.metadata import parse_metadata
from assets_hub.services.visibility import Viewer
from assets_hub.uploads import Pace, SpooledFile, UploadForm, paced, read_upload_form


def backends_of(request: Request) -> Backends:
    backends: Backends = request.state.backends
    return backends


def viewer_for(request: Request) -> Viewer:
    """What the caller may see: editors and admins everything, everyone else published only."""
    return principal_viewer(principal_of(request))


async def acting_user(request: Request) -> User:
    return await User.get(id=require_principal(request).user_id)


async def read_upload(request: Request) -> UploadForm:
    """The multipart body, streamed to disk with the upload limits applied as it arrives.

    Over the hourly upload quota the body is not read at all (429 with Retry-After)."""
    backends = backends_of(request)
    await backends.throttle.check_uploads(require_principal(request).user_id)
    settings = backends.settings
    largest, limit_for = ingest.upload_limit_for(settings)
    pace = Pace(
        settings.upload_min_kib_per_s * 1024, settings.upload_grace_s, settings.upload_idle_s
    )
    form = await read_upload_form(
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        paced(request.stream(), pace),
        tmp_dir=settings.tmp_dir,
        limit_for=limit_for,
        largest_limit=largest,
    )
    try:
        verify_csrf_field(request, form.fields)
    except AppError:
        form.close()
        raise
    return form


FILE = {"type": "string", "format": "binary"}
UPLOAD_FIELDS = {**METADATA, "status": STATUS_ON_UPLOAD, "csrf_token": TEXT}
UPLOAD = Multipart(obj(("file",), file=FILE, **UPLOAD_FIELDS))
BATCH = Multipart(obj(("file",), file={"type": "array", "items": FILE}, **UPLOAD_FIELDS))


def default_title(upload: SpooledFile) -> str:
    """A title from the file name, for uploads that give none."""
    stem = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split())[:200] or "Untitled"


async def asset_body(asset_id: object, viewer: Viewer, **extra: object) -> dict[str, object]:
    asset = await asset_service.get_asset(str(asset_id), viewer)
    body = asset_json(asset, await asset_service.latest_version(asset))
    body.update(extra)
    return body


@requires(Policy.EDITOR, csrf_in_multipart=True)
@operation(
    "Upload an asset",
    json_reply(201, "The new asset, with warnings", ref("Asset"), "Location", "ETag"),
    body=UPLOAD,
)
async def create_asset(request: Request) -> Response:
    form = await read_upload(request)
    try:
        files = [f for f in form.files if f.field_name == "file"]
        if len(files) != 1:
            raise Unprocessable(
                "Send exactly one file in the 'file' field (use /api/v1/assets/batch for more)."
            )
        meta = parse_metadata(form.fields, default_title=default_title(files[0]))
        result = await ingest.upload_asset(
            backends_of(request), files[0], meta, uploader=await acting_user(request)
        )
        await backends_of(request).throttle.count_upload(require_principal(request).user_id)
    finally:
        form.close()
    body = await asset_body(
        result.asset.id, Viewer(sees_unpublished=True), warnings=result.warnings
    )
    return JSONResponse(
        body,
        status_code=201,
        headers={"Location": f"/api/v1/assets/{result.asset.id}", "ETag": f'"r{body["revision"]}"'},
    )


@requires(Policy.EDITOR, csrf_in_multipart=True)
@operation(
    "Upload several files, each its own asset with the same fields",
    json_reply(207, "One result per file: status, id or error", listing("results", obj())),
    body=BATCH,
)
async def create_assets_batch(request: Request) -> Response:
    """Several files at once; each gets its own result, so one bad file spoils nothing else."""
    form = await read_upload(request)
    results: list[dict[str, object]] = []
    try:
        uploader = await acting_user(request)
        for upload in (f for f in form.files if f.field_name == "file"):
            entry: dict[str, object] = {"filename": upload.filename[:255]}
            try:
                meta = parse_metadata(form.fields, default_title=default_title(upload))
                result = await ingest.upload_asset(
                    backends_of(request), upload, meta, uploader=uploader
                )
            except AppError as exc:
                entry.update(status=exc.status_code, error=exc.message)
            else:
                entry.update(status=201, id=str(result.asset.id), warnings=result.warnings)
                await backends_of(request).throttle.count_upload(uploader.id)
            results.append(entry)
    finally:
        form.close()
    if not results:
        raise Unprocessable("Send one or more files in 'file' fields.")
    return JSONResponse({"results": results}, status_code=207)


@requires(Policy.CATALOGUE)
@operation("One asset", json_reply(200, "The asset", ref("Asset"), "ETag"))
async def get_asset(request: Request) -> Response:
    body = await asset_body(request.path_params["asset_id"], viewer_for(request))
    return JSONResponse(body, headers={"ETag": f'"r{body["revision"]}"'})


@requires(Policy.CATALOGUE)
@operation(
    "Search assets",
    json_reply(200, "Hits, total and facet counts", ref("SearchPage")),
    params=SEARCH_PARAMS,
)
async def list_assets(request: Request) -> Response:
    viewer = viewer_for(request)
    query = search_query_from(request.query_params, viewer)
    result = await asset_service.search_assets(backends_of(request), query, viewer)
    return JSONResponse(
        {
            "hits": [
                asset_json(
                    a,
                    result.versions.get(a.id),
                    result.highlights.get(a.id, {}),
                    tags=result.tags.get(a.id, []),
                )
                for a in result.assets
            ],
            "total": result.total,
            "page": query.page,
            "per_page": query.per_page,
            "facets": result.facets,
            "suggestion": result.suggestion,
        }
    )


@requires(Policy.SIGNED_IN)
@operation(
    "Download the original file",
    binary_reply("The file, as an attachment (local storage)", "*/*", "Content-Disposition"),
    Reply(302, "To a presigned storage URL valid for at most 300 s (S3)", headers=("Location",)),
)
async def download_asset(request: Request) -> Response:
    """The original: untouched for editors, without metadata for library staff. Recorded."""
    principal = require_principal(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer_for(request))
    version = await asset_service.current_version(asset)
    target = await downloads.original_for(backends_of(request), principal, version)
    response = await file_download(
        backends_of(request).storage,
        target.key,
        filename=target.filename,
        content_type=target.media_type,
        size=target.size,
    )
    await downloads.record_download(
        principal, asset, version, preset="original", branded=False, filename=target.filename
    )
    return response


async def _derived(request: Request, column: str) -> Response:
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer_for(request))
    version = await asset_service.current_version(asset)
    key = getattr(version, column)
    if not key:
        raise NotFound("This asset has no such image.")
    return await inline_image(backends_of(request).storage, key, content_type="image/webp")


@requires(Policy.CATALOGUE)
@operation("A 400 px WebP thumbnail", binary_reply("The thumbnail", "image/webp"))
async def asset_thumbnail(request: Request) -> Response:
    return await _derived(request, "thumbnail_key")


@requires(Policy.CATALOGUE)
@operation("A larger WebP preview", binary_reply("The preview", "image/webp"))
async def asset_preview(request: Request) -> Response:
    return await _derived(request, "preview_key")


@requires(Policy.CATALOGUE)
@operation(
    "List campaigns", json_reply(200, "Campaigns by name", listing("campaigns", ref("Campaign")))
)
async def list_campaigns(request: Request) -> Response:
    campaigns = await Campaign.all().order_by("name")
    return JSONResponse({"campaigns": [campaign_json(c) for c in campaigns]})


@requires(Policy.EDITOR)
@operation(
    "Create a campaign",
    json_reply(201, "The campaign", ref("Campaign")),
    body=JsonBody(
        obj(
            ("slug", "name"),
            slug={
                "type": "string",
                "pattern": "^[a-z0-9][a-z0-9-]{0,99}$",  # as services.assets checks it
                "description": "lower-case letters, digits and hyphens, at most 100 characters",
            },
            name={"type": "string", "minLength": 1, "maxLength": 200},
            description={"type": "string", "maxLength": 5000},
        )
    ),
)
async def create_campaign(request: Request) -> Response:
    body = body_of(request)
    campaign = await asset_service.create_campaign(
        str(body.get("slug", "")), str(body.get("name", "")), str(body.get("description", ""))
    )
    return JSONResponse(campaign_json(campaign), status_code=201)
