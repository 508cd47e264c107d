"""Social posts, campaign packs and feeds over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from assets_hub.api.asset_edits import expected_revision
from assets_hub.api.assets import acting_user, asset_body, backends_of, viewer_for
from assets_hub.api.bodies import read_json_object
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


@requires(Policy.EDITOR)
async def create_post(request: Request) -> Response:
    data = await read_json_object(request, allowed=(*posts.POST_KEYS, *posts.META_KEYS))
    asset = await posts.create_post(data, await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return JSONResponse(await asset_body(asset.id, viewer_for(request)), status_code=201)


@requires(Policy.EDITOR)
async def update_post(request: Request) -> Response:
    data = await read_json_object(request, allowed=(*posts.POST_KEYS, "revision"))
    expected = expected_revision(request, data)
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    asset = await posts.update_post(asset, data, await acting_user(request), expected)
    return JSONResponse(await asset_body(asset.id, viewer_for(request)))


async def _profile_values(principal: Principal, request: Request) -> tuple[int, dict[str, str]]:
    raw = request.query_params.get("profile")
    if not raw or not raw.isdigit():
        raise BadRequest("Say whose post this is: profile=<your branding profile id>.")
    view = await profile_for(principal, int(raw))  # another library's profile: 404
    values = dict(view.version.values)
    for name, value in request.query_params.multi_items():
        if name.startswith("field."):
            values[name[len("field.") :]] = value[:200]
    return view.profile.id, values


@requires(Policy.SIGNED_IN)
async def grab_post(request: Request) -> Response:
    """The post for one platform: caption and alt text filled for the library, limits checked."""
    principal = require_principal(request)
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    profile_id, values = await _profile_values(principal, request)
    platform = request.query_params.get("platform", "instagram")
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _rendition_source(
    backends: Backends, principal: Principal, asset_id: str, preset: str, profile_id: int
) -> Callable[[], AsyncIterator[bytes]]:
    """Rendered lazily while the zip streams: memory stays flat, nothing is built up front."""

    async def chunks() -> AsyncIterator[bytes]:
        ask = RenderAsk(asset_id, preset, profile_id, allow_smaller=True)
        prepared = await rendering.prepare(backends, principal, ask)
        rendition = await rendering.get_or_render(backends, prepared)
        await rendering.record(principal, prepared, library_id=principal.library_id)
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
async def grab_zip(request: Request) -> Response:
    """Everything for one post on one platform: the branded images and the filled texts."""
    backends = backends_of(request)
    principal = require_principal(request)
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    profile_id, values = await _profile_values(principal, request)
    filled = await posts.fill_post(
        asset, request.query_params.get("platform", "instagram"), values, viewer
    )
    preset = filled.platform.preset
    images = [
        PackImage(
            i.asset.title,
            [
                PackFile(
                    preset,
                    "jpg",
                    _rendition_source(backends, principal, str(i.asset.id), preset, profile_id),
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
    return _zip_response(plan, f"{asset.title[:60]}-{filled.platform.key}.zip")


@requires(Policy.SIGNED_IN)
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
    presets = [p for p in request.query_params.get("presets", "instagram-square").split(",") if p]
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
    local_fields = {
        name[len("field.") :]: value[:200]
        for name, value in request.query_params.multi_items()
        if name.startswith("field.")
    }
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
