"""Feed tokens (library admins) and the Atom / JSON feeds scheduling tools poll."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets_hub.api.accounts import client_ip
from assets_hub.api.assets import backends_of
from assets_hub.api.bodies import text_field
from assets_hub.api.operations import JsonBody, Reply, body_of, operation
from assets_hub.api.schemas import TEXT, json_reply, obj
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.auth.principal import Principal
from assets_hub.auth.secrets import digest, new_token
from assets_hub.auth.tokens import maker_still_entitled
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.ids import SLUG
from assets_hub.models import Asset, BrandingProfile, Campaign, FeedToken, Library, Role, SocialPost
from assets_hub.services import audit, posts, signed_links
from assets_hub.services.branding import profile_for
from assets_hub.services.visibility import Viewer, utcnow
from assets_hub.settings import Settings
from assets_hub.social.feeds import (
    ATOM_MEDIA_TYPE,
    JSON_FEED_MEDIA_TYPE,
    FeedImage,
    FeedInfo,
    FeedPost,
    atom_feed,
    json_feed,
)

FEED_LINK_LIFETIME_S = 30 * 24 * 3600  # image links outlive any scheduler's polling interval


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Create a feed address for a scheduling tool (its token is shown once)",
    json_reply(
        201,
        "The token and the feed addresses",
        obj(("id", "name", "token"), id={"type": "integer"}, name=TEXT, token=TEXT, atom=TEXT),
    ),
    body=JsonBody(obj(("name",), name={"type": "string", "minLength": 1, "maxLength": 100})),
)
async def create_feed_token(request: Request) -> Response:
    principal = require_principal(request)
    if principal.library_id is None:
        raise Unprocessable("Feeds belong to a library; admins create them as library staff.")
    data = body_of(request)
    name = (text_field(data, "name") or "").strip()
    if not name or len(name) > 100:
        raise Unprocessable("name: 1 to 100 characters, e.g. the scheduling tool")
    token = new_token("ahf_")
    settings: Settings = request.state.settings
    row = await FeedToken.create(
        library_id=principal.library_id,
        created_by_id=principal.user_id,
        name=name,
        token_hash=digest(token),
    )
    await audit.record(
        "feed_token_created",
        actor_email=principal.email,
        target_type="feed",
        target_id=row.id,
        library_id=principal.library_id,
        ip=client_ip(request),
    )
    return JSONResponse(
        {
            "id": row.id,
            "name": name,
            "token": token,
            "atom": settings.public_url(f"/feeds/{token}/CAMPAIGN.atom"),
            "json": settings.public_url(f"/feeds/{token}/CAMPAIGN.json"),
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@requires(Policy.LIBRARY_ADMIN)
@operation(
    "Revoke a feed token",
    json_reply(200, "Revoked", obj(("revoked",), revoked={"type": "integer"})),
)
async def revoke_feed_token(request: Request) -> Response:
    principal = require_principal(request)
    row = await FeedToken.get_or_none(
        id=request.path_params["token_id"], library_id=principal.library_id
    )
    if row is None:
        raise NotFound("No feed token with that id.")
    await FeedToken.filter(id=row.id).update(revoked_at=utcnow())
    await audit.record(
        "feed_token_revoked",
        actor_email=principal.email,
        target_type="feed",
        target_id=row.id,
        library_id=principal.library_id,
    )
    return JSONResponse({"revoked": row.id})


@requires(Policy.PUBLIC)
@operation(
    "A campaign's published posts as Atom (.atom) or JSON Feed (.json), for one library",
    Reply(200, "The Atom feed", {"type": "string"}, "application/atom+xml"),
    Reply(200, "The JSON feed", {"type": "object"}, "application/feed+json"),
    ignores_other_query=True,
)
async def campaign_feed(request: Request) -> Response:
    """/feeds/{token}/{campaign}.atom|.json: published posts, captions filled for the library."""
    token = request.path_params["token"]
    row = await FeedToken.get_or_none(token_hash=digest(token), revoked_at=None)
    if row is None or not await maker_still_entitled(row.created_by_id, row.library_id):
        raise NotFound("This feed address is not valid (it may have been revoked).")
    name = request.path_params["name"]
    slug, _, kind = name.rpartition(".")
    if kind not in ("atom", "json"):
        raise NotFound("Feeds end in .atom or .json.")
    campaign = await Campaign.get_or_none(slug=slug) if SLUG.fullmatch(slug) else None
    if campaign is None:
        raise NotFound("No campaign with that slug.")
    library = await Library.get(id=row.library_id)
    profile = (
        await BrandingProfile.filter(library=library, deleted_at=None)
        .order_by("-is_default", "id")
        .first()
    )
    if profile is None:
        raise NotFound("The library has no branding profile yet.")
    holder = Principal(user_id=0, email="feed", role=Role.LIBRARY_MEMBER, library_id=library.id)
    view = await profile_for(holder, profile.id)
    viewer = Viewer()  # what library staff see: published, unembargoed, unexpired
    backends = backends_of(request)
    settings: Settings = request.state.settings  # links name the address people use
    items: list[FeedPost] = []
    post_ids = await SocialPost.all().values_list("asset_id", flat=True)
    post_assets = await Asset.filter(viewer.asset_filter(), campaign=campaign, id__in=post_ids)
    for asset in post_assets:
        try:
            filled = await posts.fill_post(asset, "instagram", dict(view.version.values), viewer)
        except Unprocessable:
            continue  # the library's profile lacks a field this post needs
        images = []
        for image in filled.images:
            link = signed_links.sign(
                backends.signing_key,
                {
                    "a": str(image.asset.id),
                    "p": filled.platform.preset,
                    "pr": profile.id,
                    "f": None,
                    "fl": {},
                    "lib": library.id,
                    # The feed token's maker: the image links stop with them, as the feed does
                    # (0: a token made before makers were recorded).
                    "u": row.created_by_id or 0,
                },
                lifetime_s=FEED_LINK_LIFETIME_S,
            )
            images.append(
                FeedImage(
                    settings.public_url(f"/r/{link}"),
                    image.alt_text,
                    image.decorative,
                )
            )
        items.append(
            FeedPost(
                id=f"urn:uuid:{asset.id}",
                title=asset.title,
                caption=filled.caption,
                published=asset.published_at,
                images=images,
                updated=asset.updated_at,
                embargo_until=asset.embargo_until,
                hashtags=filled.hashtags,
            )
        )
    info = FeedInfo(
        id=f"urn:assets-hub:feed:{library.slug}:{campaign.slug}",
        title=f"{campaign.name} — {library.name}",
        feed_url=settings.public_url(request.url.path),
        author=library.name,
        description=campaign.description or None,
    )
    now = utcnow()
    if kind == "atom":
        return Response(atom_feed(info, items, now), media_type=ATOM_MEDIA_TYPE)
    return Response(json_feed(info, items, now), media_type=JSON_FEED_MEDIA_TYPE)
