"""Self-service pages: API tokens (everyone), feed tokens (library admins), search synonyms
(the campaign team). Plain POST forms with the session's CSRF token; a new token is shown
on the page that made it, once, and never again (``Cache-Control: no-store``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assets_hub.api.assets import acting_user, backends_of
from assets_hub.auth.policy import Policy, read_small_form, require_principal, requires
from assets_hub.errors import AppError
from assets_hub.services import search_admin, self_service
from assets_hub.web.customise_pages import NO_STORE
from assets_hub.web.templating import templates

DONE = {
    "revoked": "The token was revoked: nothing can use it any more.",
    "saved": "The synonyms were saved; searches use them now.",
}


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _id(request: Request, what: str) -> int:
    # {token_id:id} in the route has range-checked it (assets_hub/ids.py): a longer number is a
    # 404 before this runs.
    found: int = request.path_params["token_id"]
    return found


def _page(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status, headers=NO_STORE)


# ---------------------------------------------------------------- API tokens


async def _tokens_page(
    request: Request,
    *,
    new_token: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    principal = require_principal(request)
    return _page(
        request,
        "account/tokens.html",
        {
            "tokens": await self_service.api_tokens(principal),
            "new_token": new_token,
            "values": values or {"name": "", "expires_days": ""},
            "errors": errors or {},
            "notice": DONE.get(request.query_params.get("done", ""), ""),
        },
        status,
    )


@requires(Policy.SIGNED_IN)
async def api_tokens(request: Request) -> Response:
    """GET: your tokens and the form. POST: make one and show it, this once."""
    if request.method == "GET":
        return await _tokens_page(request)
    form = await read_small_form(request)
    values = {k: str(form.get(k, "")).strip()[:120] for k in ("name", "expires_days")}
    errors: dict[str, str] = {}
    days = values["expires_days"]
    if days and not days.isdigit():
        errors["expires_days"] = "Expires after: enter a whole number of days, like 90"
    if not errors:
        try:
            token, _ = await self_service.create_api_token(
                require_principal(request),
                values["name"],
                int(days) if days else None,
                _ip(request),
            )
        except AppError as exc:
            field, _, problem = exc.message.partition(": ")
            if field == "name":
                errors["name"] = f"Name: {problem}"
            else:
                errors["expires_days"] = f"Expires after: {problem}"
        else:
            return await _tokens_page(request, new_token=token, status=201)
    return await _tokens_page(request, values=values, errors=errors, status=422)


@requires(Policy.SIGNED_IN)
async def revoke_api_token(request: Request) -> Response:
    await read_small_form(request)  # the CSRF field was checked by the policy
    await self_service.revoke_api_token(
        require_principal(request), _id(request, "token"), _ip(request)
    )
    return RedirectResponse("/account/tokens?done=revoked", status_code=303)


# ---------------------------------------------------------------- feed tokens


async def _feeds_page(
    request: Request,
    *,
    new_token: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    principal = require_principal(request)
    return _page(
        request,
        "feeds/tokens.html",
        {
            "feeds": await self_service.feed_tokens(principal),
            "base_url": str(request.base_url).rstrip("/"),
            "new_token": new_token,
            "values": values or {"name": ""},
            "errors": errors or {},
            "notice": DONE.get(request.query_params.get("done", ""), ""),
        },
        status,
    )


@requires(Policy.LIBRARY_ADMIN)
async def feed_tokens(request: Request) -> Response:
    """GET: the library's feed tokens. POST: make one and show its feed addresses once."""
    if request.method == "GET":
        return await _feeds_page(request)
    form = await read_small_form(request)
    values = {"name": str(form.get("name", "")).strip()[:120]}
    try:
        token, _ = await self_service.create_feed_token(
            require_principal(request), values["name"], _ip(request)
        )
    except AppError as exc:
        errors = {"name": "Name: " + exc.message.removeprefix("name: ")}
        return await _feeds_page(request, values=values, errors=errors, status=422)
    return await _feeds_page(request, new_token=token, status=201)


@requires(Policy.LIBRARY_ADMIN)
async def revoke_feed_token(request: Request) -> Response:
    await read_small_form(request)
    await self_service.revoke_feed_token(require_principal(request), _id(request, "feed token"))
    return RedirectResponse("/library/feeds?done=revoked", status_code=303)


# ---------------------------------------------------------------- synonyms


@requires(Policy.EDITOR)
async def synonyms(request: Request) -> Response:
    """GET: the search synonyms, one term per line. POST: replace them all."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "GET":
        text = self_service.synonyms_as_text(await search_admin.current_synonyms())
    else:
        form = await read_small_form(request)
        text = str(form.get("synonyms", ""))[:100_000]
        try:
            mapping = search_admin.parse_synonyms(self_service.synonyms_from_text(text))
            await search_admin.replace_synonyms(
                backends_of(request), mapping, await acting_user(request)
            )
        except AppError as exc:
            errors = {"synonyms": "Synonyms: " + exc.message.removeprefix("synonyms: ")}
            status = exc.status_code
        else:
            return RedirectResponse("/editor/synonyms?done=saved", status_code=303)
    return _page(
        request,
        "search/synonyms.html",
        {
            "text": text,
            "errors": errors,
            "notice": DONE.get(request.query_params.get("done", ""), ""),
        },
        status,
    )
