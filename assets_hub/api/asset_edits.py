"""JSON endpoints for the campaign team's changes to assets: metadata, workflow, tags,
deletion, versions and consent records."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.assets import FILE, acting_user, asset_body, backends_of, read_upload
from assets_hub.api.operations import JsonBody, Multipart, body_of, operation
from assets_hub.api.schemas import (
    BOOL,
    DATE,
    IF_MATCH_REVISION,
    METADATA,
    REVISION,
    REVISION_ETAG,
    TEXT,
    binary_reply,
    json_reply,
    listing,
    obj,
    ref,
    words,
)
from assets_hub.api.serializers import version_json
from assets_hub.auth.policy import Policy, requires
from assets_hub.errors import AppError, NotFound, Unprocessable
from assets_hub.models import AssetVersion, Consent
from assets_hub.responses import file_download
from assets_hub.services import ingest, lifecycle, rights
from assets_hub.services.metadata import EDITABLE, MAX_TAG, MAX_TAGS, parse_metadata
from assets_hub.services.rights import CHANNELS
from assets_hub.services.visibility import Viewer

EVERYTHING = Viewer(sees_unpublished=True)
ASSET = json_reply(200, "The asset as it is now", ref("Asset"))
REASON = JsonBody(obj(reason={"type": "string", "maxLength": 300}), required=False)
UPDATE = JsonBody(obj(**{name: METADATA[name] for name in EDITABLE}, revision=REVISION))
CONSENT = JsonBody(
    obj(
        ("reference", "channels", "given_on", "expires_on"),
        reference={"type": "string", "minLength": 1, "maxLength": 100},
        channels={"type": "array", "items": {"type": "string", "enum": list(CHANNELS)}},
        given_on=DATE,
        expires_on=DATE,
        is_child=BOOL,
    )
)


def expected_revision(request: Request, body: dict[str, object]) -> int:
    """The revision the client last saw: If-Match: "r3" or "revision": 3 in the body."""
    header = request.headers.get("if-match")
    if header:
        match = REVISION_ETAG.match(header.strip())
        if not match:
            raise AppError('If-Match must be an ETag from this API, like "r3".', status_code=412)
        return int(match.group(1))
    revision = body.pop("revision", None)
    if isinstance(revision, int) and not isinstance(revision, bool):
        return revision
    raise AppError(
        'Say which revision you edited: send If-Match: "r<revision>" or "revision" in the body.',
        status_code=428,
    )


@requires(Policy.EDITOR)
@operation(
    "Change an asset's descriptive fields",
    json_reply(200, "The asset as it is now", ref("Asset"), "ETag"),
    params=[IF_MATCH_REVISION],
    body=UPDATE,
)
async def update_asset(request: Request) -> Response:
    body = body_of(request)
    expected = expected_revision(request, body)
    meta = parse_metadata(body, partial=True)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    await lifecycle.update_metadata(
        asset, meta, expected_revision=expected, actor=await acting_user(request)
    )
    await ingest.index_soon(backends_of(request), asset.id)
    result = await asset_body(asset.id, EVERYTHING)
    return JSONResponse(result, headers={"ETag": f'"r{result["revision"]}"'})


@requires(Policy.EDITOR)
@operation(
    "Add tags",
    ASSET,
    body=JsonBody(obj(("tags",), tags=words(MAX_TAG, MAX_TAGS))),
)
async def add_tags(request: Request) -> Response:
    body = body_of(request)
    meta = parse_metadata({"tags": body.get("tags", [])}, partial=True)
    if not meta.tags:
        raise Unprocessable("tags: send a list of one or more tags")
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    await lifecycle.add_tags(asset, meta.tags, actor=await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await asset_body(asset.id, EVERYTHING))


@requires(Policy.EDITOR)
@operation(
    "Move an asset through the workflow (submit, publish, withdraw or archive)",
    ASSET,
    body=REASON,
    errors=[409],
)
async def change_status(request: Request) -> Response:
    """POST /assets/{id}/submit | publish | withdraw | archive, with an optional reason."""
    body = body_of(request)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    action = request.url.path.rsplit("/", 1)[-1]
    await lifecycle.transition(
        asset, action, actor=await acting_user(request), reason=str(body.get("reason", ""))[:300]
    )
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await asset_body(asset.id, EVERYTHING))


@requires(Policy.EDITOR)
@operation(
    "Delete an asset (undo within the undo period)",
    json_reply(
        200,
        "Deleted",
        obj(("deleted", "undo"), deleted=TEXT, undo=TEXT, undo_days={"type": "integer"}),
    ),
)
async def delete_asset(request: Request) -> Response:
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    await lifecycle.delete_asset(asset, actor=await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    days = backends_of(request).settings.delete_undo_days
    return JSONResponse(
        {"deleted": str(asset.id), "undo": f"/api/v1/assets/{asset.id}/undelete", "undo_days": days}
    )


@requires(Policy.EDITOR)
@operation("Undo a deletion", ASSET, errors=[409])
async def undelete_asset(request: Request) -> Response:
    asset = await lifecycle.editable_asset(request.path_params["asset_id"], deleted=True)
    await lifecycle.undelete_asset(
        asset,
        actor=await acting_user(request),
        undo_days=backends_of(request).settings.delete_undo_days,
    )
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await asset_body(asset.id, EVERYTHING))


@requires(Policy.EDITOR)
@operation(
    "The asset's versions, newest first",
    json_reply(200, "Versions", listing("versions", ref("Version"))),
)
async def list_versions(request: Request) -> Response:
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    versions = await AssetVersion.filter(asset=asset).order_by("-number")
    return JSONResponse({"versions": [version_json(v) for v in versions]})


@requires(Policy.EDITOR, csrf_in_multipart=True)
@operation(
    "Upload a new version of the file",
    json_reply(201, "The new version", ref("Version")),
    body=Multipart(obj(("file",), file=FILE, csrf_token=TEXT)),
)
async def add_version(request: Request) -> Response:
    form = await read_upload(request)
    try:
        files = [f for f in form.files if f.field_name == "file"]
        if len(files) != 1:
            raise Unprocessable("Send exactly one file in the 'file' field.")
        asset = await lifecycle.editable_asset(request.path_params["asset_id"])
        uploader = await acting_user(request)
        version = await ingest.add_version(backends_of(request), asset, files[0], uploader=uploader)
        await backends_of(request).throttle.count_upload(uploader.id)
    finally:
        form.close()
    return JSONResponse(version_json(version), status_code=201)


async def _version(request: Request) -> AssetVersion:
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    version = await AssetVersion.get_or_none(asset=asset, number=request.path_params["number"])
    if version is None:
        raise NotFound("No version with that number.")
    return version


@requires(Policy.EDITOR)
@operation(
    "Download one version's file",
    binary_reply("The file, as an attachment", "*/*", "Content-Disposition"),
)
async def download_version(request: Request) -> Response:
    version = await _version(request)
    return await file_download(
        backends_of(request).storage,
        version.storage_key,
        filename=version.filename,
        content_type=version.media_type,
        size=version.size,
    )


@requires(Policy.EDITOR)
@operation(
    "Make an old version current again (as a new version)",
    json_reply(201, "The new version", ref("Version")),
)
async def restore_version(request: Request) -> Response:
    old = await _version(request)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    version = await lifecycle.restore_version(asset, old.number, actor=await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(version_json(version), status_code=201)


def _consent_json(consent: Consent) -> dict[str, object]:
    return {
        "id": consent.id,
        "reference": consent.reference,
        "channels": consent.channels,
        "given_on": consent.given_on.isoformat(),
        "expires_on": consent.expires_on.isoformat(),
        "is_child": consent.is_child,
        "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
    }


@requires(Policy.EDITOR)
@operation(
    "Consent records of people shown",
    json_reply(200, "Consents", listing("consents", ref("Consent"))),
)
async def list_consents(request: Request) -> Response:
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    consents = await Consent.filter(asset=asset)
    return JSONResponse({"consents": [_consent_json(c) for c in consents]})


@requires(Policy.EDITOR)
@operation("Record a consent form", json_reply(201, "The consent", ref("Consent")), body=CONSENT)
async def add_consent(request: Request) -> Response:
    body = body_of(request)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    consent = await rights.add_consent(asset, body, actor=await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(_consent_json(consent), status_code=201)


@requires(Policy.EDITOR)
@operation(
    "Withdraw a consent (takedowns follow)",
    json_reply(200, "The consent", ref("Consent")),
    body=JsonBody(obj(reason={"type": "string", "maxLength": 300}), required=False),
    errors=[409],
)
async def withdraw_consent(request: Request) -> Response:
    body = body_of(request)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    consent = await rights.withdraw_consent(
        asset,
        request.path_params["consent_id"],
        actor=await acting_user(request),
        reason=str(body.get("reason", "")),
    )
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(_consent_json(consent))
