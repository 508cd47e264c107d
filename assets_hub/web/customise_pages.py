"""The customise-and-download page: branding profile, sizes, format and local fields.

Everything works without JavaScript: the form is a GET, so submitting it reloads the page with
the choices in the URL, and the page shows a preview image and one download link per chosen
size, all pointing at the render API (which checks access again and records downloads).
``static/js/preview.js`` only swaps the preview while people type.

This module holds presentation only: reading the form, wording errors for people, building
URLs. Validation that matters is the render service's (``rendering.prepare``), asked here
before any URL is shown so an error is an error summary, never a broken image.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from assets_hub.api.assets import viewer_for
from assets_hub.auth.policy import Policy, require_principal, requires
from assets_hub.auth.principal import Principal
from assets_hub.branding.overlays import LOCAL_FIELD_LIMITS
from assets_hub.errors import AppError, Unprocessable
from assets_hub.models import Library, Preset
from assets_hub.services import assets as asset_service
from assets_hub.services import branding, rendering
from assets_hub.services.branding import ProfileView
from assets_hub.services.rendering import RenderAsk
from assets_hub.web.templating import templates

NO_STORE = {"Cache-Control": "private, no-store"}
# A preview image answered to an editor's script: never stored, never a document that runs.
PREVIEW_HEADERS = {**NO_STORE, "Content-Security-Policy": "sandbox"}
NO_PROFILE = "none"
FORMATS = (("", "Best for each size"), ("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WebP"))


@dataclass(frozen=True)
class LocalField:
    """A field a library types per download, as the form shows it."""

    name: str
    label: str
    hint: str
    limit: int


# The local fields the default overlay template draws, in the order the form shows them.
LOCAL_FIELDS = tuple(
    LocalField(name, label, hint, LOCAL_FIELD_LIMITS[name])
    for name, label, hint in (
        ("event_title", "Event title", "For example, Summer reading challenge launch"),
        ("event_date", "Event date", "For example, Saturday 12 July"),
        ("event_time", "Event time", "For example, 10am to 12 noon"),
        ("custom", "Extra line", "For example, Free, no need to book"),
    )
)
_LABELS = {f.name: f.label for f in LOCAL_FIELDS}


@dataclass(frozen=True)
class SizeChoice:
    """One preset as a checkbox."""

    key: str
    name: str
    width: int
    height: int
    checked: bool


@dataclass(frozen=True)
class DownloadLink:
    """One chosen size's render URL."""

    key: str
    name: str
    width: int
    height: int
    href: str


@dataclass
class Choices:
    """What the form says, after reading (``errors`` maps a field id to its message)."""

    profile: str
    presets: list[str]
    format: str
    fields: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def field_length(value: str) -> int:
    """Length as the renderer counts it (code points after NFC)."""
    return len(unicodedata.normalize("NFC", value))


def read_choices(
    params: QueryParams, presets: Sequence[Preset], profiles: Sequence[ProfileView]
) -> Choices:
    """The choices in the URL, with defaults on a first visit and people-worded errors."""
    submitted = any(name in params for name in ("profile", "preset", "format", *_LABELS.keys()))
    offered = {str(view.profile.id) for view in profiles}
    default_profile = next(
        (str(v.profile.id) for v in profiles if v.profile.is_default),
        str(profiles[0].profile.id) if profiles else NO_PROFILE,
    )
    choices = Choices(
        profile=params.get("profile", default_profile) if submitted else default_profile,
        presets=[str(v) for v in params.getlist("preset") if v],
        format=params.get("format", ""),
        fields={f.name: params.get(f.name, "") for f in LOCAL_FIELDS},
    )
    if not submitted and presets:
        choices.presets = [presets[0].key]
    if choices.profile != NO_PROFILE and choices.profile not in offered:
        choices.errors["profile"] = "Choose a branding profile in the list"
    keys = {p.key for p in presets}
    unknown = [key for key in choices.presets if key not in keys]
    if unknown:
        choices.errors["preset"] = f"{unknown[0][:40]!r} is not a size; choose sizes in the list"
    elif not choices.presets:
        choices.errors["preset"] = "Select at least one size"
    if choices.format not in {value for value, _ in FORMATS}:
        choices.errors["format"] = "Choose a file format in the list"
    for local in LOCAL_FIELDS:
        if field_length(choices.fields[local.name]) > local.limit:
            choices.errors[local.name] = f"{local.label} must be {local.limit} characters or fewer"
    return choices


def error_field(message: str) -> str:
    """Which form field a render service message is about (the sizes when unclear)."""
    for name in _LABELS:
        if f"'{name}'" in message:
            return name
    if message.startswith("format"):
        return "format"
    if "branding profile" in message:
        return "profile"
    return "preset"


