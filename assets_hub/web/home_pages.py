"""The home page: what needs attention for the signed-in person.

Library staff see their library's latest campaigns (campaigns with recently published
assets), open takedown notices and recent downloads. Editors and admins see items awaiting
review, consents and licences expiring in the next 30 days, and the newest uploads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from tortoise.expressions import Q

from assets_hub.api.assets import viewer_for
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.auth.principal import Principal
from assets_hub.models import Asset, Campaign, Library, Status, TakedownNotice
from assets_hub.services.downloads import download_history
from assets_hub.services.visibility import utcnow
from assets_hub.web.customise_pages import NO_STORE
from assets_hub.web.templating import templates

RECENT = 5
LATEST_CAMPAIGNS = 5
EXPIRY_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class LatestCampaign:
    """A campaign with something published lately."""

    campaign: Campaign
    published_at: object


async def latest_campaigns(request: Request) -> list[LatestCampaign]:
    """Campaigns ordered by their most recently published usable asset."""
    rows = (
        await Asset.filter(viewer_for(request).asset_filter(), campaign_id__isnull=False)
        .order_by("-published_at", "-created_at")
        .limit(200)
        .values_list("campaign_id", "published_at")
    )
    newest: dict[int, object] = {}
    for campaign_id, published in rows:
        if campaign_id not in newest:
            newest[campaign_id] = published
        if len(newest) >= LATEST_CAMPAIGNS:
            break
    campaigns = {c.id: c for c in await Campaign.filter(id__in=list(newest))}
    return [LatestCampaign(campaigns[i], at) for i, at in newest.items() if i in campaigns]


async def _library_context(request: Request, principal: Principal) -> dict[str, object]:
    library = await Library.get(id=principal.library_id)
    return {
        "library": library,
        "campaigns": await latest_campaigns(request),
        "notice_count": await TakedownNotice.filter(library=library, done_at=None).count(),
        "history": await download_history(library, 1, RECENT),
    }


async def _editor_context() -> dict[str, object]:
    now = utcnow()
    soon = now + EXPIRY_WINDOW
    live = Asset.filter(deleted_at__isnull=True)
    awaiting = live.filter(status__in=[Status.IN_REVIEW, Status.DRAFT])
    expiring = live.filter(
        Q(consent_expires_at__gt=now, consent_expires_at__lte=soon)
        | Q(licence_expires_at__gt=now, licence_expires_at__lte=soon)
    )
    return {
        "in_review_count": await live.filter(status=Status.IN_REVIEW).count(),
        "draft_count": await live.filter(status=Status.DRAFT).count(),
        "awaiting": await awaiting.order_by("-updated_at").limit(10),
        "expiring": await expiring.order_by("consent_expires_at", "licence_expires_at").limit(20),
        "newest": await live.order_by("-created_at").limit(RECENT),
        "window_days": EXPIRY_WINDOW.days,
    }


@requires(Policy.SIGNED_IN)
async def home_page(request: Request) -> Response:
    """Library staff: their library's news. Editors and admins: the work waiting for them."""
    principal = require_principal(request)
    library_staff = principal.library_id is not None and not principal.is_staff
    context: dict[str, object] = {"library_staff": library_staff}
    if library_staff:
        context |= await _library_context(request, principal)
    else:
        context |= await _editor_context()
    return templates.TemplateResponse(request, "home/home.html", context, headers=NO_STORE)
