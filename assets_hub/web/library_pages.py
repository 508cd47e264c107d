"""My library: branding profiles, staff and invitations, download history, takedown notices.

Pages for library staff only (editors and admins belong to no library and get a page saying
so). Routes are thin: read the form, call a service (branding, logos, accounts, rights), show
the result; forms post and redirect (303) so a reload never posts twice. The profile form
helpers (field lists, reading colours, mapping service messages to fields) live in
:mod:`assets_hub.web.profile_forms`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from assets_hub.api.accounts import client_ip
from assets_hub.api.assets import acting_user, read_upload
from assets_hub.auth.policy import Policy, read_small_form, require_principal, requires
from assets_hub.auth.principal import Principal
from assets_hub.branding.fonts import FONTS
from assets_hub.errors import AppError, Conflict, NotFound, Unprocessable
from assets_hub.models import Library, Role
from assets_hub.services import accounts, branding, logos, rights
from assets_hub.services.branding import ProfileView
from assets_hub.services.downloads import download_history
from assets_hub.web import profile_forms
from assets_hub.web.customise_pages import NO_STORE, PREVIEW_HEADERS
from assets_hub.web.templating import templates

RECENT = 5
ROLE_CHOICES = (
    (Role.LIBRARY_MEMBER.value, "Member", "Can search, customise and download."),
    (Role.LIBRARY_ADMIN.value, "Admin", "Can also change branding and invite staff."),
)
NOT_LIBRARY_STAFF = (
    "My library pages are for library staff. Your account does not belong to a library, "
    "so there is nothing to show here."
)


def int_param(request: Request, name: str) -> int:
    """A numeric path parameter (anything else: 404, as for an unknown id)."""
    try:
        return int(request.path_params[name])
    except ValueError:
        raise NotFound("There is nothing at this address.") from None


async def library_of(principal: Principal) -> Library:
    """The caller's own library; a helpful 404 page for editors and admins."""
    if principal.library_id is None or principal.is_staff:
        raise NotFound(NOT_LIBRARY_STAFF)
    return await Library.get(id=principal.library_id)


def _page_number(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status, headers=NO_STORE)


@requires(Policy.SIGNED_IN)
async def my_library(request: Request) -> Response:
    """The library's profiles, open takedown notices and latest downloads."""
    principal = require_principal(request)
    library = await library_of(principal)
    return _page(
        request,
        "library/home.html",
        {
            "library": library,
            "profiles": await branding.list_profiles(principal, library),
            "notices": await rights.open_notices(library),
            "history": await download_history(library, 1, RECENT),
            "is_admin": principal.role is Role.LIBRARY_ADMIN,
            "done": request.query_params.get("done") == "1",
        },
    )


@requires(Policy.SIGNED_IN)
async def downloads_page(request: Request) -> Response:
    """The whole download history, paginated."""
    library = await library_of(require_principal(request))
    history = await download_history(library, _page_number(request))
    return _page(request, "library/downloads.html", {"library": library, "history": history})


@requires(Policy.SIGNED_IN)
async def notice_done(request: Request) -> Response:
    """POST: the library has stopped using the asset; back to My library."""
    principal = require_principal(request)
    await library_of(principal)
    await rights.mark_notice_done(
        int_param(request, "notice_id"),
        library_id=principal.library_id,
        actor=await acting_user(request),
    )
    return RedirectResponse("/library?done=1", status_code=303)


