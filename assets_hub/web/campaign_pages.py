"""Campaign pages, the social post grab page and the pack download form.

Everything works without JavaScript: platform tabs are links (``?platform=`` selects one),
the caption and alt text sit in read-only text areas people can select, and downloads are
plain links to the API (which checks access again and records downloads). The pack form is a
GET to :func:`campaign_pack`, which turns its checkboxes into the pack API's comma-separated
``presets`` and redirects there. ``static/js/copy.js`` only adds the copy buttons.

Pages embedding render links are ``Cache-Control: private, no-store`` (DL-07).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.functions import Count

from assets_hub.api.assets import viewer_for
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.auth.principal import Principal
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.models import Asset, AssetVersion, Campaign, Library, Preset, SocialPost
from assets_hub.services import assets as asset_service
from assets_hub.services import branding, posts, prerender
from assets_hub.services.branding import ProfileView
from assets_hub.services.posts import FilledPost, platform_rules
from assets_hub.web.customise_pages import NO_STORE
from assets_hub.web.templating import templates

MAX_CAMPAIGN_ITEMS = 200
MAX_STAFF_PROFILES = 100
DEFAULT_PLATFORM = "instagram"
PREVIEW_WIDTH = 600
NOT_LIBRARY_STAFF = (
    "Your account does not belong to a library, so there is no branding of your own. "
    "To preview, choose a library's branding profile."
)


@dataclass(frozen=True)
class ProfileChoice:
    """One branding profile the caller may use, as a form option."""

    id: int
    label: str
    is_default: bool


@dataclass(frozen=True)
class CampaignItem:
    """One usable asset or post of a campaign, as the campaign page lists it."""

    asset: Asset
    is_post: bool
    has_thumbnail: bool


@dataclass(frozen=True)
class PostImageView:
    """One image of a filled post: preview, download and its alt text."""

    number: int
    title: str
    alt_text: str | None
    decorative: bool
    preview_url: str
    download_url: str
    width: int
    height: int


@dataclass(frozen=True)
class Problem:
    """A limit the filled post breaks (shown as a warning, never cut)."""

    message: str
    overflow: int


@dataclass(frozen=True)
class Tab:
    """One platform tab (a link; the selected one is the page's current state)."""

    key: str
    label: str
    href: str
    selected: bool


# ---- helpers ----------------------------------------------------------------------------


async def profile_choices(principal: Principal) -> list[ProfileChoice]:
    """Library staff: their library's profiles. Editors and admins: every library's (to
    preview), labelled with the library's name."""
    if principal.library_id is not None and not principal.is_staff:
        library = await Library.get(id=principal.library_id)
        views = await branding.list_profiles(principal, library)
        return [ProfileChoice(v.profile.id, v.profile.name, v.profile.is_default) for v in views]
    if not principal.is_staff:
        return []
    choices: list[ProfileChoice] = []
    for library in await Library.all().order_by("name").limit(MAX_STAFF_PROFILES):
        for view in await branding.list_profiles(principal, library):
            label = f"{library.name}: {view.profile.name}"
            choices.append(ProfileChoice(view.profile.id, label, False))
    return choices


def chosen_profile(params: QueryParams, choices: list[ProfileChoice]) -> tuple[int | None, str]:
    """The ``?profile=`` among the caller's choices, else the default; and an error message."""
    raw = params.get("profile", "")
    offered = {c.id for c in choices}
    if raw:
        if raw.isdigit() and int(raw) in offered:
            return int(raw), ""
        return None, "Choose a branding profile in the list"
    default = next((c.id for c in choices if c.is_default), None)
    return default, ""


async def profile_values(principal: Principal, profile_id: int) -> dict[str, str]:
    """The profile's current values (library name, website…) that fill captions."""
    view: ProfileView = await branding.profile_for(principal, profile_id)
    return {str(k): str(v) for k, v in dict(view.version.values).items()}


def _is_library_staff(principal: Principal) -> bool:
    return principal.library_id is not None and not principal.is_staff


def _page(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status, headers=NO_STORE)


async def _campaign(slug: str) -> Campaign:
    campaign = await Campaign.get_or_none(slug=slug)
    if campaign is None:
        raise NotFound("No campaign with that address.")
    return campaign


# ---- campaigns --------------------------------------------------------------------------


@requires(Policy.SIGNED_IN)
async def campaigns_list(request: Request) -> Response:
    """Every campaign, with how many usable items each has for the caller."""
    viewer = viewer_for(request)
    campaigns = await Campaign.all().order_by("name")
    rows = (
        await Asset.filter(viewer.asset_filter(), campaign_id__isnull=False)
        .annotate(n=Count("id"))
        .group_by("campaign_id")
        .values_list("campaign_id", "n")
    )  # one query, not one per campaign
    counts = {campaign_id: int(n) for campaign_id, n in rows}
    return _page(request, "campaigns/list.html", {"campaigns": campaigns, "counts": counts})


async def campaign_items(campaign: Campaign, request: Request) -> list[CampaignItem]:
    """The campaign's assets the caller may see (newest versions' thumbnails known)."""
    viewer = viewer_for(request)
    assets = (
        await Asset.filter(viewer.asset_filter(), campaign=campaign)
        .order_by("title")
        .limit(MAX_CAMPAIGN_ITEMS)
    )
    ids = [a.id for a in assets]
    post_ids = set(await SocialPost.filter(asset_id__in=ids).values_list("asset_id", flat=True))
    thumbs: dict[object, bool] = {}
    for asset_id, key in (
        await AssetVersion.filter(asset_id__in=ids)
        .order_by("number")
        .values_list("asset_id", "thumbnail_key")
    ):
        thumbs[asset_id] = bool(key)  # the highest number (current version) wins
    return [CampaignItem(a, a.id in post_ids, thumbs.get(a.id, False)) for a in assets]


async def _campaign_page(
    request: Request,
    campaign: Campaign,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    principal = require_principal(request)
    choices = await profile_choices(principal)
    params = request.query_params
    profile, _ = chosen_profile(params, choices)
    presets = await Preset.filter(is_active=True).order_by("id")
    picked = set(params.getlist("preset")) or ({presets[0].key} if presets else set())
    items = await campaign_items(campaign, request)
    # Editors see how warm the launch is (pre-rendered of due); others never need it.
    readiness = await prerender.readiness(campaign.id) if principal.is_staff else None
    return _page(
        request,
        "campaigns/campaign.html",
        {
            "campaign": campaign,
            "assets": [i for i in items if not i.is_post],
            "posts": [i for i in items if i.is_post],
            "profiles": choices,
            "profile": profile,
            "presets": presets,
            "picked": picked,
            "library_staff": _is_library_staff(principal),
            "not_library_staff": NOT_LIBRARY_STAFF,
            "errors": errors or {},
            "readiness": readiness,
        },
        status,
    )


@requires(Policy.SIGNED_IN)
async def campaign_page(request: Request) -> Response:
    """A campaign: its usable assets, its posts and the pack download form."""
    campaign = await _campaign(request.path_params["slug"])
    return await _campaign_page(request, campaign)


def pack_url(slug: str, profile: int, presets: list[str]) -> str:
    """The pack API's URL (its ``presets`` is one comma-separated value)."""
    query = urlencode({"profile": str(profile), "presets": ",".join(presets)})
    return f"/api/v1/campaigns/{slug}/pack.zip?{query}"


@requires(Policy.SIGNED_IN)
async def campaign_pack(request: Request) -> Response:
    """GET (the pack form): check the choices, then redirect to the pack API's zip."""
    principal = require_principal(request)
    campaign = await _campaign(request.path_params["slug"])
    choices = await profile_choices(principal)
    profile, profile_error = chosen_profile(request.query_params, choices)
    keys = {str(k) for k in await Preset.filter(is_active=True).values_list("key", flat=True)}
    wanted = [k for k in dict.fromkeys(request.query_params.getlist("preset")) if k]
    errors: dict[str, str] = {}
    if profile is None:
        errors["profile"] = profile_error or "Choose a branding profile"
    if not wanted:
        errors["preset"] = "Select at least one size"
    elif any(k not in keys for k in wanted) or len(wanted) > 12:
        errors["preset"] = "Choose up to 12 sizes from the list"
    if errors or profile is None:
        return await _campaign_page(request, campaign, errors=errors, status=400)
    return RedirectResponse(pack_url(campaign.slug, profile, wanted), status_code=303)


# ---- the grab page ----------------------------------------------------------------------


def _tabs(asset_id: str, platform: str, profile: int | None) -> list[Tab]:
    def href(key: str) -> str:
        pairs = [("platform", key)] + ([("profile", str(profile))] if profile else [])
        return f"/posts/{asset_id}?{urlencode(pairs)}"

    return [Tab(k, p.label, href(k), k == platform) for k, p in platform_rules().items()]


async def _image_views(filled: FilledPost, profile: int) -> list[PostImageView]:
    preset = await Preset.get_or_none(key=filled.platform.preset)
    width, height = (preset.width, preset.height) if preset else (1080, 1080)
    query = urlencode({"preset": filled.platform.preset, "profile": str(profile)})
    shown_h = round(PREVIEW_WIDTH * height / width)
    return [
        PostImageView(
            n,
            image.asset.title,
            image.alt_text,
            image.decorative,
            f"/api/v1/assets/{image.asset.id}/render/preview?{query}",
            f"/api/v1/assets/{image.asset.id}/render?{query}",
            PREVIEW_WIDTH,
            shown_h,
        )
        for n, image in enumerate(filled.images, start=1)
    ]


@requires(Policy.SIGNED_IN)
async def post_page(request: Request) -> Response:
    """One post for one platform: image, filled caption and alt text, copy and download."""
    principal = require_principal(request)
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    if not await SocialPost.exists(asset=asset):
        raise NotFound("This asset is not a social post.")
    platform = request.query_params.get("platform", DEFAULT_PLATFORM)
    if platform not in platform_rules():
        raise NotFound(f"No platform called that; choose one of {', '.join(platform_rules())}.")
    choices = await profile_choices(principal)
    profile, profile_error = chosen_profile(request.query_params, choices)
    filled = None
    fill_error = ""
    if profile is not None:
        try:
            values = await profile_values(principal, profile)
            filled = await posts.fill_post(asset, platform, values, viewer)
        except Unprocessable as exc:
            fill_error = exc.message
    errors = {"profile": profile_error} if profile_error else {}
    context: dict[str, object] = {
        "asset": asset,
        "tabs": _tabs(str(asset.id), platform, profile),
        "rules": platform_rules()[platform],
        "profiles": choices,
        "profile": profile,
        "library_staff": _is_library_staff(principal),
        "not_library_staff": NOT_LIBRARY_STAFF,
        "errors": errors,
        "fill_error": fill_error,
        "filled": filled,
        "caption_length": filled.platform.length(filled.caption) if filled else 0,
        "problems": [
            Problem(c.message(filled.platform.label), c.overflow) for c in filled.report.problems
        ]
        if filled
        else [],
        "alt_missing": [i + 1 for i in filled.report.missing_alt_text] if filled else [],
        "images": await _image_views(filled, profile) if filled and profile else [],
        "zip_url": f"/api/v1/posts/{asset.id}/grab.zip?"
        + urlencode({"platform": platform, "profile": str(profile)})
        if profile
        else "",
    }
    status = 400 if errors else 422 if fill_error else 200
    return _page(request, "posts/grab.html", context, status)
