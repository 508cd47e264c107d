"""Social posts, campaign packs and feeds over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from assets_hub.api.asset_edits import expected_revision
from assets_hub.api.assets import acting_user, asset_body, backends_of, viewer_for
from assets_hub.api.operations import JsonBody, Param, Reply, args_of, body_of, operation
from assets_hub.api.schemas import (
    FIELDS,
    IF_MATCH_REVISION,
    METADATA,
    REQUIRED_PROFILE,
    REVISION,
    TEXT,
    WHEN,
    binary_reply,
    json_reply,
    obj,
    pick,
    ref,
    words,
)
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.auth.principal import Principal
from assets_hub.backends import Backends
from assets_hub.errors import BadRequest, NotFound
from assets_hub.media.disposition import content_disposition
from assets_hub.models import Campaign
from assets_hub.services import assets as asset_service
from assets_hub.services import ingest, lifecycle, pack_jobs, posts, rendering
from assets_hub.services.branding import profile_for
from assets_hub.services.metadata import licence_needs_credit
from assets_hub.services.rendering import RenderAsk
from assets_hub.social.packs import PackAborted, build_campaign_pack, stream_pack
from assets_hub.social.packtext import PackFile, PackImage, PackPost

_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
POST_FIELDS = {
    "captions": {
        "type": "object",
        "additionalProperties": {"type": "string", "maxLength": 5000},
        "description": 'Caption templates by platform; "default" for the rest',
    },
    "hashtags": words(100, 30),
    "link": {"type": ["string", "null"], "maxLength": 2048},
    "images": {
        "type": "array",
        "maxItems": posts.MAX_IMAGES,
        "items": {"type": "object", "description": '{"asset_id": …, "alt_text": …}'},
    },
    "window_start": WHEN,
    "window_end": WHEN,
}
PLATFORM = Param("platform", {"type": "string", "maxLength": 40}, "instagram (default), x, …")
ZIP = binary_reply("A zip, streamed", "application/zip", "Content-Disposition")


@requires(Policy.EDITOR)
@operation(
    "Create a social post",
    json_reply(201, "The post's asset", ref("Asset")),
    body=JsonBody(obj(("title", "captions"), **POST_FIELDS, **pick(METADATA, posts.META_KEYS))),
)
async def create_post(request: Request) -> Response:
    data = body_of(request)
    asset = await posts.create_post(data, await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await asset_body(asset.id, viewer_for(request)), status_code=201)


@requires(Policy.EDITOR)
@operation(
    "Change a social post",
    json_reply(200, "The post's asset", ref("Asset")),
    params=[IF_MATCH_REVISION],
    body=JsonBody(obj(**POST_FIELDS, revision=REVISION)),
)
async def update_post(request: Request) -> Response:
    data = body_of(request)
    expected = expected_revision(request, data)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    asset = await posts.update_post(asset, data, await acting_user(request), expected)
    return JSONResponse(await asset_body(asset.id, viewer_for(request)))


async def _profile_values(principal: Principal, request: Request) -> tuple[int, dict[str, str]]:
    args = args_of(request)
    view = await profile_for(principal, args["profile"])  # another library's profile: 404
    values = dict(view.version.values)
    values.update(_local_fields(args))
    return view.profile.id, values


@requires(Policy.SIGNED_IN)
@operation(
    "A post for one platform, caption and alt text filled for the library",
    json_reply(200, "The filled post", obj(("id", "caption", "images"), id=TEXT, caption=TEXT)),
    params=[REQUIRED_PROFILE, PLATFORM, *FIELDS],
    errors=[422],  # an unknown platform, or a field the post needs that the profile lacks
)
async def grab_post(request: Request) -> Response:
    """The post for one platform: caption and alt text filled for the library, limits checked."""
    principal = require_principal(request)
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    profile_id, values = await _profile_values(principal, request)
    platform = args_of(request).get("platform", "instagram")
    filled = await posts.fill_post(asset, platform, values, viewer)
    preset = filled.platform.preset
    query = f"preset={preset}&profile={profile_id}"
    return JSONResponse(
        {
            "id": str(asset.id),
            "title": asset.title,
            "platform": {
                "key": filled.platform.key,
                "label": filled.platform.label,
                "caption_max": filled.platform.caption_max,
                "preset": preset,
            },
            "caption": filled.caption,
            "caption_length": filled.platform.length(filled.caption),
            "hashtags": filled.hashtags,
            "link": filled.post.link,
            "window": {
                "start": _iso(filled.post.window_start),
                "end": _iso(filled.post.window_end),
            },
            "images": [
                {
                    "asset_id": str(i.asset.id),
                    "title": i.asset.title,
                    "alt_text": i.alt_text,
                    "decorative": i.decorative,
                    "preview": f"/api/v1/assets/{i.asset.id}/render/preview?{query}",
                    "download": f"/api/v1/assets/{i.asset.id}/render?{query}",
                }
                for i in filled.images
            ],
            "limits": {
                "ok": filled.report.ok,
                "problems": filled.report.messages(filled.platform.label),
            },
            "links": {
                "zip": f"/api/v1/posts/{asset.id}/grab.zip?platform={filled.platform.key}"
                f"&profile={profile_id}"
            },
        }
    )


def _local_fields(args: dict[str, Any]) -> dict[str, str]:
    return {
        name[len("field.") :]: value for name, value in args.items() if name.startswith("field.")
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _rendition_source(
    backends: Backends,
    principal: Principal,
    asset_id: str,
    preset: str,
    profile_id: int,
    names: dict[int, str],
) -> Callable[[], AsyncIterator[bytes]]:
    """Rendered lazily while the zip streams: memory stays flat, nothing is built up front.
    Recorded under its path in the zip (``names``), so a takedown notice names it as saved."""

    async def chunks() -> AsyncIterator[bytes]:
        ask = RenderAsk(asset_id, preset, profile_id, allow_smaller=True)
        prepared = await rendering.prepare(backends, principal, ask)
        rendition = await rendering.get_or_render(backends, prepared)
        await rendering.record(
            principal, prepared, library_id=principal.library_id, filename=names.get(id(chunks))
        )
        async for chunk in backends.storage.read(rendition.storage_key):
            yield chunk

    return chunks


def _zip_response(plan: Any, filename: str) -> Response:
    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in stream_pack(plan):
                yield chunk
        except PackAborted:
            # Headers are gone: the only honest signal left is to break the connection,
            # so the client sees a failed download, never a short zip with a clean end.
            raise

    headers = {"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"}
    if plan.archive_size is not None:
        headers["Content-Length"] = str(plan.archive_size)
    return StreamingResponse(body(), media_type="application/zip", headers=headers)


@requires(Policy.SIGNED_IN)
@operation(
    "Everything for one post on one platform, as a zip",
    ZIP,
    params=[REQUIRED_PROFILE, PLATFORM, *FIELDS],
    errors=[422, 429],
)
async def grab_zip(request: Request) -> Response:
    """Everything for one post on one platform: the branded images and the filled texts."""
    backends = backends_of(request)
    principal = require_principal(request)
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    profile_id, values = await _profile_values(principal, request)
    filled = await posts.fill_post(
        asset, args_of(request).get("platform", "instagram"), values, viewer
    )
    preset = filled.platform.preset
    names: dict[int, str] = {}
    images = [
        PackImage(
            i.asset.title,
            [
                PackFile(
                    preset,
                    "jpg",
                    _rendition_source(
                        backends, principal, str(i.asset.id), preset, profile_id, names
                    ),
                )
            ],
            alt_text=i.alt_text,
            decorative=i.decorative,
            credit=i.asset.credit if licence_needs_credit(i.asset.licence) else None,
        )
        for i in filled.images
    ]
    plan = build_campaign_pack(
        asset.campaign.name if asset.campaign else "assets hub",
        values.get("library_name", ""),
        posts=[PackPost(asset.title, {filled.platform.label: filled.caption}, images)],
    )
    names.update({id(p.entry.source): p.path for p in plan.entries})
    return _zip_response(plan, f"{asset.title[:60]}-{filled.platform.key}.zip")


@requires(Policy.SIGNED_IN)
@operation(
    "A campaign's pack, branded for the library",
    ZIP,
    Reply(202, "Built in the background: the job", ref("PackJob"), headers=("Location",)),
    Reply(303, "For a browser: to the job's status page", headers=("Location",)),
    params=[
        REQUIRED_PROFILE,
        Param("presets", {"type": "string", "maxLength": 600}, "Preset keys, comma separated"),
        *FIELDS,
        Param("Accept", {"type": "string"}, "text/html: 303 to the status page", where="header"),
    ],
    errors=[409, 413, 422, 429],
)
async def campaign_pack(request: Request) -> Response:
    """Every usable asset and post of a campaign, branded for the library, in chosen sizes.

    Small packs stream at once; over ``pack_sync_max_renditions`` images the pack is built in
    the background: 202 with the job's status page and API address (and a Location header),
    or, for a browser (Accept: text/html), 303 to the status page.
    """
    backends = backends_of(request)
    settings = backends.settings
    principal = require_principal(request)
    viewer = viewer_for(request)
    campaign = await Campaign.get_or_none(slug=request.path_params["slug"])
    if campaign is None:
        raise NotFound("No campaign with that slug.")
    profile_id, values = await _profile_values(principal, request)
    presets = [p for p in args_of(request).get("presets", "instagram-square").split(",") if p]
    if not 1 <= len(presets) <= 12:
        raise BadRequest("presets: one to twelve preset keys, comma separated")
    pack = await pack_jobs.plan_campaign_pack(
        backends,
        principal,
        viewer,
        campaign,
        profile_id,
        values,
        presets,
        max_renditions=settings.pack_max_renditions,
    )
    if pack.renditions <= settings.pack_sync_max_renditions:
        return _zip_response(pack.plan, pack_jobs.filename(campaign))
    local_fields = _local_fields(args_of(request))
    job = await pack_jobs.enqueue(
        backends, principal, campaign, profile_id, presets, local_fields, pack.renditions
    )
    links = pack_jobs.links(job)
    if "text/html" in request.headers.get("accept", ""):
        # A browser following the campaign page's pack form: to the status page, not JSON.
        return RedirectResponse(links["status_url"], status_code=303)
    return JSONResponse(
        {
            "id": str(job.id),
            "status": job.status.value,
            "status_url": links["status_url"],
            "api": links["api"],
            "progress": {"done": job.done, "total": job.total},
        },
        status_code=202,
        headers={"Location": links["status_url"], "Cache-Control": "no-store"},
    )
