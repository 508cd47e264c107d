"""Presentation helpers for the branding profile form (used by :mod:`library_pages`).

Which fields the form shows and how they are labelled; reading a submitted form into the
values the branding service takes (a colour comes as a picker and a typed #RRGGBB field);
wording the service's validation messages as inline errors; and the sample picture the editor
previews the branding on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from assets_hub.auth.principal import Principal, viewer_for
from assets_hub.backends import Backends
from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import parse_colour
from assets_hub.branding.fonts import DEFAULT_FONT
from assets_hub.branding.overlays import PROFILE_FIELDS
from assets_hub.branding.sample import sample_source
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.media.renditions import RenderRequest, RenderResult, render
from assets_hub.models import Asset, BrandingProfileVersion, Kind, Preset
from assets_hub.services import branding, rendering
from assets_hub.services.branding import ProfileView
from assets_hub.services.presets import to_render_preset
from assets_hub.services.rendering import RenderAsk
from assets_hub.threads import run_blocking

SAMPLE_PRESET = "instagram-square"
SAMPLE_TITLE = "Your event title"
DEFAULT_COLOURS = {"primary": "#1d70b8", "secondary": "#ffffff", "text": "#ffffff"}


@dataclass(frozen=True)
class FormField:
    """One input of the profile form."""

    id: str
    label: str
    hint: str = ""
    type: str = "text"
    autocomplete: str = "off"


COLOURS = (
    FormField("primary", "Band colour", "The colour of the band along the edge of the picture"),
    FormField("secondary", "Second colour", "Used for details; it should stand out from the band"),
    FormField("text", "Text colour", "Text on the band; it needs a contrast of at least 4.5:1"),
)
TEXT_FIELDS = (
    FormField("library_name", "Library name", "As it should appear on the picture"),
    FormField("library_name_cy", "Library name in Welsh", "Optional"),
    FormField("website", "Website", "For example, https://www.example.gov.uk/libraries", "url"),
    FormField("phone", "Phone number", "", "tel"),
    FormField("email", "E-mail address", "", "email"),
    FormField("address", "Address"),
    FormField("opening_hours", "Opening hours", "For example, Monday to Saturday, 9am to 5pm"),
    FormField("social", "Social media", "For example, @leedslibraries"),
    FormField("qr_url", "QR code link", "The web address the QR code opens; optional", "url"),
)
LABELS = {f.id: f.label for f in (*COLOURS, *TEXT_FIELDS)} | {
    "name": "Profile name",
    "font": "Typeface",
    "logo": "Logo",
    "is_default": "Default profile",
}
FIELD_IDS = ("name", "primary", "secondary", "text", "font", "qr_url", *PROFILE_FIELDS)
# What the editor's live preview may override (unsaved values; nothing is stored).
PREVIEW_PARAMS = ("primary", "secondary", "text", "font", "qr_url", *PROFILE_FIELDS)


@dataclass
class ProfileForm:
    """The form's values as strings (what people typed), plus the version it was loaded at."""

    name: str = ""
    values: dict[str, str] = field(default_factory=dict)
    font: str = DEFAULT_FONT
    is_default: bool = False
    version: int | None = None

    def picker(self, colour: str) -> str:
        """A value the colour picker accepts (#rrggbb): the typed one if valid, else a default."""
        try:
            return parse_colour(self.values.get(colour, ""))
        except ValueError:
            return DEFAULT_COLOURS[colour]

    def service_values(self) -> dict[str, Any]:
        """What the branding service takes: empty text clears a field, colours are kept."""
        out: dict[str, Any] = {"name": self.name, "font": self.font}
        for colour in COLOURS:
            if self.values.get(colour.id):
                out[colour.id] = self.values[colour.id]
        for name in PROFILE_FIELDS:
            out[name] = self.values.get(name, "")
        out["qr_url"] = self.values.get("qr_url") or None
        if self.is_default:
            out["is_default"] = True
        return out


def form_from(view: ProfileView | None) -> ProfileForm:
    """The form filled from a saved profile version (defaults for a new profile)."""
    if view is None:
        return ProfileForm(values=dict(DEFAULT_COLOURS))
    v = view.version
    values = {"primary": v.primary, "secondary": v.secondary, "text": v.text}
    values |= {name: str(v.values.get(name, "")) for name in PROFILE_FIELDS}
    values["qr_url"] = v.qr_url or ""
    return ProfileForm(view.profile.name, values, v.font, view.profile.is_default, v.number)


