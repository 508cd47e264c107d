"""Form values in and out for the case study and post editors, and the services' error
messages mapped to the fields they belong to (kept apart so ``content_pages`` stays thin).

Field ids follow the page: ``caption-<platform>``, ``image-<n>``, ``image-<n>-alt``,
``figure-<n>-label``; a posting window date is three GOV.UK date inputs
(``window_start-day``, ``-month``, ``-year``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assets_hub.models import Asset, CaseStudy, Kind, SocialPost
from assets_hub.social.captions import TemplateError, compose_caption, parse_template
from assets_hub.social.platforms import PlatformRules

FIGURE_ROWS = 4
CASE_IMAGE_ROWS = 3
POST_IMAGE_ROWS = 4
MAX_IMAGE_CHOICES = 300
DATE_PARTS = ("day", "month", "year")
WINDOW_FIELDS = ("window_start", "window_end")

LABELS = {
    "title": "Title",
    "campaign": "Campaign",
    "licence": "Licence",
    "credit": "Credit line",
    "tags": "Tags",
    "library_featured": "Library featured",
    "summary": "Summary",
    "body_markdown": "Story",
    "pull_quote": "Pull quote",
    "pull_quote_by": "Pull quote by",
    "hashtags": "Hashtags",
    "link": "Link",
    "window_start": "Posting window starts",
    "window_end": "Posting window ends",
}
_PART = re.compile(r"^([a-z_]+)(?:\.([a-z]+))?(?:\[(\d+)\])?(?:\.([a-z]+))?: (.+)$", re.S)
# Case study checks (documents.casestudy) name fields in words: the words -> the field id.
_CASE_WORDS = (
    ("figure", "figure-1-label"),
    ("library featured", "library_featured"),
    ("pull quote attribution", "pull_quote_by"),
    ("pull quote", "pull_quote"),
    ("summary", "summary"),
    ("body", "body_markdown"),
    ("image", "image-1"),
    ("title", "title"),
)


@dataclass(frozen=True)
class PlatformCount:
    """One platform's count of a caption as the editor shows it (JavaScript keeps it live)."""

    key: str
    label: str
    counting: str
    maximum: int
    length: int

    @property
    def over(self) -> bool:
        return self.length > self.maximum


def _text(form: Any, name: str, limit: int = 20_000) -> str:
    return str(form.get(name, "") or "").strip()[:limit]


def meta_from_form(form: Any) -> dict[str, Any]:
    """Title, campaign, licence, credit and tags: what every asset has."""
    data: dict[str, Any] = {
        name: _text(form, name, 500) for name in ("title", "licence", "credit", "tags")
    }
    data["campaign"] = _text(form, "campaign", 100) or None
    return {k: v for k, v in data.items() if v not in ("", None)}


def case_study_from_form(form: Any) -> dict[str, Any]:
    """The case study service's data from the editor's fields (empty rows left out)."""
    data = {
        name: _text(form, name)
        for name in ("library_featured", "summary", "body_markdown", "pull_quote", "pull_quote_by")
    }
    figures = []
    for n in range(1, FIGURE_ROWS + 1):
        label, value = _text(form, f"figure-{n}-label", 200), _text(form, f"figure-{n}-value", 200)
        if label or value:
            figures.append({"label": label, "value": value})
    images = []
    for n in range(1, CASE_IMAGE_ROWS + 1):
        asset_id = _text(form, f"image-{n}", 40)
        if asset_id:
            images.append({"asset_id": asset_id, "caption": _text(form, f"image-{n}-caption", 300)})
    return {**data, "figures": figures, "images": images}


def _date(form: Any, name: str) -> tuple[str | None, str]:
    """A GOV.UK date input's ISO value (midnight UTC), and an error when it is not a date."""
    parts = [_text(form, f"{name}-{p}", 4) for p in DATE_PARTS]
    if not any(parts):
        return None, ""
    if not all(p.isdigit() for p in parts):
        missing = [p for p, v in zip(DATE_PARTS, parts, strict=True) if not v.isdigit()]
        return None, f"{LABELS[name]} must include a {' and '.join(missing)}"
    day, month, year = (int(p) for p in parts)
    try:
        when = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None, f"{LABELS[name]} must be a real date, for example 27 3 2027"
    if year < 2000:
        return None, f"{LABELS[name]}: enter the year with four digits, for example 2027"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ"), ""


