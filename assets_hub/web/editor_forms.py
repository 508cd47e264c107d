"""Helpers for the campaign team's pages: form values in and out, error messages mapped to the
fields they belong to, and the read-only queries behind the review queue and the audit log.

Kept apart from ``editor_pages`` so the route functions stay thin (parse, call, render).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from assets_hub.errors import Unprocessable
from assets_hub.models import Asset, AssetVersion, Campaign, Kind, Status
from assets_hub.services.lifecycle import TRANSITIONS
from assets_hub.services.metadata import AUDIENCES, LICENCES
from assets_hub.services.rights import CHANNELS

# Metadata fields on the edit form (focal point has its own form), in page order.
EDIT_FIELDS = (
    "title", "description", "tags", "campaign", "kind", "audience", "alt_text", "credit",
    "licence", "licence_terms", "licence_expires_at", "language", "embargo_until", "expires_at",
)  # fmt: skip
# The upload form describes every file it sends alike, so no title or description there.
UPLOAD_FIELDS = tuple(f for f in EDIT_FIELDS if f not in ("title", "description"))
DATE_FIELDS = ("licence_expires_at", "embargo_until", "expires_at")
_DATE_PARTS = ("day", "month", "year")
LABELS = {
    "title": "Title",
    "description": "Description",
    "tags": "Tags",
    "campaign": "Campaign",
    "kind": "Kind",
    "audience": "Audience",
    "alt_text": "Alt text",
    "credit": "Credit line",
    "licence": "Licence",
    "licence_terms": "Licence terms",
    "licence_expires_at": "Licence expires",
    "language": "Language",
    "embargo_until": "Embargo until",
    "expires_at": "Expires",
    "focal_point": "Focal point",
    "file": "Files",
    "reference": "Form reference",
    "channels": "Channels",
    "given_on": "Date given",
    "expires_on": "Consent expires",
    "is_child": "Child",
}
# Where a publish rule is fixed: the field its summary link points to.
_PROBLEM_FIELDS = (
    ("alt text", "alt_text"),
    ("credit", "credit"),
    ("terms", "licence_terms"),
    ("licence has expired", "licence_expires_at"),
    ("licence", "licence"),
    ("consent", "consents"),
    ("expiry", "expires_at"),
)
_FIELD_PROBLEM = re.compile(r"^([a-z_]+): (.+)$", re.S)


def form_values(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a parsed form (starlette FormData or a mapping of lists).

    Checkbox groups (``audience``) are always present, as a list: unticking every box is a
    change too. Text fields the form did not send are left out, so PATCH-like edits only
    touch what the page showed.
    """
    values: dict[str, Any] = {}
    for name in names:
        items = _getlist(form, name)
        if name == "audience":
            values[name] = [str(v) for v in items]
        elif items:
            values[name] = str(items[-1])
        elif name in DATE_FIELDS and _getlist(form, f"{name}-year"):
            values[name] = date_from_parts(form, name)
    return values


def date_from_parts(form: Any, name: str) -> str:
    """A GOV.UK date input (``name-day``, ``-month``, ``-year``, and the time the field
    had, kept in ``name-time``) as the ISO text the metadata parser reads; "" when empty.

    Parts that are not a date are passed on as typed, so the parser's error names the field.
    """
    parts = [str((_getlist(form, f"{name}-{p}") or [""])[-1]).strip() for p in _DATE_PARTS]
    day, month, year = parts
    if not any(parts):
        return ""
    time = str((_getlist(form, f"{name}-time") or [""])[-1]).strip()
    if not all(p.isdigit() for p in parts):
        return f"{year}-{month}-{day}"
    text = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{text}T{time}" if re.fullmatch(r"\d{2}:\d{2}", time) else text


def _getlist(form: Any, name: str) -> list[Any]:
    if hasattr(form, "getlist"):
        return list(form.getlist(name))
    found = form.get(name, [])
    return list(found) if isinstance(found, list) else [found]


def upload_values(fields: Mapping[str, str], lists: Mapping[str, list[str]]) -> dict[str, Any]:
    """Metadata from a multipart upload form (checkbox groups come from ``lists``)."""
    merged: dict[str, list[str]] = {name: [value] for name, value in fields.items()}
    merged.update({name: list(values) for name, values in lists.items()})
    return form_values(merged, UPLOAD_FIELDS)