def version_of(value: object) -> int | None:
    """The hidden version field (None when missing or not a number: no concurrency check)."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def colour_choice(typed: str, picked: str, saved: str) -> str:
    """A colour from the picker and the typed field: whichever was changed from ``saved``.

    Without JavaScript the two inputs are not kept in step, so a changed typed value wins,
    then a changed picker value; when neither changed, the saved colour stays.
    """
    typed, picked = typed.strip(), picked.strip()
    if typed and typed.lower() != saved.lower():
        return typed
    if picked and picked.lower() != saved.lower():
        return picked
    return typed or saved


def read_form(form: Mapping[str, Any], current: BrandingProfileVersion | None) -> ProfileForm:
    """A submitted profile form (``current``: the version the colours are compared with)."""

    def text(name: str, limit: int = 2100) -> str:
        return str(form.get(name, ""))[:limit]

    values: dict[str, str] = {}
    for colour in COLOURS:
        saved = getattr(current, colour.id) if current else DEFAULT_COLOURS[colour.id]
        values[colour.id] = colour_choice(
            text(colour.id, 40), text(f"{colour.id}_picker", 40), saved
        )
    for name in (*PROFILE_FIELDS, "qr_url"):
        values[name] = text(name).strip()
    return ProfileForm(
        name=text("name", 300),
        values=values,
        font=text("font", 60) or DEFAULT_FONT,
        is_default=form.get("is_default") == "yes",
        version=version_of(form.get("version")),
    )


def _field_of(part: str, ids: Iterable[str]) -> tuple[str | None, str]:
    head, _, rest = part.partition(":")
    if rest and head.strip() in ids:
        return head.strip(), rest.strip()
    for name in ids:
        if f"'{name}'" in part or part.startswith(f"{name} "):
            return name, part
    return None, part


def field_errors(message: str, ids: Iterable[str], *, default: str = "name") -> dict[str, str]:
    """A service message (``Please correct: primary: …; font: ….``) as inline errors by field."""
    ids = tuple(ids)
    text = message.removeprefix("Please correct:").strip().rstrip(".")
    errors: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split("; "))):
        name, detail = _field_of(part, ids)
        detail = detail[:1].upper() + detail[1:]
        if name is None:
            errors.setdefault(default, detail)
        else:
            label = LABELS.get(name)
            errors.setdefault(name, f"{label}: {detail}" if label else detail)
    return errors or {default: message}


async def _sample_preset() -> Preset | None:
    preferred = await Preset.get_or_none(key=SAMPLE_PRESET, is_active=True)
    return preferred or await Preset.filter(is_active=True).order_by("id").first()


async def sample_url(principal: Principal, profile_id: int) -> str:
    """The profile's preview URL: on the newest published image, or on a generated sample."""
    asset = (
        await Asset.filter(viewer_for(principal).asset_filter(), kind=Kind.IMAGE)
        .order_by("-published_at")
        .first()
    )
    base = f"/library/profiles/{profile_id}/preview"
    return f"{base}?{urlencode({'asset': str(asset.id)})}" if asset else base


def draft_brand(saved: Brand, overrides: Mapping[str, str]) -> Brand:
    """The saved branding with the form's unsaved values on top (422 naming a bad value)."""
    changes: dict[str, Any] = {}
    for name in ("primary", "secondary", "text", "font"):
        value = overrides.get(name, "").strip()
        if value:
            changes[name] = value[:40]
    fields = dict(saved.fields)
    for name in PROFILE_FIELDS:
        if name in overrides:
            value = overrides[name].strip()
            if value:
                fields[name] = value[:2000]
            else:
                fields.pop(name, None)
    if "qr_url" in overrides:
        changes["qr_url"] = overrides["qr_url"].strip()[:2100] or None
    try:
        return dataclasses.replace(saved, fields=fields, **changes)
    except ValueError as exc:
        raise Unprocessable(f"The preview could not be made: {exc}.") from None


async def render_draft(
    backends: Backends,
    principal: Principal,
    view: ProfileView,
    asset_id: str | None,
    overrides: Mapping[str, str],
) -> RenderResult:
    """A preview-size picture with the draft branding: on the asset, or on the sample."""
    row = await _sample_preset()
    if row is None:
        raise NotFound("No output sizes are set up yet.")
    brand = draft_brand(await branding.brand_for(backends, view.version), overrides)
    if asset_id:
        ask = RenderAsk(
            asset_id, row.key, view.profile.id, None, {"event_title": SAMPLE_TITLE}, preview=True
        )
        prepared = await rendering.prepare(backends, principal, ask)
        request = dataclasses.replace(prepared.request, brand=brand)
        return await rendering.render_now(backends, dataclasses.replace(prepared, request=request))
    sample = RenderRequest(
        source=sample_source(),
        source_version="sample:1",
        preset=to_render_preset(row),
        format=row.default_format,  # type: ignore[arg-type]
        brand=brand,
        local_fields={"event_title": SAMPLE_TITLE},
        preview=True,
    )
    return await run_blocking("pillow", render, sample)