async def _staff_page(
    request: Request,
    library: Library,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    principal = require_principal(request)
    return _page(
        request,
        "library/staff.html",
        {
            "library": library,
            "users": await accounts.visible_users(principal),
            "roles": ROLE_CHOICES,
            "errors": errors or {},
            "values": values or {"email": "", "role": Role.LIBRARY_MEMBER.value},
            "invited": request.query_params.get("invited") == "1",
        },
        status,
    )


@requires(Policy.LIBRARY_ADMIN)
async def staff_page(request: Request) -> Response:
    """GET: the library's staff and the invitation form."""
    library = await library_of(require_principal(request))
    return await _staff_page(request, library)


@requires(Policy.LIBRARY_ADMIN)
async def invite_staff(request: Request) -> Response:
    """POST: invite someone to the library by e-mail."""
    principal = require_principal(request)
    library = await library_of(principal)
    form = await read_small_form(request)
    values = {"email": str(form.get("email", ""))[:300], "role": str(form.get("role", ""))}
    errors: dict[str, str] = {}
    if not values["email"].strip():
        errors["email"] = "Enter the e-mail address of the person to invite"
    if values["role"] not in {value for value, _, _ in ROLE_CHOICES}:
        errors["role"] = "Select what the person can do"
    if not errors:
        try:
            await accounts.invite(
                request.state.settings,
                principal,
                values["email"],
                Role(values["role"]),
                library.slug,
                ip=client_ip(request),
            )
        except AppError as exc:
            errors = profile_forms.field_errors(exc.message, ("email", "role"), default="email")
    if errors:
        return await _staff_page(request, library, errors=errors, values=values, status=400)
    return RedirectResponse("/library/staff?invited=1", status_code=303)


async def _profile_page(
    request: Request,
    library: Library,
    view: ProfileView | None,
    *,
    form: profile_forms.ProfileForm | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Response:
    principal = require_principal(request)
    sample = await profile_forms.sample_url(principal, view.profile.id) if view else None
    return _page(
        request,
        "library/profile.html",
        {
            "library": library,
            "view": view,
            "form": form or profile_forms.form_from(view),
            "errors": errors or {},
            "conflict": conflict,
            "saved": request.query_params.get("saved") == "1",
            "can_edit": principal.role is Role.LIBRARY_ADMIN,
            "fonts": sorted((key, family.name) for key, family in FONTS.items()),
            "colours": profile_forms.COLOURS,
            "text_fields": profile_forms.TEXT_FIELDS,
            "sample_url": sample,
        },
        status,
    )


@requires(Policy.LIBRARY_ADMIN)
async def new_profile_page(request: Request) -> Response:
    """GET: an empty profile form."""
    library = await library_of(require_principal(request))
    return await _profile_page(request, library, None)


@requires(Policy.LIBRARY_ADMIN)
async def create_profile(request: Request) -> Response:
    """POST: a new profile for the caller's library; then its page."""
    principal = require_principal(request)
    library = await library_of(principal)
    form = profile_forms.read_form(await read_small_form(request), None)
    try:
        view = await branding.create_profile(
            principal, library, form.service_values(), ip=client_ip(request)
        )
    except Unprocessable as exc:
        errors = profile_forms.field_errors(exc.message, profile_forms.FIELD_IDS)
        return await _profile_page(request, library, None, form=form, errors=errors, status=422)
    return RedirectResponse(f"/library/profiles/{view.profile.id}?saved=1", status_code=303)


async def _own_profile(principal: Principal, profile_id: int, *, edit: bool) -> ProfileView:
    """The profile if it is the caller's library's (another library's: 404)."""
    library = await library_of(principal)
    view = await branding.profile_for(principal, profile_id, edit=edit)
    if view.profile.library_id != library.id:
        raise NotFound("No branding profile with that id.")
    return view


@requires(Policy.SIGNED_IN)
async def profile_page(request: Request) -> Response:
    """GET: the profile editor (admins) or its details (members), with a live preview."""
    principal = require_principal(request)
    view = await _own_profile(principal, int_param(request, "profile_id"), edit=False)
    library = await library_of(principal)
    return await _profile_page(request, library, view)


@requires(Policy.LIBRARY_ADMIN)
async def save_profile(request: Request) -> Response:
    """POST: a new version of the profile (412 from the service: someone saved meanwhile)."""
    principal = require_principal(request)
    profile_id = int_param(request, "profile_id")
    view = await _own_profile(principal, profile_id, edit=True)
    library = await library_of(principal)
    form = profile_forms.read_form(await read_small_form(request), view.version)
    try:
        await branding.update_profile(
            principal,
            profile_id,
            form.service_values(),
            expected_version=form.version,
            ip=client_ip(request),
        )
    except Conflict as exc:
        latest = await branding.profile_for(principal, profile_id)
        return await _profile_page(request, library, latest, conflict=True, status=exc.status_code)
    except Unprocessable as exc:
        errors = profile_forms.field_errors(exc.message, profile_forms.FIELD_IDS)
        return await _profile_page(request, library, view, form=form, errors=errors, status=422)
    return RedirectResponse(f"/library/profiles/{profile_id}?saved=1", status_code=303)


@requires(Policy.LIBRARY_ADMIN, csrf_in_multipart=True)
async def upload_logo(request: Request) -> Response:
    """POST (multipart): store the logo (validated like any image), then a new version."""
    principal = require_principal(request)
    profile_id = int_param(request, "profile_id")
    view = await _own_profile(principal, profile_id, edit=True)  # before reading the body
    library = await library_of(principal)
    upload = await read_upload(request)
    try:
        files = [f for f in upload.files if f.field_name == "logo" and f.size]
        expected = profile_forms.version_of(upload.fields.get("version"))
        if not files:
            raise Unprocessable("Select a logo file (PNG, JPEG or WebP)")
        key, sha = await logos.store_logo(request.state.backends, files[0])
        await branding.update_profile(
            principal,
            profile_id,
            {},
            expected_version=expected,
            logo=(key, sha),
            ip=client_ip(request),
        )
    except Conflict as exc:
        latest = await branding.profile_for(principal, profile_id)
        return await _profile_page(request, library, latest, conflict=True, status=exc.status_code)
    except AppError as exc:
        if exc.status_code not in (413, 415, 422):
            raise
        return await _profile_page(
            request, library, view, errors={"logo": exc.message}, status=exc.status_code
        )
    finally:
        upload.close()
    return RedirectResponse(f"/library/profiles/{profile_id}?saved=1", status_code=303)


@requires(Policy.SIGNED_IN)
async def profile_preview(request: Request) -> Response:
    """A preview of the profile, with the editor's unsaved values when given (no-store).

    ``asset``: a published image to show it on (else a generated sample); ``primary``,
    ``secondary``, ``text``, ``font``, ``qr_url`` and the contact fields override the saved
    version. Nothing is stored and nothing is recorded as a download.
    """
    principal = require_principal(request)
    view = await _own_profile(principal, int_param(request, "profile_id"), edit=False)
    params = request.query_params
    overrides = {name: params[name] for name in profile_forms.PREVIEW_PARAMS if name in params}
    try:
        result = await profile_forms.render_draft(
            request.state.backends, principal, view, params.get("asset") or None, overrides
        )
    except AppError as exc:  # an image's answer: the editor's script reads the reason
        return JSONResponse({"error": exc.message}, status_code=exc.status_code)
    return Response(
        result.data,
        media_type=result.media_type,
        headers=PREVIEW_HEADERS,
    )
