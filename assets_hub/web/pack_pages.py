"""The status page of a campaign pack built in the background (/packs/{job_id}).

While the pack is queued or building the page reloads itself every few seconds with a
``<meta http-equiv="refresh">`` (no script); once ready it offers the download.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.models import Campaign, PackStatus, Preset
from assets_hub.services import pack_jobs
from assets_hub.web.customise_pages import NO_STORE
from assets_hub.web.templating import templates

REFRESH_S = 5


@requires(Policy.SIGNED_IN)
async def pack_status(request: Request) -> Response:
    """Status, progress and (when ready) the download button; same access rule as the API."""
    job = await pack_jobs.job_for(require_principal(request), request.path_params["job_id"])
    campaign = await Campaign.get(id=job.campaign_id)
    expired = job.status is PackStatus.READY and pack_jobs.is_expired(job)
    working = job.status in pack_jobs.ACTIVE
    names = dict(await Preset.filter(key__in=list(job.presets)).values_list("key", "name"))
    return templates.TemplateResponse(
        request,
        "packs/status.html",
        {
            "job": job,
            "campaign": campaign,
            "status": job.status.value,
            "sizes": [str(names.get(key, key)) for key in job.presets],
            "expired": expired,
            "refresh_s": REFRESH_S if working else None,
            "download_url": pack_jobs.links(job)["download"]
            if job.status is PackStatus.READY and not expired
            else None,
        },
        headers=NO_STORE,
    )
