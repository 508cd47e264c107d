"""HTML pages: search and asset (thin: parse, call a service, render)."""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from assets_hub.api.assets import viewer_for
from assets_hub.api.params import search_query_from
from assets_hub.auth.policy import Policy, principal_of, requires
from assets_hub.backends import Backends
from assets_hub.documents.casestudy_html import casestudy_html
from assets_hub.errors import BadRequest
from assets_hub.models import Asset, Campaign, Kind
from assets_hub.services import assets as asset_service
from assets_hub.services import documents, posts
from assets_hub.services.metadata import LICENCES, licence_needs_credit
from assets_hub.web.campaign_pages import chosen_profile, profile_choices
from assets_hub.web.customise_pages import NO_STORE
from assets_hub.web.templating import templates

PER_PAGE = 24
_MARKS = re.compile(r"(</?mark>)")


def _safe_highlight(text: str) -> Markup:
    """Engine highlights: plain text plus <mark> tags. Keep only the marks; escape the rest."""
    out = []
    for part in _MARKS.split(text):
        out.append(part if part in ("<mark>", "</mark>") else str(escape(html.unescape(part))))
    return Markup("".join(out))  # noqa: S704 - every non-mark part was escaped above


@requires(Policy.CATALOGUE)
async def search_page(request: Request) -> Response:
    backends: Backends = request.state.backends
    viewer = viewer_for(request)
    error = None
    try:
        query = search_query_from(request.query_params, viewer, per_page=PER_PAGE)
        result = await asset_service.search_assets(backends, query, viewer)
    except BadRequest as exc:
        error = exc.message
        query = search_query_from(request.query_params.__class__(""), viewer, per_page=PER_PAGE)
        result = await asset_service.search_assets(backends, query, viewer)
    titles = {
        a.id: _safe_highlight(result.highlights.get(a.id, {}).get("title", "")) or a.title
        for a in result.assets
    }
    pages = max(1, -(-result.total // query.per_page))
    return templates.TemplateResponse(
        request,
        "assets/search.html",
        {
            "query": query,
            "result": result,
            "titles": titles,
            "error": error,
            "pages": pages,
            "params": request.query_params,
            "campaign_names": dict(await Campaign.all().values_list("slug", "name")),
        },
        status_code=400 if error else 200,
    )


@requires(Policy.CATALOGUE)
async def asset_page(request: Request) -> Response:
    viewer = viewer_for(request)
    asset = await asset_service.get_asset(request.path_params["asset_id"], viewer)
    version = await asset_service.latest_version(asset)  # None: a case study or a post
    backends: Backends = request.state.backends
    try:
        hits = await backends.search.similar(str(asset.id), viewer.search_visibility(), 6)
    except Exception:  # noqa: BLE001 - "more like this" is a nicety; search may be down
        hits = []
    ids = [hit.id for hit in hits]
    found = {
        str(a.id): a for a in await Asset.filter(viewer.asset_filter(), id__in=ids)
    }  # re-checked: the engine's view may lag the database by a moment
    similar = [found[i] for i in ids if i in found]
    rights = {
        "licence": LICENCES.get(asset.licence, ("", False))[0],
        "terms": asset.licence_terms,
        "credit": asset.credit,
        "credit_required": licence_needs_credit(asset.licence),
    }
    principal = principal_of(request)
    context: dict[str, object] = {
        "asset": asset,
        "version": version,
        "rights": rights,
        "similar": similar,
        "can_edit": principal is not None and principal.is_staff,
        "study_html": "",
        "post_images": [],
        "profiles": [],
        "profile": None,
        "profile_error": "",
        "branded": asset.kind in (Kind.CASE_STUDY, Kind.DOCUMENT),
    }
    if principal is not None and context["branded"]:
        choices = await profile_choices(principal)
        profile, error = chosen_profile(request.query_params, choices)
        context.update(profiles=choices, profile=profile, profile_error=error)
    if asset.kind is Kind.CASE_STUDY:
        study, urls = await documents.case_study_page(asset, viewer.asset_filter())
        context["study_html"] = Markup(casestudy_html(study, urls, title_level=1))  # noqa: S704 - sanitised by nh3
    elif asset.kind is Kind.SOCIAL_POST:
        context["post_images"] = await posts.post_images(asset, viewer)
    return templates.TemplateResponse(
        request,
        "assets/asset.html",
        context,
        status_code=400 if context["profile_error"] else 200,
        headers=NO_STORE if context["branded"] else None,
    )
