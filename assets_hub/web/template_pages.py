"""The campaign team's overlay template editor: list, new, edit with preview, versions.

A template is a JSON document of zones (see :mod:`assets_hub.branding.overlays`). The editor
shows it as text with a field guide, checks it on "Preview" (a POST that saves nothing) and
shows the draft on the sample picture and branding in the chosen size; "Save" makes a new
version. Without JavaScript both are plain form posts; with it the preview follows the typing
(``template-editor.js``), through :func:`template_preview`, an image answer of the draft
carried in the query string (nothing is stored, nothing is recorded).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from assets_hub.api.assets import acting_user
from assets_hub.auth.policy import Policy, read_small_form, requires
from assets_hub.branding.overlays import DEFAULT_TEMPLATE_DOCUMENT, FIELDS, LOCAL_FIELD_LIMITS
from assets_hub.errors import AppError, Conflict, Unprocessable
from assets_hub.models import OverlayTemplate, Preset
from assets_hub.services import overlay_templates, presets
from assets_hub.web.customise_pages import PREVIEW_HEADERS
from assets_hub.web.templating import templates

PREVIEW_PRESET = "instagram-square"
DONE = {"created": "The template was created.", "saved": "A new version was saved."}


# A JSON array of plain values (no nested array or object) spread over several lines.
_FLAT_ARRAY = re.compile(r"\[\n\s*([^\[\]{}]*?)\n\s*\]")


def pretty(document: object) -> str:
    """The document as the editor shows it: indented, short lists such as boxes on one line.

    Only line breaks between items are joined (a JSON string cannot hold a raw line break).
    """
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _FLAT_ARRAY.sub(lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text)


def compact(document: object) -> str:
    """The document as the preview address carries it (as short as JSON allows)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


@requires(Policy.EDITOR)
async def template_list(request: Request) -> Response:
    """Every overlay template, with its version and how many assets use it."""
    context = {"items": await overlay_templates.list_templates()}
    return templates.TemplateResponse(request, "overlays/list.html", context)


@requires(Policy.EDITOR)
async def new_template(request: Request) -> Response:
    """GET: a form starting from the default design. POST: preview or create."""
    if request.method == "GET":
        values = {"key": "", "name": "", "document": pretty(DEFAULT_TEMPLATE_DOCUMENT)}
        return await _editor(request, None, values, {}, document=DEFAULT_TEMPLATE_DOCUMENT)
    return await _post(request, None)


@requires(Policy.EDITOR)
async def edit_template(request: Request) -> Response:
    """GET: the template's current version, its preview and its versions. POST: preview/save."""
    template = await overlay_templates.template_by_key(request.path_params["key"])
    if request.method == "POST":
        return await _post(request, template)
    current = await overlay_templates.current_version(template)
    values = {"key": template.key, "name": template.name, "document": pretty(current.document)}
    done = DONE.get(request.query_params.get("done", ""), "")
    return await _editor(request, template, values, {}, document=current.document, done=done)


async def _post(request: Request, template: OverlayTemplate | None) -> Response:
    form = await read_small_form(request)
    values = {
        "key": template.key if template else str(form.get("key", "")).strip()[:100],
        "name": str(form.get("name", "")).strip()[:200],
        "document": str(form.get("document", ""))[: overlay_templates.MAX_DOCUMENT_CHARS + 1],
        "preset": str(form.get("preset", PREVIEW_PRESET))[:40],
    }
    errors: dict[str, str] = {}
    document: dict[str, Any] | None = None
    try:
        if template is None:
            overlay_templates.check_key(values["key"])
            if await OverlayTemplate.exists(key=values["key"]):
                raise Unprocessable(
                    f"key: there is already a template {values['key']!r}; open it from the "
                    "list to change it"
                )
        document = overlay_templates.document_from_text(values["document"])
        if values["name"] and "name" not in document:  # the Name field names it
            document = {**document, "name": values["name"][:100]}
        overlay_templates.check_document(document)
    except AppError as exc:
        errors = _errors(exc.message)
    if not values["name"]:
        errors["name"] = "Enter a name for the template, for example Summer reading band"
    if errors or form.get("action") != "save":
        status = 422 if errors else 200
        return await _editor(request, template, values, errors, document=document, status=status)
    version = str(form.get("version", ""))
    try:
        saved = await overlay_templates.save_template(
            values["key"],
            values["name"],
            document,
            actor=await acting_user(request),
            expected_version=int(version) if version.isdigit() else None,
        )
    except Conflict as exc:
        errors = {"document": exc.message}
        return await _editor(request, template, values, errors, document=document, status=409)
    done = "saved" if template else "created"
    return RedirectResponse(f"/editor/templates/{saved.key}?done={done}", status_code=303)


def _errors(message: str) -> dict[str, str]:
    field, _, problem = message.partition(": ")
    labels = {"key": "Key", "document": "Template"}
    if field in labels:
        return {field: f"{labels[field]}: {problem}"}
    return {"document": message}


async def _editor(
    request: Request,
    template: OverlayTemplate | None,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    document: object,
    done: str = "",
    status: int = 200,
) -> Response:
    choices = [p for p in await presets.all_presets() if p.is_active]
    chosen = values.get("preset") or request.query_params.get("preset", PREVIEW_PRESET)
    if chosen not in {p.key for p in choices}:
        chosen = PREVIEW_PRESET
    preview_url = ""
    if document is not None and not errors:
        preview_url = "/editor/template-preview?" + urlencode(
            {"preset": chosen, "document": compact(document)}
        )
    context = {
        "template": template,
        "values": values,
        "errors": errors,
        "done": done,
        "presets": [(p.key, f"{p.name} ({p.width} × {p.height})") for p in choices],
        "preset": chosen,
        "preview_url": preview_url,
        "versions": await overlay_templates.versions(template) if template else [],
        "fields": FIELDS,
        "local_fields": LOCAL_FIELD_LIMITS,
    }
    return templates.TemplateResponse(request, "overlays/editor.html", context, status_code=status)


@requires(Policy.EDITOR)
async def template_preview(request: Request) -> Response:
    """The draft ``document`` in ``preset`` on the sample (a JPEG; 4xx as JSON for the script)."""
    params = request.query_params
    try:
        row: Preset = await presets.active_preset(params.get("preset", PREVIEW_PRESET))
        document = overlay_templates.document_from_text(params.get("document", ""))
        parsed = overlay_templates.check_document(document)
        result = await overlay_templates.render_preview(parsed, presets.to_render_preset(row))
    except AppError as exc:
        return JSONResponse(
            {"error": exc.message}, status_code=exc.status_code, headers=PREVIEW_HEADERS
        )
    return Response(result.data, media_type=result.media_type, headers=PREVIEW_HEADERS)
