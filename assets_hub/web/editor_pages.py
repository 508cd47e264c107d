"""The campaign team's pages: upload, edit an asset, review queue and audit log.

Server-rendered and complete without JavaScript: every change is a POST form carrying the
session's CSRF token (multipart forms check it after parsing, through ``read_upload``).
Route functions stay thin: parse the form, call a service, render or redirect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assets_hub.api.assets import acting_user, backends_of, default_title, read_upload
from assets_hub.auth.policy import Policy, read_small_form, require_principal, requires
from assets_hub.errors import AppError, BadRequest, NotFound, Unprocessable
from assets_hub.models import Asset, AssetVersion, Consent, Kind
from assets_hub.services import (
    audit,
    documents,
    ingest,
    lifecycle,
    overlay_templates,
    review,
    rights,
)
from assets_hub.services.metadata import parse_metadata
from assets_hub.services.rules import publish_problems
from assets_hub.uploads import SpooledFile
from assets_hub.web.account_pages import safe_next
from assets_hub.web.editor_forms import (
    EDIT_FIELDS,
    MAX_PER_FILE,
    FocalBox,
    actions_for,
    asset_form_values,
    consent_values,
    days_until,
    empty_upload_values,
    field_choices,
    field_errors,
    focal_from_form,
    form_values,
    per_file_values,
    problem_errors,
    upload_values,
    zone_form_view,
    zone_from_form,
)
from assets_hub.web.templating import templates

ACTIONS = ("submit", "publish", "withdraw", "archive")
# Confirmation banners after a redirect: fixed texts only, never text from the request.
DONE = {
    "saved": "Your changes were saved.",
    "created": "It was saved as a draft. Check the details below, then submit or publish it.",
    "focal": "The focal point was saved.",
    "zone": "The brand zone was saved; the next branded downloads use it.",
    "alt": "The alt text of each picture was saved.",
    "template": "The overlay template was chosen; the next downloads use it.",
    "submit": "The asset was sent for review.",
    "publish": "The asset is published.",
    "withdraw": "The asset was withdrawn. Libraries that downloaded it have been told.",
    "archive": "The asset was archived.",
    "undelete": "The asset was restored.",
    "version": "The new version was uploaded.",
    "restore": "The earlier version is current again (as a new version).",
    "consent": "The consent record was added.",
    "withdrawn": "The consent was withdrawn. Libraries that downloaded the asset have been told.",
}
CONFLICT = (
    "This asset was changed by someone else since you opened it. Your changes were not "
    "saved: reload the page to see the latest version, then make your changes again."
)
_IMAGE_KINDS = frozenset({Kind.IMAGE, Kind.LOGO, Kind.SOCIAL_POST})
# Kinds whose content is edited on a page of its own (no stored file): its address prefix.
CONTENT_EDITORS = {
    Kind.CASE_STUDY: ("/editor/case-studies", "case study's text, figures, quote and images"),
    Kind.SOCIAL_POST: ("/editor/posts", "post's captions, hashtags, link, images and window"),
}


@dataclass
class FileResult:
    """What happened to one file of an upload."""

    filename: str
    asset_id: str | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    similar: list[tuple[str, str]] = field(default_factory=list)  # (asset id, title)
    alt_text: str = ""
    revision: int = 0


def _done_redirect(asset_id: object, done: str) -> RedirectResponse:
    return RedirectResponse(f"/editor/assets/{asset_id}?done={done}", status_code=303)


# ---------------------------------------------------------------- upload


@requires(Policy.EDITOR, csrf_in_multipart=True)
async def upload(request: Request) -> Response:
    """GET: the multi-file upload form. POST: ingest each file and report each one."""
    if request.method == "GET":
        return await _upload_page(request, empty_upload_values(), {}, [])
    form = await read_upload(request)
    try:
        values = {**empty_upload_values(), **upload_values(form.fields, form.lists)}
        files = [f for f in form.files if f.field_name == "file" and (f.filename or f.size)]
        errors: dict[str, str] = {}
        try:
            parse_metadata(values, default_title="checked once for every file")
        except Unprocessable as exc:
            errors = field_errors(exc.message, fallback="file")
        if not files:
            errors["file"] = "Files: choose one or more files to upload"
        if errors:
            return await _upload_page(request, values, errors, [], status=422)
        per_file = per_file_values(form.fields, len(files))
        results = await _ingest_each(request, files, values, per_file)
    finally:
        form.close()
    refused = {f"result-{n}": f"{r.filename}: {r.error}" for n, r in enumerate(results) if r.error}
    status = 422 if len(refused) == len(results) else 200
    return await _upload_page(request, values, refused, results, status=status)


@requires(Policy.EDITOR)
async def upload_alt_texts(request: Request) -> Response:
    """After a multi-file upload without JavaScript: one alt text per new asset, saved each
    with its own revision check; then the review queue, or the page again with errors."""
    form = await read_small_form(request)
    actor = await acting_user(request)
    errors: dict[str, str] = {}
    for key in [str(k) for k in form if str(k).startswith("alt-")][:MAX_PER_FILE]:
        asset_id = key.removeprefix("alt-")
        try:
            asset = await lifecycle.editable_asset(asset_id)
            meta = parse_metadata({"alt_text": str(form.get(key, ""))}, partial=True)
            revision = int(str(form.get(f"revision-{asset_id}", "")) or "-1")
            await lifecycle.update_metadata(asset, meta, expected_revision=revision, actor=actor)
            await ingest.index_soon(backends_of(request), asset.id)
        except (AppError, ValueError) as exc:
            message = CONFLICT if getattr(exc, "status_code", 0) == 412 else str(exc)
            errors[key] = f"Alt text: {getattr(exc, 'message', message)}"
    if errors:
        context = {
            "values": empty_upload_values(),
            "errors": errors,
            "results": [],
            **await field_choices(),
        }
        return templates.TemplateResponse(request, "editor/upload.html", context, status_code=422)
    return RedirectResponse("/editor/review?done=alt", status_code=303)


async def _ingest_each(
    request: Request,
    files: list[SpooledFile],
    values: dict[str, Any],
    per_file: list[dict[str, str]],
) -> list[FileResult]:
    """One asset per file: a refused file spoils nothing else (like POST /assets/batch).

    ``per_file[n]`` (title, alt text typed for the n-th file) wins over the shared details.
    """
    backends = backends_of(request)
    uploader = await acting_user(request)
    results = []
    for n, spooled in enumerate(files):
        entry = FileResult(filename=spooled.filename[:255] or "(no name)")
        try:
            own = {**values, **per_file[n]}
            meta = parse_metadata(own, default_title=default_title(spooled))
            created = await ingest.upload_asset(backends, spooled, meta, uploader=uploader)
        except AppError as exc:
            entry.error = exc.message
        else:
            entry.asset_id, entry.warnings = str(created.asset.id), created.warnings
            entry.alt_text = created.asset.alt_text
            entry.revision = created.asset.revision
            titles = {
                str(i): t
                for i, t in await Asset.filter(id__in=created.similar).values_list("id", "title")
            }
            entry.similar = [(str(i), str(titles.get(i, "another asset"))) for i in created.similar]
            await backends.throttle.count_upload(uploader.id)
        results.append(entry)
    return results


async def _upload_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    results: list[FileResult],
    *,
    status: int = 200,
) -> Response:
    context = {"values": values, "errors": errors, "results": results, **await field_choices()}
    return templates.TemplateResponse(request, "editor/upload.html", context, status_code=status)


# ---------------------------------------------------------------- the asset editor


async def _render_editor(
    request: Request,
    asset: Asset,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    consent_form: dict[str, Any] | None = None,
    revision: int | None = None,
    status: int = 200,
) -> Response:
    """The edit page; after a failed POST it keeps what was typed and shows the errors."""
    asset = await Asset.get(id=asset.id)  # the state after any partial change
    await asset.fetch_related("campaign", "tags")
    versions = await AssetVersion.filter(asset=asset).order_by("-number")
    version = versions[0] if versions else None  # None: a case study or a post (no file)
    done = request.query_params.get("done", "")
    context = {
        "asset": asset,
        "version": version,
        "content_editor": CONTENT_EDITORS.get(asset.kind, ("", ""))[0],
        "content_label": CONTENT_EDITORS.get(asset.kind, ("", ""))[1],
        "versions": versions,
        "consents": await Consent.filter(asset=asset).order_by("id"),
        "problems": publish_problems(asset),
        "values": values if values is not None else asset_form_values(asset),
        "errors": errors or {},
        "consent_form": consent_form or {"reference": "", "channels": [], "is_child": False},
        "revision": asset.revision if revision is None else revision,
        "notice": DONE.get(done, "") if not errors else "",
        "focal": FocalBox.for_version(version) if version else None,
        "can_focus": asset.kind in _IMAGE_KINDS and bool(version and version.thumbnail_key),
        "actions": actions_for(asset.status),
        "branded": asset.kind in _IMAGE_KINDS and version is not None,
        "zone": await _zone_view(request, asset, version, errors or {}),
        "overlay_choices": [(t.key, t.name) for t in await overlay_templates.list_templates()],
        "overlay": getattr(await overlay_templates.template_of(asset), "key", ""),
        **await field_choices(),
    }
    return templates.TemplateResponse(request, "editor/asset.html", context, status_code=status)


async def _zone_view(
    request: Request, asset: Asset, version: AssetVersion | None, errors: dict[str, str]
) -> dict[str, Any] | None:
    """The brand zone editor's state for a fact sheet (None for other kinds)."""
    if asset.kind is not Kind.DOCUMENT or version is None:
        return None
    layout = await documents.fact_sheet_layout(backends_of(request), asset)
    return zone_form_view(layout, None)


