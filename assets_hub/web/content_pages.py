"""The campaign team's editors for content without a file: case studies and social posts.

Each is one POST form (complete without JavaScript) that calls the same service as the API;
refused saves show a GOV.UK error summary and each problem on its field, keeping what was
typed. ``static/js/caption-count.js`` only keeps the per-platform caption counts live.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assets_hub.api.assets import acting_user, backends_of
from assets_hub.auth.policy import Policy, read_small_form, requires
from assets_hub.errors import AppError, NotFound
from assets_hub.models import Asset, CaseStudy, SocialPost
from assets_hub.services import case_studies, ingest, lifecycle, posts
from assets_hub.web.content_forms import (
    CASE_IMAGE_ROWS,
    FIGURE_ROWS,
    POST_IMAGE_ROWS,
    caption_counts,
    case_study_from_form,
    case_study_values,
    content_errors,
    form_echo,
    image_choices,
    meta_from_form,
    post_from_form,
    post_values,
)
from assets_hub.web.editor_forms import field_choices
from assets_hub.web.editor_pages import CONFLICT
from assets_hub.web.templating import templates


def _revision(form: Any) -> int:
    raw = str(form.get("revision", ""))
    return int(raw) if raw.isdigit() else -1


def _errors(exc: AppError) -> dict[str, str]:
    return {"content": CONFLICT} if exc.status_code == 412 else content_errors(exc.message)


async def _page(
    request: Request,
    name: str,
    asset: Asset | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "asset": asset,
        "values": values,
        "errors": errors,
        "revision": asset.revision if asset else 0,
        "images": await image_choices(),
        **await field_choices(),
        **extra,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


async def _saved(request: Request, asset: Asset, done: str) -> Response:
    await ingest.index_soon(backends_of(request), asset.id)
    return RedirectResponse(f"/editor/assets/{asset.id}?done={done}", status_code=303)


# ---------------------------------------------------------------- case studies


def _study_extra() -> dict[str, Any]:
    return {"figure_rows": range(1, FIGURE_ROWS + 1), "image_rows": range(1, CASE_IMAGE_ROWS + 1)}


def _study_names() -> list[str]:
    names = ["title", "campaign", "licence", "credit", "tags", "library_featured", "summary"]
    names += ["body_markdown", "pull_quote", "pull_quote_by"]
    names += [f"figure-{n}-{p}" for n in range(1, FIGURE_ROWS + 1) for p in ("label", "value")]
    names += [f"image-{n}{s}" for n in range(1, CASE_IMAGE_ROWS + 1) for s in ("", "-caption")]
    return names


@requires(Policy.EDITOR)
async def new_case_study(request: Request) -> Response:
    """GET: an empty case study form. POST: create it as a draft."""
    page = "content/case_study.html"
    if request.method == "GET":
        return await _page(request, page, None, case_study_values(None, None), {}, **_study_extra())
    form = await read_small_form(request)
    data = {**meta_from_form(form), **case_study_from_form(form)}
    try:
        asset = await case_studies.create_case_study(data, await acting_user(request))
    except AppError as exc:
        values = form_echo(form, _study_names())
        return await _page(
            request, page, None, values, _errors(exc), exc.status_code, **_study_extra()
        )
    return await _saved(request, asset, "created")


@requires(Policy.EDITOR)
async def edit_case_study(request: Request) -> Response:
    """GET: the case study's content. POST: save it (412 when someone else saved first)."""
    page = "content/case_study.html"
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    row = await CaseStudy.get_or_none(asset=asset)
    if row is None:
        raise NotFound("This asset is not a case study.")
    if request.method == "GET":
        values = case_study_values(asset, row)
        return await _page(request, page, asset, values, {}, **_study_extra())
    form = await read_small_form(request)
    data = case_study_from_form(form)
    if str(form.get("title", "")).strip():
        data["title"] = str(form.get("title", "")).strip()
    try:
        await case_studies.update_case_study(
            asset, data, await acting_user(request), _revision(form)
        )
    except AppError as exc:
        values = form_echo(form, _study_names())
        return await _page(
            request, page, asset, values, _errors(exc), exc.status_code, **_study_extra()
        )
    return await _saved(request, asset, "saved")


# ---------------------------------------------------------------- posts


def _post_names() -> list[str]:
    names = ["title", "campaign", "licence", "credit", "tags", "hashtags", "link"]
    names += ["caption-default", *(f"caption-{k}" for k in posts.platform_rules())]
    names += [
        f"image-{n}{s}" for n in range(1, POST_IMAGE_ROWS + 1) for s in ("", "-alt", "-decorative")
    ]
    names += [f"{w}-{p}" for w in ("window_start", "window_end") for p in ("day", "month", "year")]
    return names


async def _post_page(
    request: Request,
    asset: Asset | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    platforms = posts.platform_rules()
    if "image-1-decorative" in values and isinstance(values["image-1-decorative"], str):
        for n in range(1, POST_IMAGE_ROWS + 1):
            values[f"image-{n}-decorative"] = values.get(f"image-{n}-decorative") == "yes"
    return await _page(
        request,
        "content/post.html",
        asset,
        values,
        errors,
        status,
        platforms=platforms,
        counts=caption_counts(values, platforms),
        image_rows=range(1, POST_IMAGE_ROWS + 1),
    )


@requires(Policy.EDITOR)
async def new_post(request: Request) -> Response:
    """GET: an empty post form. POST: create the post as a draft."""
    platforms = posts.platform_rules()
    if request.method == "GET":
        return await _post_page(request, None, post_values(None, None, platforms), {})
    form = await read_small_form(request)
    content, date_errors = post_from_form(form, platforms)
    values = form_echo(form, _post_names())
    if date_errors:
        return await _post_page(request, None, values, date_errors, 422)
    try:
        asset = await posts.create_post(
            {**meta_from_form(form), **content}, await acting_user(request)
        )
    except AppError as exc:
        return await _post_page(request, None, values, _errors(exc), exc.status_code)
    return await _saved(request, asset, "created")


@requires(Policy.EDITOR)
async def edit_post(request: Request) -> Response:
    """GET: the post's captions, hashtags, link, images and window. POST: save them."""
    platforms = posts.platform_rules()
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    row = await SocialPost.get_or_none(asset=asset)
    if row is None:
        raise NotFound("This asset is not a social post.")
    if request.method == "GET":
        return await _post_page(request, asset, post_values(asset, row, platforms), {})
    form = await read_small_form(request)
    content, date_errors = post_from_form(form, platforms)
    values = form_echo(form, _post_names())
    if date_errors:
        return await _post_page(request, asset, values, date_errors, 422)
    try:
        await posts.update_post(asset, content, await acting_user(request), _revision(form))
    except AppError as exc:
        return await _post_page(request, asset, values, _errors(exc), exc.status_code)
    return await _saved(request, asset, "saved")