MAX_PER_FILE = 200


def per_file_values(fields: Mapping[str, str], count: int) -> list[dict[str, str]]:
    """The details typed beside each chosen file (``title-0``, ``alt_text-0``…), in file
    order; empty boxes fall back to the details for every file."""
    rows: list[dict[str, str]] = []
    for n in range(min(count, MAX_PER_FILE)):
        row = {}
        for name in ("title", "alt_text"):
            value = str(fields.get(f"{name}-{n}", "")).strip()
            if value:
                row[name] = value
        rows.append(row)
    return rows + [{} for _ in range(count - len(rows))]


def field_errors(message: str, *, prefix: str = "", fallback: str = "metadata") -> dict[str, str]:
    """A service's "Please correct: a: ...; b: ...." message as {field id: message}.

    Field ids get ``prefix``; problems that name no field go under ``fallback`` (the id of
    the form's heading) so the error summary still shows them.
    """
    body = message.removeprefix("Please correct: ").rstrip(".")
    errors: dict[str, str] = {}
    for part in body.split("; "):
        match = _FIELD_PROBLEM.match(part.strip())
        if match and match.group(1) in LABELS:
            name = match.group(1)
            key = prefix + name
            text = f"{LABELS[name]}: {match.group(2)}"
            errors[key] = f"{errors[key]}; {match.group(2)}" if key in errors else text
        else:
            errors.setdefault(fallback, message)
    return errors


def problem_errors(problems: list[str]) -> dict[str, str]:
    """Publish rules as summary errors linked to the field that fixes each."""
    errors: dict[str, str] = {}
    for problem in problems:
        target = next((f for words, f in _PROBLEM_FIELDS if words in problem), "publish-problems")
        text = f"To publish, {problem}"
        errors[target] = f"{errors[target]}; {problem}" if target in errors else text
    return errors


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def asset_form_values(asset: Asset) -> dict[str, Any]:
    """What the edit form shows for an asset (campaign and tags must be fetched)."""
    campaign = asset.campaign
    return {
        "title": asset.title,
        "description": asset.description,
        "tags": ", ".join(t.name for t in asset.tags),
        "campaign": campaign.slug if campaign is not None else "",
        "kind": asset.kind.value,
        "audience": list(asset.audience),
        "alt_text": asset.alt_text,
        "credit": asset.credit,
        "licence": asset.licence,
        "licence_terms": asset.licence_terms,
        "licence_expires_at": _when(asset.licence_expires_at),
        "language": asset.language,
        "embargo_until": _when(asset.embargo_until),
        "expires_at": _when(asset.expires_at),
    }


def empty_upload_values() -> dict[str, Any]:
    """The upload form's starting values."""
    values: dict[str, Any] = dict.fromkeys(UPLOAD_FIELDS, "")
    values.update(audience=[], language="en", kind="")
    return values


def consent_values(form: Any) -> dict[str, Any]:
    """A consent record from the add-consent form, in the shape rights.add_consent checks."""
    return {
        "reference": str(form.get("reference", "")),
        "channels": [str(c) for c in _getlist(form, "channels")],
        "given_on": str(form.get("given_on", "")),
        "expires_on": str(form.get("expires_on", "")),
        "is_child": str(form.get("is_child", "")) == "yes",
    }


@dataclass(frozen=True)
class FocalBox:
    """The size the focal-point image is shown at, fitted in a square, in CSS pixels."""

    width: int
    height: int

    @classmethod
    def for_version(cls, version: AssetVersion, side: int = 400) -> FocalBox:
        width, height = version.width or side, version.height or side
        scale = side / max(width, height)
        return cls(max(1, round(width * scale)), max(1, round(height * scale)))


def focal_from_form(form: Any, box: FocalBox) -> str | None:
    """ "x,y" (0 to 1) from a click on the image (``image.x``/``image.y`` in CSS pixels) or typed.

    None when the image button was pressed from the keyboard (browsers send 0,0 then), which
    chooses no place. The result is checked by ``parse_metadata`` like the API's input.
    """
    clicked_x, clicked_y = form.get("image.x"), form.get("image.y")
    if clicked_x is not None and clicked_y is not None:
        try:
            pixel_x, pixel_y = int(str(clicked_x)), int(str(clicked_y))
        except ValueError:
            return "not,numbers"
        if pixel_x == 0 and pixel_y == 0:
            return None
        x = min(max(pixel_x / box.width, 0.0), 1.0)
        y = min(max(pixel_y / box.height, 0.0), 1.0)
        return f"{x:.3f},{y:.3f}"
    return f"{str(form.get('focal_x', '')).strip()},{str(form.get('focal_y', '')).strip()}"


