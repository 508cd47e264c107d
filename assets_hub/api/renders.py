"""Renditions over HTTP: the render endpoint (stored or made once), the live preview, signed
render links for sharing, and the link endpoint itself."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.assets import backends_of
from assets_hub.api.operations import JsonBody, Param, Reply, args_of, body_of, operation
from assets_hub.api.schemas import FIELDS, PROFILE, TEXT, binary_reply, json_reply, obj
from assets_hub.auth.policy import Policy, principal_of, require_principal, requires
from assets_hub.auth.principal import Principal, viewer_for
from assets_hub.auth.tokens import maker_still_entitled
from assets_hub.errors import BadRequest, NotFound, Unprocessable
from assets_hub.ids import MAX_ID, query_id
from assets_hub.media.renditions import SourceTooSmall
from assets_hub.models import AssetVersion, Role
from assets_hub.services import downloads, rendering, signed_links
from assets_hub.services.rendering import RenderAsk
from assets_hub.services.visibility import Viewer
from assets_hub.storage_responses import rendition_response

_PARAMS = {"preset", "profile", "format", "allow_smaller", "layout"}
MAX_FIELDS = 10
FORMATS = ("jpeg", "png", "webp", "pdf", "docx")
RENDER_PARAMS = (
    Param("preset", {"type": "string", "maxLength": 40}, "A preset key (see /api/v1/presets)"),
    PROFILE,
    Param("format", {"type": "string", "enum": list(FORMATS)}, "Images: jpeg, png or webp"),
    Param("allow_smaller", {"type": "boolean"}, "A smaller image when the source is small"),
    *FIELDS,
    IF_NONE_MATCH := Param(
        "If-None-Match", {"type": "string"}, "A rendition's ETag: 304 if unchanged", where="header"
    ),
)
LAYOUT = Param(
    "layout",
    {"type": "string", "enum": ["json"]},
    "json: the layout report of this rendition (boxes, font sizes, contrast) instead of it",
)
PREVIEW_LAYOUT = Param(
    "layout",
    {"type": "string", "enum": ["json", "overlay"]},
    "json: the layout report; overlay: the preview with the report's boxes drawn on it",
)
MEDIA_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
RENDITION = (
    *(binary_reply("The rendition", t, "Content-Disposition", "ETag") for t in MEDIA_TYPES),
    Reply(302, "To a presigned storage URL (S3)", headers=("Location",)),
    Reply(304, "The client's copy (If-None-Match) is current", headers=("ETag",)),
)


def render_ask(asset_id: str, params: QueryParams | dict[str, Any], *, preview: bool) -> RenderAsk:
    """preset, profile, format and field.<name> values; 400 for anything else."""
    items = params.multi_items() if isinstance(params, QueryParams) else list(params.items())
    fields: dict[str, str] = {}
    plain: dict[str, str] = {}
    for name, value in items:
        if name.startswith("field."):
            fields[name[len("field.") :]] = str(value)
        elif name in _PARAMS:
            plain[name] = str(value)
        else:
            raise BadRequest(
                f"Unknown parameter {name[:40]!r}; use preset, profile, format and field.<name>."
            )
    if len(fields) > MAX_FIELDS:
        raise BadRequest(f"At most {MAX_FIELDS} local fields.")
    profile: int | None = None
    if plain.get("profile"):
        profile = query_id("profile", plain["profile"])
    fmt = plain.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        raise BadRequest("format must be one of jpeg, png, webp (images), pdf or docx (documents)")
    if fmt in ("pdf", "docx"):
        return RenderAsk(asset_id, "", profile, fmt, fields, preview)
    if not plain.get("preset"):
        raise BadRequest("Say which size you want: preset=<key> (see /api/v1/presets).")
    smaller = plain.get("allow_smaller", "").lower() in ("1", "true", "yes")
    return RenderAsk(asset_id, plain["preset"], profile, fmt, fields, preview, smaller)


def _wants_layout(request: Request) -> bool:
    """``layout=json``: the layout report of the rendition instead of its image (the
    declaration has already refused any other value)."""
    return bool(args_of(request).get("layout") == "json")


@requires(Policy.CATALOGUE)
@operation(
    "A rendition for a preset, branded with a profile (or a branded PDF or Word document)",
    *RENDITION,
    json_reply(200, "The layout report (layout=json)", {"type": "object"}),
    params=(*RENDER_PARAMS, LAYOUT),
    errors=[422, 429],
)
async def render(request: Request) -> Response:
    """The rendition: served from storage when made before, else made once and stored."""
    backends = backends_of(request)
    principal = principal_of(request)
    ask = render_ask(request.path_params["asset_id"], args_of(request), preview=False)
    if principal is None and ask.profile_id is not None:
        raise NotFound("No branding profile with that id.")
    if ask.format in ("pdf", "docx"):
        return await _document(request, ask)
    prepared = await rendering.prepare(backends, principal, ask)
    if _wants_layout(request) and principal is not None:
        return JSONResponse(await rendering.layout_now(backends, prepared))
    if principal is None:
        # Visitors of a public catalogue get renditions that already exist, never new work.
        found = await rendering.stored(prepared, backends)
        if found is None:
            raise NotFound("This size has not been made yet; sign in to make it.")
        return await rendition_response(request, backends.storage, found, prepared.filename)
    user_id = principal.user_id
    try:
        rendition = await rendering.get_or_render(
            backends, prepared, before_render=lambda: backends.throttle.take_render(str(user_id))
        )
    except SourceTooSmall as exc:
        raise Unprocessable(
            f"{exc.message}. Add allow_smaller=1 for a smaller image instead."
        ) from None
    await rendering.record(principal, prepared, library_id=principal.library_id)
    return await rendition_response(request, backends.storage, rendition, prepared.filename)


@requires(Policy.SIGNED_IN)
@operation(
    "A small unstored rendition for a live preview",
    *(binary_reply("The preview", t, "X-Render-Warnings") for t in MEDIA_TYPES[:3]),
    binary_reply("The preview with its layout boxes (layout=overlay)", "image/png"),
    json_reply(200, "The layout report (layout=json)", {"type": "object"}),
    params=(*RENDER_PARAMS[:-1], PREVIEW_LAYOUT),
    errors=[422, 429],
)
async def preview(request: Request) -> Response:
    """A small, fast, unstored rendition for the live preview while fields are edited."""
    backends = backends_of(request)
    ask = render_ask(request.path_params["asset_id"], args_of(request), preview=True)
    prepared = await rendering.prepare(backends, require_principal(request), ask)
    if args_of(request).get("layout") == "overlay":  # the preview with its boxes drawn
        data = await rendering.layout_overlay_now(backends, prepared)
        return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})
    if _wants_layout(request):
        return JSONResponse(await rendering.layout_now(backends, prepared))
    result = await rendering.render_now(backends, prepared)
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if result.warnings:
        headers["X-Render-Warnings"] = (
            " | ".join(result.warnings)[:500].encode("ascii", "replace").decode()
        )
    return Response(result.data, media_type=result.media_type, headers=headers)


@requires(Policy.SIGNED_IN)
@operation(
    "A signed, expiring link to one rendition, usable without signing in",
    json_reply(
        201, "The link", obj(("url", "expires_in_s"), url=TEXT, expires_in_s={"type": "integer"})
    ),
    body=JsonBody(
        obj(
            preset={"type": ["string", "null"], "maxLength": 40},
            profile={"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID},
            format={"type": ["string", "null"], "enum": [*FORMATS, None]},
            fields={"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            lifetime_s={
                "type": "integer",
                "minimum": 60,
                "maximum": signed_links.MAX_LIFETIME_S,
            },
        )
    ),
)
async def create_link(request: Request) -> Response:
    """A signed, expiring URL for one rendition, usable without signing in."""
    backends = backends_of(request)
    principal = require_principal(request)
    data = body_of(request)
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise Unprocessable("fields: an object of local field values")
    params = {k: v for k, v in data.items() if k in _PARAMS and v is not None}
    params.update({f"field.{k}": v for k, v in fields.items()})
    ask = render_ask(request.path_params["asset_id"], params, preview=False)
    prepared = await rendering.prepare(backends, principal, ask)  # checks access now
    lifetime = data.get("lifetime_s", signed_links.DEFAULT_LIFETIME_S)
    if not isinstance(lifetime, int) or not 60 <= lifetime <= signed_links.MAX_LIFETIME_S:
        raise Unprocessable(f"lifetime_s: 60 to {signed_links.MAX_LIFETIME_S} seconds")
    library_id = await rendering.profile_library(prepared.profile_version) or principal.library_id
    token = signed_links.sign(
        backends.signing_key,
        {
            "a": str(prepared.asset.id),
            "p": ask.preset,
            "pr": ask.profile_id,
            "f": ask.format,
            "fl": dict(ask.fields),
            "lib": library_id,
            "u": principal.user_id,
        },
        lifetime_s=lifetime,
    )
    return JSONResponse({"url": f"/r/{token}", "expires_in_s": lifetime}, status_code=201)


@requires(Policy.PUBLIC)
@operation("A signed link's rendition", *RENDITION, params=[IF_NONE_MATCH], errors=[422, 429])
async def follow_link(request: Request) -> Response:
    """A signed link: what it names, nothing else, while the asset is still usable."""
    backends = backends_of(request)
    payload = signed_links.verify(backends.signing_key, request.path_params["token"])
    library_id = payload.get("lib")
    # 0: a feed's link whose token has no recorded maker (it works while the token does).
    if not await maker_still_entitled(int(payload["u"]) or None, library_id):
        raise NotFound("This link no longer works; ask for a new one.")
    holder = Principal(
        user_id=int(payload["u"]),
        email="signed-link",
        role=Role.LIBRARY_MEMBER,
        library_id=library_id,
    )
    params = {"preset": payload["p"], "profile": payload.get("pr"), "format": payload.get("f")}
    params = {k: v for k, v in params.items() if v is not None}
    params.update({f"field.{k}": v for k, v in (payload.get("fl") or {}).items()})
    ask = render_ask(payload["a"], params, preview=False)
    # Visibility as for library staff: withdrawn, expired or embargoed assets stop working.
    prepared = await rendering.prepare(backends, holder, ask, viewer=Viewer())
    rendition = await rendering.get_or_render(
        backends,
        prepared,
        before_render=lambda: backends.throttle.take_render(f"u{holder.user_id}"),
    )
    await rendering.record(holder, prepared, library_id=library_id)
    return await rendition_response(request, backends.storage, rendition, prepared.filename)


async def _document(request: Request, ask: RenderAsk) -> Response:
    """A fact sheet stamped, or a case study as PDF or Word, for the caller's library."""
    from assets_hub.services import assets as asset_service
    from assets_hub.services import documents

    backends = backends_of(request)
    principal = require_principal(request)  # visitors never get branded documents
    asset = await asset_service.get_asset(ask.asset_id, viewer_for(principal))
    version = await AssetVersion.filter(asset=asset).order_by("-number").first()
    job = await documents.prepare_document(
        backends, principal, asset, version, ask.profile_id, ask.format or "pdf", dict(ask.fields)
    )
    rendition = await documents.get_or_make(backends, job)
    await downloads.record_event(
        asset,
        version,
        library_id=job.library_id,
        preset=job.format,
        branded=True,
        filename=job.filename,
    ) if version else None
    return await rendition_response(request, backends.storage, rendition, job.filename)
