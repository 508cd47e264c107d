"""Overlay templates: a versioned, validated document of zones placed on every rendition.

A template is JSON (stored by the lead's model, edited by the campaign team) parsed by
:func:`parse_template` into frozen dataclasses; every error names the offending path, e.g.
``text[1].font_size[0]: must be a number from 0 to 1``.

Coordinates are fractions (0..1) of a *region*:

* ``"frame"``: the live area of the output frame, i.e. the frame minus the preset's safe area
  (a 9:16 story keeps clear of its top 250 px and bottom 340 px automatically);
* ``"band"``: the colour band. The band sits on one edge of the frame, is ``thickness`` times the
  live area's short side thick, and additionally covers the safe margin on its edge, so its
  content stays clear of platform UI while its colour reaches the frame edge.

Font sizes are fractions of the live area's short side, so one template reads the same on a
1080x1080 square, a 1200x627 link card and a 300 dpi poster. Text on the photo itself must
sit on a ``plate`` (a box in the band colour) so its contrast is known.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from assets_hub.branding.fonts import check_font_key

SCHEMA_VERSION = 1
Region = Literal["frame", "band"]
Edge = Literal["top", "bottom", "left", "right"]
Anchor = Literal["left", "center", "right", "top", "bottom"]
Overflow = Literal["error", "ellipsis"]

PROFILE_FIELDS = (
    "library_name",
    "library_name_cy",
    "website",
    "phone",
    "email",
    "address",
    "opening_hours",
    "social",
)
# Local fields a library types per download, with their maximum lengths (code points).
LOCAL_FIELD_LIMITS = {
    "event_title": 120,
    "event_title_cy": 120,
    "event_date": 40,
    "event_time": 40,
    "custom": 200,
}
LOCAL_FIELDS = tuple(LOCAL_FIELD_LIMITS)
FIELDS = PROFILE_FIELDS + LOCAL_FIELDS
MAX_FIELD_LENGTH = 1000  # BR-04: any profile field


class TemplateError(ValueError):
    """A template document that cannot be used; ``path`` says where (``text[0].box``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Box:
    """Fractions of a region: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Band:
    edge: Edge
    thickness: float
    colour: Literal["primary", "secondary"] = "primary"


@dataclass(frozen=True)
class LogoZone:
    region: Region
    box: Box
    anchor: Anchor = "left"
    padding: float = 0.05  # fraction of the zone's smaller side kept clear all round


@dataclass(frozen=True)
class TextSlot:
    """Text bound to one or more fields, joined by ``separator``; empty fields are skipped."""

    key: str
    region: Region
    box: Box
    fields: tuple[str, ...]
    font_size: tuple[float, float]
    max_lines: int = 1
    max_length: int = 200
    separator: str = " · "
    bold: bool = False
    font: str | None = None  # None: the profile's typeface
    align: Literal["start", "left", "center", "right"] = "start"
    valign: Literal["top", "middle", "bottom"] = "middle"
    overflow: Overflow = "error"
    plate: bool = False
    required: bool = False


@dataclass(frozen=True)
class QrZone:
    region: Region
    box: Box
    anchor: Anchor = "right"
    min_module_px: int = 3


@dataclass(frozen=True)
class CreditSlot:
    region: Region
    box: Box
    font_size: tuple[float, float]
    max_lines: int = 1


@dataclass(frozen=True)
class Template:
    """A parsed template. ``fingerprint`` hashes its canonical JSON (used in rendition keys)."""

    name: str
    revision: int
    band: Band | None
    logo: LogoZone | None
    text: tuple[TextSlot, ...]
    qr: QrZone | None
    credit: CreditSlot | None
    document: str  # canonical JSON of the source document
    fingerprint: str


def _fail(path: str, problem: str) -> TemplateError:
    return TemplateError(path, problem)


def _obj(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "must be an object")
    return cast(Mapping[str, Any], value)


def _fraction(value: object, path: str, *, positive: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(cast(float, value)) or not 0 <= cast(float, value) <= 1:
        raise _fail(path, "must be a number from 0 to 1")
    if positive and value == 0:
        raise _fail(path, "must be greater than 0")
    return float(cast(float, value))


def _int(value: object, path: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(path, f"must be a whole number from {low} to {high}")
    return value


def _choice(value: object, path: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(path, f"must be one of {', '.join(choices)}")
    return str(value)


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false")
    return value


def _box(value: object, path: str) -> Box:
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise _fail(path, "must be [x, y, width, height]")
    x, y = _fraction(value[0], f"{path}[0]"), _fraction(value[1], f"{path}[1]")
    w = _fraction(value[2], f"{path}[2]", positive=True)
    h = _fraction(value[3], f"{path}[3]", positive=True)
    if x + w > 1 + 1e-9 or y + h > 1 + 1e-9:
        raise _fail(path, "must lie inside its region (x + width ≤ 1, y + height ≤ 1)")
    return Box(x, y, w, h)


def _sizes(value: object, path: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _fail(path, "must be [minimum, maximum]")
    low = _fraction(value[0], f"{path}[0]", positive=True)
    high = _fraction(value[1], f"{path}[1]", positive=True)
    if low > high:
        raise _fail(path, "minimum must not exceed maximum")
    return low, high


def _known(doc: Mapping[str, Any], path: str, allowed: set[str]) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise _fail(f"{path}.{extra[0]}" if path else extra[0], "is not a known setting")


def _region(doc: Mapping[str, Any], path: str, has_band: bool) -> Region:
    region = _choice(doc.get("region", "frame"), f"{path}.region", ("frame", "band"))
    if region == "band" and not has_band:
        raise _fail(f"{path}.region", "is 'band' but the template has no band")
    return cast(Region, region)


def _text_slot(value: object, path: str, has_band: bool) -> TextSlot:
    doc = _obj(value, path)
    _known(doc, path, set(TextSlot.__dataclass_fields__))
    key = doc.get("key")
    if not isinstance(key, str) or not key.isidentifier():
        raise _fail(f"{path}.key", "must be a short identifier")
    fields = doc.get("fields")
    if not isinstance(fields, list | tuple) or not fields:
        raise _fail(f"{path}.fields", "must be a non-empty list of field names")
    for i, name in enumerate(fields):
        _choice(name, f"{path}.fields[{i}]", FIELDS)
    separator = doc.get("separator", " · ")
    if not isinstance(separator, str) or len(separator) > 5:
        raise _fail(f"{path}.separator", "must be text of at most 5 characters")
    font = doc.get("font")
    if font is not None:
        try:
            check_font_key(font)
        except ValueError as exc:
            raise _fail(f"{path}.font", str(exc)) from None
    region = _region(doc, path, has_band)
    plate = _bool(doc.get("plate", False), f"{path}.plate")
    if region == "frame" and not plate:
        raise _fail(f"{path}.plate", "text on the photo needs a plate so its contrast is known")
    return TextSlot(
        key=key,
        region=region,
        box=_box(doc.get("box"), f"{path}.box"),
        fields=tuple(fields),
        font_size=_sizes(doc.get("font_size"), f"{path}.font_size"),
        max_lines=_int(doc.get("max_lines", 1), f"{path}.max_lines", 1, 12),
        max_length=_int(doc.get("max_length", 200), f"{path}.max_length", 1, MAX_FIELD_LENGTH),
        separator=separator,
        bold=_bool(doc.get("bold", False), f"{path}.bold"),
        font=font,
        align=cast(Any, _choice(doc.get("align", "start"), f"{path}.align", _ALIGNS)),
        valign=cast(Any, _choice(doc.get("valign", "middle"), f"{path}.valign", _VALIGNS)),
        overflow=cast(Any, _choice(doc.get("overflow", "error"), f"{path}.overflow", _OVER)),
        plate=plate,
        required=_bool(doc.get("required", False), f"{path}.required"),
    )


_ALIGNS = ("start", "left", "center", "right")
_VALIGNS = ("top", "middle", "bottom")
_OVER = ("error", "ellipsis")
_ANCHORS = ("left", "center", "right", "top", "bottom")


def parse_template(document: object) -> Template:
    """A validated :class:`Template` from a JSON-able dict; TemplateError naming the path."""
    doc = _obj(document, "")
    _known(doc, "", {"schema", "name", "revision", "band", "logo", "text", "qr", "credit"})
    if doc.get("schema") != SCHEMA_VERSION:
        raise _fail("schema", f"must be {SCHEMA_VERSION}")
    name = doc.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise _fail("name", "must be text of 1 to 100 characters")
    band = None
    if doc.get("band") is not None:
        b = _obj(doc["band"], "band")
        _known(b, "band", {"edge", "thickness", "colour"})
        band = Band(
            edge=cast(
                Edge, _choice(b.get("edge"), "band.edge", ("top", "bottom", "left", "right"))
            ),
            thickness=_fraction(b.get("thickness"), "band.thickness", positive=True),
            colour=cast(
                Any, _choice(b.get("colour", "primary"), "band.colour", ("primary", "secondary"))
            ),
        )
        if band.thickness > 0.5:
            raise _fail("band.thickness", "must be at most 0.5")
    has_band = band is not None
    logo = None
    if doc.get("logo") is not None:
        z = _obj(doc["logo"], "logo")
        _known(z, "logo", {"region", "box", "anchor", "padding"})
        logo = LogoZone(
            region=_region(z, "logo", has_band),
            box=_box(z.get("box"), "logo.box"),
            anchor=cast(Anchor, _choice(z.get("anchor", "left"), "logo.anchor", _ANCHORS)),
            padding=_fraction(z.get("padding", 0.05), "logo.padding"),
        )
    slots = doc.get("text", [])
    if not isinstance(slots, list) or len(slots) > 12:
        raise _fail("text", "must be a list of at most 12 text slots")
    text = tuple(_text_slot(s, f"text[{i}]", has_band) for i, s in enumerate(slots))
    keys = [s.key for s in text]
    if len(set(keys)) != len(keys):
        raise _fail("text", "slot keys must be unique")
    qr = None
    if doc.get("qr") is not None:
        q = _obj(doc["qr"], "qr")
        _known(q, "qr", {"region", "box", "anchor", "min_module_px"})
        qr = QrZone(
            region=_region(q, "qr", has_band),
            box=_box(q.get("box"), "qr.box"),
            anchor=cast(Anchor, _choice(q.get("anchor", "right"), "qr.anchor", _ANCHORS)),
            min_module_px=_int(q.get("min_module_px", 3), "qr.min_module_px", 1, 20),
        )
    credit = None
    if doc.get("credit") is not None:
        c = _obj(doc["credit"], "credit")
        _known(c, "credit", {"region", "box", "font_size", "max_lines"})
        credit = CreditSlot(
            region=_region(c, "credit", has_band),
            box=_box(c.get("box"), "credit.box"),
            font_size=_sizes(c.get("font_size"), "credit.font_size"),
            max_lines=_int(c.get("max_lines", 1), "credit.max_lines", 1, 3),
        )
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Template(
        name=name,
        revision=_int(doc.get("revision", 1), "revision", 1, 10**9),
        band=band,
        logo=logo,
        text=text,
        qr=qr,
        credit=credit,
        document=canonical,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
    )


DEFAULT_TEMPLATE_DOCUMENT: dict[str, Any] = {
    "schema": SCHEMA_VERSION,
    "name": "Default library band",
    "revision": 1,
    # Bottom band: logo | name, contact, credit | QR code.
    "band": {"edge": "bottom", "thickness": 0.24, "colour": "primary"},
    "logo": {"region": "band", "box": [0.02, 0.1, 0.2, 0.8], "anchor": "left", "padding": 0.06},
    "text": [
        {
            "key": "name",
            "region": "band",
            "box": [0.24, 0.06, 0.56, 0.42],
            "fields": ["library_name", "library_name_cy"],
            "separator": "\n",
            "font_size": [0.032, 0.06],
            "max_lines": 2,
            "max_length": 241,
            "bold": True,
            "required": True,
        },
        {
            "key": "contact",
            "region": "band",
            "box": [0.24, 0.5, 0.56, 0.32],
            "fields": ["website", "phone", "email", "opening_hours", "address", "social"],
            "font_size": [0.02, 0.028],
            "max_lines": 3,
            "max_length": 1000,
            "overflow": "ellipsis",
        },
        # The event goes on a plate over the photo, away from the subject (or into the band
        # when the photo has no room clear of it): title, then date and time, then the rest.
        {
            "key": "title",
            "region": "frame",
            "box": [0.04, 0.04, 0.92, 0.3],
            "fields": ["event_title", "event_title_cy"],
            "separator": "\n",
            "font_size": [0.028, 0.052],
            "max_lines": 3,
            "max_length": 241,
            "bold": True,
            "plate": True,
        },
        {
            "key": "when",
            "region": "frame",
            "box": [0.04, 0.04, 0.92, 0.1],
            "fields": ["event_date", "event_time"],
            "font_size": [0.024, 0.036],
            "max_lines": 2,
            "max_length": 83,
            "plate": True,
        },
        {
            "key": "extra",
            "region": "frame",
            "box": [0.04, 0.04, 0.92, 0.1],
            "fields": ["custom"],
            "font_size": [0.02, 0.028],
            "max_lines": 3,
            "max_length": 200,
            "plate": True,
        },
    ],
    "qr": {"region": "band", "box": [0.82, 0.04, 0.16, 0.92], "anchor": "right"},
    "credit": {
        "region": "band",
        "box": [0.24, 0.83, 0.56, 0.15],
        "font_size": [0.016, 0.02],
        "max_lines": 2,
    },
}
DEFAULT_TEMPLATE = parse_template(DEFAULT_TEMPLATE_DOCUMENT)