def fit_error(field: str | None, size: str) -> tuple[str, str]:
    """Where to show text that does not fit, and what to do: on the local field the renderer
    says to shorten, else on the sizes (the profile's own text does not fit)."""
    if field in _LABELS:
        return field, (
            f"{_LABELS[field]} is too long to fit on {size} with your branding: shorten it"
        )
    return "preset", (
        f"Your library's details do not fit on {size}: choose another size, "
        "or shorten them in your branding profile"
    )


def _query(choices: Choices, preset: str) -> str:
    pairs = [("preset", preset)]
    if choices.profile != NO_PROFILE:
        pairs.append(("profile", choices.profile))
    if choices.format:
        pairs.append(("format", choices.format))
    pairs += [(f"field.{name}", value) for name, value in choices.fields.items() if value]
    return urlencode(pairs)


def render_url(asset_id: str, choices: Choices, preset: str, *, preview: bool = False) -> str:
    """The render (or live preview) API URL for one size with these choices.

    Downloads carry allow_smaller=1: the page checked each size as a preview (which may come
    out smaller), so a picture too small for a size is delivered smaller with a warning
    header rather than refused behind a link the page offered.
    """
    if preview:
        return f"/api/v1/assets/{asset_id}/render/preview?{_query(choices, preset)}"
    return f"/api/v1/assets/{asset_id}/render?{_query(choices, preset)}&allow_smaller=1"


def ask_for(asset_id: str, choices: Choices, preset: str) -> RenderAsk:
    """The render service's request for one size (a preview: cheap to check)."""
    profile = int(choices.profile) if choices.profile != NO_PROFILE else None
    fields = {name: value for name, value in choices.fields.items() if value}
    return RenderAsk(asset_id, preset, profile, choices.format or None, fields, preview=True)


async def profiles_for(principal: Principal) -> list[ProfileView]:
    """Library staff: their own library's profiles. Editors and admins: none (unbranded)."""
    if principal.library_id is None or principal.is_staff:
        return []
    library = await Library.get(id=principal.library_id)
    return await branding.list_profiles(principal, library)


@requires(Policy.SIGNED_IN)
async def customise_page(request: Request) -> Response:
    """GET: the form, a preview of the first chosen size and a link per chosen size."""
    principal = require_principal(request)
    asset_id = request.path_params["asset_id"]
    asset = await asset_service.get_asset(asset_id, viewer_for(request))
    version = await asset_service.current_version(asset)
    if not version.master_key:
        raise Unprocessable(
            "Only images can be customised; download the original file from the asset page."
        )
    presets = await Preset.filter(is_active=True).order_by("id")
    profiles = await profiles_for(principal)
    choices = read_choices(request.query_params, presets, profiles)
    if not choices.errors:
        for key in choices.presets:
            try:
                prepared = await rendering.prepare(
                    request.state.backends, principal, ask_for(str(asset.id), choices, key)
                )
                # The renderer's own fit check: what would download, not just the ask.
                problems = await rendering.fit_problems_now(prepared)
            except AppError as exc:  # RenderError too (a 422)
                choices.errors.setdefault(error_field(exc.message), exc.message)
                continue
            for problem in problems:
                name, message = fit_error(problem.field, prepared.preset.name)
                choices.errors.setdefault(name, message)
    by_key = {p.key: p for p in presets}
    links = []
    preview_url = None
    if not choices.errors:
        links = [
            DownloadLink(
                key,
                by_key[key].name,
                by_key[key].width,
                by_key[key].height,
                render_url(str(asset.id), choices, key),
            )
            for key in choices.presets
        ]
        preview_url = render_url(str(asset.id), choices, choices.presets[0], preview=True)
    sizes = [
        SizeChoice(p.key, p.name, p.width, p.height, p.key in choices.presets) for p in presets
    ]
    return templates.TemplateResponse(
        request,
        "library/customise.html",
        {
            "asset": asset,
            "profiles": profiles,
            "sizes": sizes,
            "formats": FORMATS,
            "local_fields": LOCAL_FIELDS,
            "choices": choices,
            "errors": dict(summary_order(choices.errors)),
            "links": links,
            "preview_url": preview_url,
            "preview_name": by_key[choices.presets[0]].name if links else "",
        },
        status_code=400 if choices.errors else 200,
        headers=NO_STORE,
    )


def summary_order(errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """Errors in the order of the form's fields (the error summary follows the page)."""
    order = ["profile", "preset", "format", *_LABELS]
    return sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)
