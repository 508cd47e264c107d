"""Reading the admins' preset form into the values :mod:`assets_hub.services.presets` takes.

Each field is checked here so a mistake is shown next to the field that causes it (numbers
out of range, no format ticked, a default format that is not ticked); the service's own
validation (the renderer's rules) still runs after, and its message goes to the summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets_hub.branding.presets import MAX_SIDE_PX, MIN_SIDE_PX, OUTPUT_FORMATS
from assets_hub.models import Preset

SAFE_EDGES = ("top", "right", "bottom", "left")
CHANNELS = (
    ("social", "Social media", "Needs consent for social media use"),
    ("web", "Website", "Needs consent for use on the web"),
    ("print", "Print", "Needs consent for print (posters, leaflets)"),
)
FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP"}
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LABELS = {
    "key": "Key",
    "name": "Name",
    "width": "Width",
    "height": "Height",
    "dpi": "Resolution",
    "byte_budget": "File size limit",
    "safe-top": "Safe area at the top",
    "safe-right": "Safe area on the right",
    "safe-bottom": "Safe area at the bottom",
    "safe-left": "Safe area on the left",
    "formats": "File formats",
    "default_format": "Default format",
    "max_upscale": "Largest enlargement",
    "channel": "Consent needed",
}


@dataclass
class PresetForm:
    """What the form shows: the typed values (as text) and an error per field id."""

    values: dict[str, Any]
    errors: dict[str, str]


def form_of(row: Preset | None) -> dict[str, Any]:
    """The form's values for a stored preset, or the defaults of a new one."""
    if row is None:
        return {
            "key": "",
            "name": "",
            "width": "",
            "height": "",
            "dpi": "72",
            "byte_budget": "",
            **{f"safe-{edge}": "0" for edge in SAFE_EDGES},
            "formats": list(OUTPUT_FORMATS),
            "default_format": "jpeg",
            "max_upscale": "1.25",
            "channel": "social",
            "is_active": True,
        }
    safe = [*row.safe_area, 0, 0, 0, 0][:4]
    return {
        "key": row.key,
        "name": row.name,
        "width": str(row.width),
        "height": str(row.height),
        "dpi": str(row.dpi),
        "byte_budget": "" if row.byte_budget is None else str(row.byte_budget),
        **{f"safe-{edge}": str(safe[i]) for i, edge in enumerate(SAFE_EDGES)},
        "formats": list(row.formats),
        "default_format": row.default_format,
        "max_upscale": f"{row.max_upscale:g}",
        "channel": row.channel,
        "is_active": row.is_active,
    }


def _whole(
    text: str, field: str, low: int, high: int, errors: dict[str, str], unit: str
) -> int | None:
    cleaned = text.replace(",", "").strip()
    if not cleaned.isdigit() or not low <= int(cleaned) <= high:
        errors[field] = f"{LABELS[field]} must be a whole number from {low:,} to {high:,} {unit}"
        return None
    return int(cleaned)


def read_form(
    form: Mapping[str, Any], formats: list[str], *, new: bool
) -> tuple[PresetForm, dict[str, Any]]:
    """(what to show again, the service's values) from a submitted form.

    ``formats`` are the ticked boxes (a multi-valued field). The values are complete only
    when the returned form has no errors.
    """
    shown: dict[str, Any] = {name: str(form.get(name, ""))[:200].strip() for name in LABELS}
    shown["formats"] = [f for f in formats if f in OUTPUT_FORMATS]
    shown["is_active"] = form.get("is_active") == "yes"
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    if new:
        if not _KEY.match(shown["key"]):
            errors["key"] = (
                "Key must be 1 to 40 lower-case letters, digits and hyphens, starting with a "
                "letter or digit, for example tiktok-cover"
            )
        data["key"] = shown["key"]
    if not 1 <= len(shown["name"]) <= 100:
        errors["name"] = "Enter a name of at most 100 characters, for example TikTok cover"
    data["name"] = shown["name"]
    data["width"] = _whole(shown["width"], "width", MIN_SIDE_PX, MAX_SIDE_PX, errors, "pixels")
    data["height"] = _whole(shown["height"], "height", MIN_SIDE_PX, MAX_SIDE_PX, errors, "pixels")
    data["dpi"] = _whole(shown["dpi"], "dpi", 72, 1200, errors, "dots per inch")
    data["byte_budget"] = (
        _whole(shown["byte_budget"], "byte_budget", 10_000, 100_000_000, errors, "bytes")
        if shown["byte_budget"]
        else None
    )
    data["safe_area"] = [
        _whole(shown[f"safe-{edge}"] or "0", f"safe-{edge}", 0, 4000, errors, "pixels")
        for edge in SAFE_EDGES
    ]
    if not shown["formats"]:
        errors["formats"] = "Select at least one file format"
    if shown["default_format"] not in shown["formats"]:
        errors["default_format"] = "Select a default format that is one of the ticked formats"
    data["formats"] = shown["formats"]
    data["default_format"] = shown["default_format"]
    try:
        upscale = float(shown["max_upscale"])
    except ValueError:
        upscale = -1.0
    if not 1.0 <= upscale <= 4.0:
        errors["max_upscale"] = "Largest enlargement must be a number from 1 to 4, such as 1.25"
    data["max_upscale"] = upscale
    if shown["channel"] not in {value for value, _, _ in CHANNELS}:
        errors["channel"] = "Select which consent a picture needs for this size"
    data["channel"] = shown["channel"]
    data["is_active"] = shown["is_active"]
    return PresetForm(shown, errors), data


def service_errors(message: str) -> dict[str, str]:
    """The service's refusal placed at the field it is about (the summary links to it)."""
    text = message.removeprefix("Please correct: ")
    for words, field in (
        ("safe area", "safe-top"),
        ("width and height", "width"),
        ("formats", "formats"),
        ("key", "key"),
    ):
        if words in text:
            return {field: text}
    return {"name": text}
