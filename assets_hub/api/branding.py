"""JSON endpoints for branding profiles, logos, presets and overlay templates."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.accounts import client_ip
from assets_hub.api.assets import FILE, acting_user, backends_of, read_upload
from assets_hub.api.operations import JsonBody, Multipart, body_of, operation
from assets_hub.api.schemas import (
    BOOL,
    IF_MATCH_VERSION,
    TEXT,
    binary_reply,
    json_reply,
    listing,
    obj,
    ref,
)
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.branding.fonts import FONTS
from assets_hub.branding.overlays import (
    DEFAULT_TEMPLATE_DOCUMENT,
    MAX_FIELD_LENGTH,
    PROFILE_FIELDS,
)
from assets_hub.branding.presets import MAX_SIDE_PX, MIN_SIDE_PX, OUTPUT_FORMATS
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.ids import ID_DIGITS, ID_SCHEMA
from assets_hub.models import (
    OverlayTemplate,
    OverlayTemplateVersion,
    Preset,
)
from assets_hub.services import branding, logos, overlay_templates, presets
from assets_hub.services.branding import MAX_WEBSITE, PROFILE_KEYS, ProfileView
from assets_hub.services.lifecycle import editable_asset


def profile_json(view: ProfileView) -> dict[str, Any]:
    v = view.version
    return {
        "id": view.profile.id,
        "library_id": view.profile.library_id,
        "name": view.profile.name,
        "is_default": view.profile.is_default,
        "version": v.number,
        "primary": v.primary,
        "secondary": v.secondary,
        "text": v.text,
        "font": v.font,
        "qr_url": v.qr_url,
        "fields": v.values,
        "logo": {"sha256": v.logo_sha256} if v.logo_key else None,
        "warnings": view.warnings,
        "links": {"logo": f"/api/v1/profiles/{view.profile.id}/logo"},
    }


COLOUR = {"type": "string", "maxLength": 30, "description": "#rrggbb"}
PROFILE_FIELDS_SCHEMA = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "is_default": BOOL,
    "primary": COLOUR,
    "secondary": COLOUR,
    "text": COLOUR,
    "font": {"type": "string", "enum": sorted(FONTS)},
    "qr_url": {"type": ["string", "null"], "maxLength": MAX_WEBSITE},
    **{
        name: {"type": ["string", "null"], "maxLength": MAX_FIELD_LENGTH} for name in PROFILE_FIELDS
    },
}
assert set(PROFILE_FIELDS_SCHEMA) == set(PROFILE_KEYS)  # noqa: S101 - one list of fields
PROFILE = json_reply(200, "The profile's current version", ref("Profile"), "ETag")
SIDE = {"type": "integer", "minimum": MIN_SIDE_PX, "maximum": MAX_SIDE_PX}
PRESET_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "width": SIDE,
    "height": SIDE,
    "dpi": {"type": "integer", "minimum": 72, "maximum": 1200},
    "byte_budget": {"type": ["integer", "null"], "minimum": 10_000, "maximum": 100_000_000},
    "safe_area": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0},
        "minItems": 4,
        "maxItems": 4,
        "description": "top, right, bottom, left in px",
    },
    "formats": {"type": "array", "items": {"type": "string", "enum": list(OUTPUT_FORMATS)}},
    "default_format": {"type": "string", "enum": list(OUTPUT_FORMATS)},
    "max_upscale": {"type": "number", "minimum": 1, "maximum": 4},
    "channel": {"type": "string", "enum": ["web", "social", "print"]},
    "is_active": BOOL,
}
assert set(PRESET_FIELDS) == set(presets.EDITABLE)  # noqa: S101 - one list of fields
PRESET_KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$"}
TEMPLATE = json_reply(
    200,
    "The template",
    obj(
        ("template",),
        template={"oneOf": [ref("Template"), {"type": "null"}]},
        default={"type": "object"},
    ),
)


@requires(Policy.SIGNED_IN)
@operation(
    "A library's branding profiles, and the fonts to choose from",
    json_reply(200, "Profiles", listing("profiles", ref("Profile"), fonts={"type": "array"})),
)
async def list_profiles(request: Request) -> Response:
    principal = require_principal(request)
    library = await branding.library_for(principal, request.path_params["slug"])
    views = await branding.list_profiles(principal, library)
    return JSONResponse({"profiles": [profile_json(v) for v in views], "fonts": sorted(FONTS)})


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Create a branding profile",
    json_reply(201, "The profile", ref("Profile")),
    body=JsonBody(obj(("name",), **PROFILE_FIELDS_SCHEMA)),
)
async def create_profile(request: Request) -> Response:
    principal = require_principal(request)
    library = await branding.library_for(principal, request.path_params["slug"])
    data = body_of(request)
    view = await branding.create_profile(principal, library, data, ip=client_ip(request))
    return JSONResponse(profile_json(view), status_code=201)


@requires(Policy.SIGNED_IN)
@operation("One branding profile", PROFILE)
async def get_profile(request: Request) -> Response:
    view = await branding.profile_for(require_principal(request), request.path_params["profile_id"])
    return JSONResponse(profile_json(view), headers={"ETag": f'"v{view.version.number}"'})


def _expected(request: Request, data: dict[str, Any]) -> int | None:
    header = request.headers.get("if-match", "").strip().strip('"')
    if header.startswith("v") and header[1:].isdigit() and len(header) <= ID_DIGITS:
        return int(header[1:])
    version = data.pop("version", None)
    return version if isinstance(version, int) and not isinstance(version, bool) else None


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Change a branding profile (a new version)",
    PROFILE,
    params=[IF_MATCH_VERSION],
    body=JsonBody(obj(**PROFILE_FIELDS_SCHEMA, version=ID_SCHEMA)),
    errors=[409],
)
async def update_profile(request: Request) -> Response:
    data = body_of(request)
    expected = _expected(request, data)
    view = await branding.update_profile(
        require_principal(request),
        request.path_params["profile_id"],
        data,
        expected_version=expected,
        ip=client_ip(request),
    )
    return JSONResponse(profile_json(view), headers={"ETag": f'"v{view.version.number}"'})


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Delete a branding profile",
    json_reply(200, "Deleted", obj(("deleted",), deleted={"type": "integer"})),
    errors=[409],
)
async def delete_profile(request: Request) -> Response:
    await branding.delete_profile(
        require_principal(request), request.path_params["profile_id"], ip=client_ip(request)
    )
    return JSONResponse({"deleted": request.path_params["profile_id"]})


@requires(Policy.LIBRARY_ADMIN, csrf_in_multipart=True)
@operation(
    "Replace the profile's logo (PNG, JPEG or WebP, at most 4096 px)",
    json_reply(200, "The profile", ref("Profile")),
    body=Multipart(obj(("file",), file=FILE, csrf_token=TEXT)),
)
async def put_logo(request: Request) -> Response:
    """A new logo: validated like any image (PNG, JPEG or WebP, still, ≤ 4096 px)."""
    principal = require_principal(request)
    profile_id = request.path_params["profile_id"]
    await branding.profile_for(principal, profile_id, edit=True)  # 404/403 before reading
    form = await read_upload(request)
    try:
        files = [f for f in form.files if f.field_name == "file"]
        if len(files) != 1:
            raise Unprocessable("Send the logo in the 'file' field.")
        key, sha = await logos.store_logo(backends_of(request), files[0])
    finally:
        form.close()
    view = await branding.update_profile(
        principal, profile_id, {}, expected_version=None, logo=(key, sha), ip=client_ip(request)
    )
    return JSONResponse(profile_json(view))


@requires(Policy.SIGNED_IN)
@operation("The profile's logo", binary_reply("The logo", "image/png"))
async def get_logo(request: Request) -> Response:
    from assets_hub.responses import inline_image

    view = await branding.profile_for(require_principal(request), request.path_params["profile_id"])
    if not view.version.logo_key:
        raise NotFound("This profile has no logo.")
    return await inline_image(
        backends_of(request).storage, view.version.logo_key, content_type="image/png"
    )


def preset_json(row: Preset) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "width": row.width,
        "height": row.height,
        "dpi": row.dpi,
        "byte_budget": row.byte_budget,
        "safe_area": row.safe_area,
        "formats": row.formats,
        "default_format": row.default_format,
        "channel": row.channel,
        "max_upscale": row.max_upscale,
        "version": row.version,
        "is_active": row.is_active,
    }


@requires(Policy.SIGNED_IN)
@operation(
    "Output sizes to render", json_reply(200, "Active presets", listing("presets", ref("Preset")))
)
async def list_presets(request: Request) -> Response:
    rows = await Preset.filter(is_active=True).order_by("id")
    return JSONResponse({"presets": [preset_json(r) for r in rows]})


@requires(Policy.ADMIN)
@operation(
    "Add an output size",
    json_reply(201, "The preset", ref("Preset")),
    body=JsonBody(obj(("key", "width", "height"), key=PRESET_KEY, **PRESET_FIELDS)),
)
async def create_preset(request: Request) -> Response:
    data = body_of(request)
    row = await presets.save_preset(data, actor=await acting_user(request))
    return JSONResponse(preset_json(row), status_code=201)


@requires(Policy.ADMIN)
@operation(
    "Change an output size (a new version)",
    json_reply(200, "The preset", ref("Preset")),
    body=JsonBody(obj(**PRESET_FIELDS)),
    errors=[409],
)
async def update_preset(request: Request) -> Response:
    data = body_of(request)
    row = await presets.save_preset(
        data, existing=request.path_params["key"], actor=await acting_user(request)
    )
    return JSONResponse(preset_json(row))


async def _template_json(template: OverlayTemplate) -> dict[str, Any]:
    version = await OverlayTemplateVersion.get(template=template, number=template.current_version)
    return {
        "key": template.key,
        "name": template.name,
        "version": version.number,
        "document": version.document,
    }


@requires(Policy.EDITOR)
@operation(
    "Overlay templates, and the default one",
    json_reply(200, "Templates", listing("templates", ref("Template"), default={"type": "object"})),
)
async def list_templates(request: Request) -> Response:
    templates = [await _template_json(t) for t in await OverlayTemplate.all()]
    return JSONResponse({"templates": templates, "default": DEFAULT_TEMPLATE_DOCUMENT})


@requires(Policy.EDITOR)
@operation(
    "Create an overlay template, or a new version of one",
    json_reply(201, "The template", ref("Template")),
    body=JsonBody(
        obj(
            ("key", "document"),
            key={"type": "string", "maxLength": 60},
            name={"type": "string", "maxLength": 100},
            document={"type": "object"},
        )
    ),
)
async def save_template(request: Request) -> Response:
    """Create a template, or a new version of the one with this key."""
    data = body_of(request)
    template = await overlay_templates.save_template(
        str(data.get("key", "")),
        str(data.get("name", "")),
        data.get("document"),
        actor=await acting_user(request),
    )
    return JSONResponse(await _template_json(template), status_code=201)


@requires(Policy.EDITOR)
@operation("The overlay template an asset uses", TEMPLATE)
async def get_asset_template(request: Request) -> Response:
    asset = await editable_asset(request.path_params["asset_id"])
    template = await overlay_templates.template_of(asset)
    if template is None:
        return JSONResponse({"template": None, "default": DEFAULT_TEMPLATE_DOCUMENT})
    return JSONResponse({"template": await _template_json(template)})


@requires(Policy.EDITOR)
@operation(
    "Choose an asset's overlay template (null: the default)",
    TEMPLATE,
    body=JsonBody(obj(template={"type": ["string", "null"], "maxLength": 60})),
)
async def put_asset_template(request: Request) -> Response:
    """{"template": "key"} chooses a template for the asset; {"template": null} the default."""
    data = body_of(request)
    asset = await editable_asset(request.path_params["asset_id"])
    key = data.get("template")
    await overlay_templates.choose_for_asset(
        asset, None if key is None else str(key), actor=await acting_user(request)
    )
    template = await overlay_templates.template_of(asset)
    return JSONResponse({"template": await _template_json(template) if template else None})