def _revision(form: Any) -> int:
    try:
        return int(str(form.get("revision", "")))
    except ValueError:
        raise BadRequest("The form is missing its revision; reload the page.") from None


@requires(Policy.EDITOR)
async def edit_asset(request: Request) -> Response:
    """GET: the editor. POST: save the metadata form (412 when someone else saved first)."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    if request.method == "GET":
        return await _render_editor(request, asset)
    form = await read_small_form(request)
    values = form_values(form, EDIT_FIELDS)
    revision = _revision(form)
    try:
        meta = parse_metadata(values, partial=True)
        await lifecycle.update_metadata(
            asset, meta, expected_revision=revision, actor=await acting_user(request)
        )
    except AppError as exc:
        errors = {"metadata": CONFLICT} if exc.status_code == 412 else field_errors(exc.message)
        shown = {**asset_form_values(await _fetched(asset)), **values}
        return await _render_editor(
            request, asset, values=shown, errors=errors, revision=revision, status=exc.status_code
        )
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "saved")


async def _fetched(asset: Asset) -> Asset:
    await asset.fetch_related("campaign", "tags")
    return asset


@requires(Policy.EDITOR)
async def choose_template(request: Request) -> Response:
    """Which overlay template the asset's branded downloads use (empty: the default)."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    form = await read_small_form(request)
    key = str(form.get("template", ""))[:100] or None
    try:
        await overlay_templates.choose_for_asset(asset, key, actor=await acting_user(request))
    except AppError as exc:
        errors = {"template": f"Overlay template: {exc.message.removeprefix('template: ')}"}
        return await _render_editor(request, asset, errors=errors, status=exc.status_code)
    return _done_redirect(asset.id, "template")