def days_until(day: date | datetime, today: date) -> int:
    """Whole days from today to a date (or a datetime's date)."""
    target = day.date() if isinstance(day, datetime) else day
    return (target - today).days


async def field_choices() -> dict[str, Any]:
    """Options of the metadata fields' selects and checkbox groups."""
    campaigns = await Campaign.all().order_by("name").values_list("slug", "name")
    return {
        "campaigns": [(str(slug), str(name)) for slug, name in campaigns],
        "kinds": [(k.value, k.value.replace("_", " ").capitalize()) for k in Kind],
        "licences": [(key, text) for key, (text, _) in LICENCES.items()],
        "audiences": [(a, a.capitalize()) for a in AUDIENCES],
        "channels": [(c, c.capitalize()) for c in CHANNELS],
    }


def actions_for(status: Status) -> list[tuple[str, str]]:
    """Workflow buttons for the asset's state: (action, button text)."""
    texts = {
        "submit": "Submit for review",
        "publish": "Publish",
        "withdraw": "Withdraw",
        "archive": "Archive",
    }
    return [(action, text) for action, text in texts.items() if status in TRANSITIONS[action][0]]


ZONE_PAGES = (("last", "The last page"), ("first", "The first page"), ("all", "Every page"))


def zone_from_form(form: Any) -> dict[str, Any]:
    """The brand zone form as the service's JSON: percentages from the page's top-left
    corner become fractions; four empty boxes mean the default footer strip."""
    pages = str(form.get("zone-pages", "last"))
    if pages not in {key for key, _ in ZONE_PAGES}:
        raise Unprocessable("brand zone: choose which pages carry the branding")
    raw = [str(form.get(f"zone-{n}", "")).strip() for n in ("x", "y", "width", "height")]
    if not any(raw):
        return {"pages": pages, "rect": None}
    try:
        x, y, width, height = (float(v) / 100 for v in raw)
    except ValueError:
        raise Unprocessable(
            "brand zone: enter four numbers from 0 to 100 (per cent of the page), "
            "or leave all four empty for the footer strip"
        ) from None
    rect = {"x": x, "y": y, "width": width, "height": height, "unit": "fraction"}
    return {"pages": pages, "rect": rect}


def zone_form_view(layout: Any, typed: Mapping[str, str] | None) -> dict[str, Any]:
    """The zone editor's values (per cent, as typed after a refusal) and the SVG box."""
    zone = layout.zone
    rect = zone.get("rect")
    width_pt, height_pt = layout.page_sizes[-1] if layout.page_sizes else (595.0, 842.0)
    if rect is None:
        box = {"x": 0.0, "y": 90.0, "width": 100.0, "height": 10.0}
    elif rect.get("unit") == "pt":
        box = {
            "x": 100 * rect["x"] / width_pt,
            "y": 100 * rect["y"] / height_pt,
            "width": 100 * rect["width"] / width_pt,
            "height": 100 * rect["height"] / height_pt,
        }
    else:
        box = {k: 100 * float(rect[k]) for k in ("x", "y", "width", "height")}
    shown = {
        k: f"{v:g}" if rect is not None else ""
        for k, v in ((k, round(v, 1)) for k, v in box.items())
    }
    if typed is not None:
        shown = {k: str(typed.get(f"zone-{k}", "")) for k in box}
    return {
        "pages": str(zone.get("pages", "last")) if isinstance(zone.get("pages"), str) else "last",
        "page_choices": ZONE_PAGES,
        "values": shown,
        "box": {k: round(v, 2) for k, v in box.items()},
        "default": rect is None,
        "page_count": len(layout.page_sizes),
        "aspect": round(height_pt / width_pt, 4) if width_pt else 1.414,
        "form_fields": layout.form_fields,
        "fillable": layout.fillable,
    }
