"""Campaign packs built in the background: their status and, once ready, the download."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.assets import backends_of
from assets_hub.api.operations import operation
from assets_hub.api.schemas import binary_reply, json_reply, ref
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.errors import AppError, Conflict
from assets_hub.models import Campaign, PackStatus
from assets_hub.responses import file_download
from assets_hub.services import pack_jobs

GONE = 410


@requires(Policy.SIGNED_IN)
@operation("A background pack's status and progress", json_reply(200, "The job", ref("PackJob")))
async def pack_job(request: Request) -> Response:
    """Status and progress (the requesting library's staff, editors and admins; others 404)."""
    job = await pack_jobs.job_for(require_principal(request), request.path_params["job_id"])
    campaign = await Campaign.get(id=job.campaign_id)
    return JSONResponse(pack_jobs.describe(job, campaign), headers={"Cache-Control": "no-store"})


@requires(Policy.SIGNED_IN)
@operation(
    "A background pack's zip, once ready",
    binary_reply("The zip", "application/zip", "Content-Disposition"),
    errors=[409, 410],
)
async def pack_job_download(request: Request) -> Response:
    """The built zip: 409 while it is not ready, 410 once it has expired."""
    job = await pack_jobs.job_for(require_principal(request), request.path_params["job_id"])
    if job.status is not PackStatus.READY or not job.storage_key:
        raise Conflict(f"The pack is not ready to download (it is {job.status.value}).")
    if pack_jobs.is_expired(job):
        raise AppError(
            "This pack has expired and was removed; ask for the campaign pack again.",
            status_code=GONE,
        )
    campaign = await Campaign.get(id=job.campaign_id)
    return await file_download(
        backends_of(request).storage,
        job.storage_key,
        filename=pack_jobs.filename(campaign),
        content_type="application/zip",
        size=job.size,
    )