@requires(Policy.EDITOR)
async def set_focal_point(request: Request) -> Response:
    """A click on the image (``image.x``/``image.y``) or typed coordinates from 0 to 1."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    form = await read_small_form(request)
    version = await AssetVersion.filter(asset=asset).order_by("-number").first()
    if version is None:
        raise NotFound("The asset has no stored file.")
    revision = _revision(form)
    point = focal_from_form(form, FocalBox.for_version(version))
    if point is None:
        errors = {"focal_x": "Focal point: click a place in the picture, or enter the numbers"}
        return await _render_editor(request, asset, errors=errors, status=422)
    try:
        meta = parse_metadata({"focal_point": point}, partial=True)
        await lifecycle.update_metadata(
            asset, meta, expected_revision=revision, actor=await acting_user(request)
        )
    except AppError as exc:
        if exc.status_code == 412:
            errors = {"focal_x": CONFLICT}
        else:
            errors = {"focal_x": "Focal point: enter two numbers from 0 to 1, like 0.5 and 0.3"}
        return await _render_editor(request, asset, errors=errors, status=exc.status_code)
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "focal")


@requires(Policy.EDITOR)
async def set_brand_zone(request: Request) -> Response:
    """Where libraries' branding goes on a fact sheet: drawn on the preview or typed."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    form = await read_small_form(request)
    revision = _revision(form)
    try:
        zone = zone_from_form(form)
        await documents.save_brand_zone(
            backends_of(request),
            asset,
            zone,
            expected_revision=revision,
            actor=await acting_user(request),
        )
    except AppError as exc:
        message = CONFLICT if exc.status_code == 412 else exc.message
        errors = {"zone-x": "Brand zone: " + message.removeprefix("brand zone: ")}
        return await _render_editor(request, asset, errors=errors, status=exc.status_code)
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "zone")


@requires(Policy.EDITOR)
async def change_status(request: Request) -> Response:
    """Submit for review, publish, withdraw or archive; publish problems are listed."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    form = await read_small_form(request)
    action = request.url.path.rsplit("/", 1)[-1]
    if action not in ACTIONS:
        raise NotFound("Unknown action.")
    try:
        await lifecycle.transition(
            asset, action, actor=await acting_user(request), reason=str(form.get("reason", ""))
        )
    except AppError as exc:
        problems = publish_problems(asset) if action == "publish" else []
        errors = problem_errors(problems) if problems else {"workflow": exc.message}
        return await _render_editor(request, asset, errors=errors, status=exc.status_code)
    await ingest.index_soon(backends_of(request), asset.id)
    target = safe_next(str(form.get("next", "")))
    if target.startswith("/editor/review"):
        return RedirectResponse(f"/editor/review?done={action}", status_code=303)
    return _done_redirect(asset.id, action)


@requires(Policy.EDITOR)
async def delete_asset(request: Request) -> Response:
    """Soft delete; the review queue then offers an undo button."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    await lifecycle.delete_asset(asset, actor=await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return RedirectResponse(f"/editor/review?deleted={asset.id}", status_code=303)


