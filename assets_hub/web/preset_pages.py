"""Output presets for admins: the list, a new preset and changing one (or switching it off).

Presets are named output sizes every rendition is made for; their version is part of every
rendition key, so a change makes new renditions and never alters a stored one. Routes are
thin: :mod:`assets_hub.web.preset_forms` reads the form, :mod:`assets_hub.services.presets`
validates and saves (with an audit row), and a saved form redirects (303).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assets_hub.api.assets import acting_user
from assets_hub.auth.policy import Policy, read_small_form, requires
from assets_hub.branding.presets import OUTPUT_FORMATS
from assets_hub.errors import AppError, Conflict
from assets_hub.models import Preset
from assets_hub.services import presets
from assets_hub.web import preset_forms
from assets_hub.web.preset_forms import CHANNELS, FORMAT_NAMES, SAFE_EDGES
from assets_hub.web.templating import templates

DONE = {"created": "The preset was added.", "saved": "Your changes were saved."}


@requires(Policy.ADMIN)
async def preset_list(request: Request) -> Response:
    """Every preset with its size, limits and whether libraries are offered it."""
    rows = await presets.all_presets()
    context = {"presets": rows, "done": DONE.get(request.query_params.get("done", ""), "")}
    return templates.TemplateResponse(request, "admin/presets.html", context)


@requires(Policy.ADMIN)
async def new_preset(request: Request) -> Response:
    """GET: an empty form. POST: add the preset, or show the form with its errors."""
    if request.method == "GET":
        return _form_page(request, None, preset_forms.form_of(None), {})
    return await _save(request, None)


@requires(Policy.ADMIN)
async def edit_preset(request: Request) -> Response:
    """GET: the preset's form. POST: save a new version of it."""
    row = await presets.preset_by_key(request.path_params["key"])
    if request.method == "GET":
        done = DONE.get(request.query_params.get("done", ""), "")
        return _form_page(request, row, preset_forms.form_of(row), {}, done=done)
    return await _save(request, row)


async def _save(request: Request, row: Preset | None) -> Response:
    form = await read_small_form(request)
    shown, data = preset_forms.read_form(form, form.getlist("formats"), new=row is None)
    errors = shown.errors
    status = 400
    if not errors:
        try:
            version = str(form.get("version", ""))
            saved = await presets.save_preset(
                data,
                existing=row.key if row else None,
                expected_version=int(version) if version.isdigit() else None,
                actor=await acting_user(request),
            )
        except Conflict as exc:
            errors, status = {"name": exc.message}, 409
        except AppError as exc:
            errors = preset_forms.service_errors(exc.message)
        else:
            done = "saved" if row else "created"
            return RedirectResponse(f"/admin/presets/{saved.key}?done={done}", status_code=303)
    return _form_page(request, row, shown.values, errors, status=status)


def _form_page(
    request: Request,
    row: Preset | None,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    done: str = "",
    status: int = 200,
) -> Response:
    context = {
        "preset": row,
        "values": values,
        "errors": errors,
        "done": done,
        "formats": [(f, FORMAT_NAMES[f]) for f in OUTPUT_FORMATS],
        "channels": CHANNELS,
        "safe_edges": SAFE_EDGES,
        "labels": preset_forms.LABELS,
    }
    return templates.TemplateResponse(request, "admin/preset.html", context, status_code=status)