def post_from_form(
    form: Any, platforms: dict[str, PlatformRules]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The post service's data from the editor's fields, and the date inputs' errors."""
    captions = {"default": _text(form, "caption-default", 10_000)}
    for key in platforms:
        own = _text(form, f"caption-{key}", 10_000)
        if own:
            captions[key] = own
    hashtags = [t for t in re.split(r"[\s,]+", _text(form, "hashtags", 3000)) if t.strip("#")]
    images = []
    for n in range(1, POST_IMAGE_ROWS + 1):
        asset_id = _text(form, f"image-{n}", 40)
        if asset_id:
            images.append(
                {
                    "asset_id": asset_id,
                    "alt": _text(form, f"image-{n}-alt", 2000),
                    "decorative": form.get(f"image-{n}-decorative") == "yes",
                }
            )
    data: dict[str, Any] = {
        "captions": captions,
        "hashtags": [t.lstrip("#") for t in hashtags],
        "link": _text(form, "link", 2048),
        "images": images,
    }
    errors: dict[str, str] = {}
    for name in WINDOW_FIELDS:
        value, error = _date(form, name)
        data[name] = value
        if error:
            errors[f"{name}-day"] = error
    return data, errors


def content_errors(message: str, *, fallback: str = "content") -> dict[str, str]:
    """A service's message ("Please correct: captions.x: …; link: ….") as {field id: text}."""
    body = message.removeprefix("Please correct: ").rstrip(".")
    errors: dict[str, str] = {}
    for part in body.split("; "):
        found = _PART.match(part.strip())
        field_id, text = "", part.strip()
        if found:
            name, platform, number, sub, problem = found.groups()
            if name == "captions":
                field_id = f"caption-{platform or 'default'}"
                label = "Caption" + (f" for {platform}" if platform else "")
                text = f"{label}: {problem}"
            elif name in ("images", "figures"):
                row = number or "1"
                field_id = f"image-{row}" if name == "images" else f"figure-{row}-label"
                if sub == "alt":
                    field_id += "-alt"
                text = f"{'Image' if name == 'images' else 'Figure'} {row}: {problem}"
            elif name in LABELS:
                field_id = f"{name}-day" if name in WINDOW_FIELDS else name
                text = f"{LABELS[name]}: {problem}"
        if not field_id:
            lowered = part.lower()
            field_id = next((f for words, f in _CASE_WORDS if words in lowered), fallback)
            text = part.strip()[:1].upper() + part.strip()[1:]
        errors[field_id] = f"{errors[field_id]}; {text}" if field_id in errors else text
    return errors


async def image_choices() -> list[tuple[str, str]]:
    """Images a post or case study may use: (asset id, title), by title."""
    rows = (
        await Asset.filter(kind=Kind.IMAGE, deleted_at__isnull=True)
        .order_by("title")
        .limit(MAX_IMAGE_CHOICES)
        .values_list("id", "title")
    )
    return [(str(i), str(t)) for i, t in rows]


def _date_parts(value: datetime | None) -> dict[str, str]:
    if value is None:
        return dict.fromkeys(DATE_PARTS, "")
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def case_study_values(asset: Asset | None, row: CaseStudy | None) -> dict[str, Any]:
    """What the case study form shows (empty for a new one)."""
    values: dict[str, Any] = {
        "title": asset.title if asset else "",
        "campaign": "",
        "licence": asset.licence if asset else "",
        "credit": asset.credit if asset else "",
        "tags": "",
    }
    for name in ("library_featured", "summary", "body_markdown", "pull_quote", "pull_quote_by"):
        values[name] = getattr(row, name) if row else ""
    figures = list(row.figures) if row else []
    images = list(row.images) if row else []
    for n in range(1, FIGURE_ROWS + 1):
        figure = figures[n - 1] if n <= len(figures) else {}
        values[f"figure-{n}-label"] = figure.get("label", "")
        values[f"figure-{n}-value"] = figure.get("value", "")
    for n in range(1, CASE_IMAGE_ROWS + 1):
        image = images[n - 1] if n <= len(images) else {}
        values[f"image-{n}"] = image.get("asset_id", "")
        values[f"image-{n}-caption"] = image.get("caption", "")
    return values


def post_values(
    asset: Asset | None, row: SocialPost | None, platforms: dict[str, PlatformRules]
) -> dict[str, Any]:
    """What the post form shows (empty for a new one)."""
    values: dict[str, Any] = {
        "title": asset.title if asset else "",
        "campaign": "",
        "licence": asset.licence if asset else "",
        "credit": asset.credit if asset else "",
        "tags": "",
        "caption-default": row.captions.get("default", "") if row else "",
        "hashtags": " ".join(f"#{t}" for t in row.hashtags) if row else "",
        "link": row.link if row else "",
    }
    for key in platforms:
        values[f"caption-{key}"] = row.captions.get(key, "") if row else ""
    images = list(row.images) if row else []
    for n in range(1, POST_IMAGE_ROWS + 1):
        image = images[n - 1] if n <= len(images) else {}
        values[f"image-{n}"] = str(image.get("asset_id", ""))
        values[f"image-{n}-alt"] = str(image.get("alt", ""))
        values[f"image-{n}-decorative"] = bool(image.get("decorative"))
    for name in WINDOW_FIELDS:
        parts = _date_parts(getattr(row, name) if row else None)
        values.update({f"{name}-{p}": v for p, v in parts.items()})
    return values


def form_echo(form: Any, names: list[str]) -> dict[str, Any]:
    """What was typed, to show again after a refused save."""
    return {name: str(form.get(name, "") or "") for name in names}


def caption_counts(
    values: dict[str, Any], platforms: dict[str, PlatformRules]
) -> dict[str, list[PlatformCount]]:
    """Per caption field: each platform it goes to, counted that platform's way.

    The count is of the caption's own words and the link as the staff copy places it, with
    every ``{field}`` left out (the library's details come on top); hashtags are added only
    where they fit, so they never count against the limit.
    """
    link = str(values.get("link", ""))
    own = {k for k in platforms if str(values.get(f"caption-{k}", "")).strip()}
    counts: dict[str, list[PlatformCount]] = {}
    for field_key in ("default", *platforms):
        targets = [k for k in platforms if k not in own] if field_key == "default" else [field_key]
        text = str(values.get(f"caption-{field_key}", ""))
        try:
            skeleton = parse_template(text).skeleton
        except TemplateError:
            skeleton = re.sub(r"\{[^{}]*\}", "", text)
        rows = []
        for key in targets:
            rules = platforms[key]
            composed = compose_caption(skeleton, [], link, rules)
            rows.append(
                PlatformCount(
                    key,
                    rules.label,
                    rules.counting.value,
                    rules.caption_max,
                    rules.length(composed),
                )
            )
        counts[field_key] = rows
    return counts