@requires(Policy.EDITOR)
async def undelete_asset(request: Request) -> Response:
    """Undo a delete within the undo window."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"], deleted=True)
    await lifecycle.undelete_asset(
        asset,
        actor=await acting_user(request),
        undo_days=backends_of(request).settings.delete_undo_days,
    )
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "undelete")


@requires(Policy.EDITOR, csrf_in_multipart=True)
async def add_version(request: Request) -> Response:
    """Replace the file: a new version (multipart; the CSRF field is checked after parsing)."""
    form = await read_upload(request)
    try:
        asset = await lifecycle.editable_asset(request.path_params["asset_id"])
        files = [f for f in form.files if f.field_name == "file" and (f.filename or f.size)]
        try:
            if len(files) != 1:
                raise Unprocessable("Choose one file for the new version.")
            uploader = await acting_user(request)
            await ingest.add_version(backends_of(request), asset, files[0], uploader=uploader)
            await backends_of(request).throttle.count_upload(uploader.id)
        except AppError as exc:
            errors = {"version-file": f"New version: {exc.message}"}
            return await _render_editor(request, asset, errors=errors, status=exc.status_code)
    finally:
        form.close()
    return _done_redirect(asset.id, "version")


@requires(Policy.EDITOR)
async def restore_version(request: Request) -> Response:
    """Make an earlier version current again (as a new version)."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    try:
        number = int(request.path_params["number"])
    except ValueError:
        raise NotFound("No version with that number.") from None
    await lifecycle.restore_version(asset, number, actor=await acting_user(request))
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "restore")


@requires(Policy.EDITOR)
async def add_consent(request: Request) -> Response:
    """Record a signed consent form for a person in the asset."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    data = consent_values(await read_small_form(request))
    try:
        await rights.add_consent(asset, data, actor=await acting_user(request))
    except AppError as exc:
        errors = field_errors(exc.message, prefix="consent-", fallback="consent-form")
        return await _render_editor(
            request, asset, errors=errors, consent_form=data, status=exc.status_code
        )
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "consent")


@requires(Policy.EDITOR)
async def withdraw_consent(request: Request) -> Response:
    """Withdraw a consent: downloads stop at once and libraries get takedown notices."""
    asset = await lifecycle.editable_asset(request.path_params["asset_id"])
    form = await read_small_form(request)
    try:
        consent_id = int(request.path_params["consent_id"])
    except ValueError:
        raise NotFound("No consent with that id for this asset.") from None
    await rights.withdraw_consent(
        asset,
        consent_id,
        actor=await acting_user(request),
        reason=str(form.get("reason", ""))[:200],
    )
    await ingest.index_soon(backends_of(request), asset.id)
    return _done_redirect(asset.id, "withdrawn")


# ---------------------------------------------------------------- review queue and audit log


@requires(Policy.EDITOR)
async def review_page(request: Request) -> Response:
    """Items awaiting review (and drafts), newest uploads, consents and licences ending soon."""
    queue = await review.review_queue()
    deleted = None
    try:
        deleted = uuid.UUID(request.query_params.get("deleted", ""))
    except ValueError:
        pass
    context = {
        **vars(queue),
        "problems": {a.id: publish_problems(a) for a in queue.waiting},
        "approvers": await review.approvers(queue.waiting),
        "days_until": days_until,
        "deleted": deleted,
        "notice": DONE.get(request.query_params.get("done", ""), ""),
    }
    return templates.TemplateResponse(request, "editor/review.html", context)


@requires(Policy.AUDIT)
async def audit_log(request: Request) -> Response:
    """The audit log, newest first, 50 a page; library admins see their library's part."""
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        raise BadRequest("page must be a whole number") from None
    action = request.query_params.get("action", "")[:50]
    found = await audit.page_for(require_principal(request), page, action)
    page_base = f"/editor/audit?{urlencode({'action': action})}&" if action else "/editor/audit?"
    context = {
        "events": found.events,
        "page": found.page,
        "pages": found.pages,
        "action": action,
        "page_base": page_base,
    }
    return templates.TemplateResponse(request, "editor/audit.html", context)
