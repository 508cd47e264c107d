"""Overlay templates: the campaign team's reusable designs, each edit a new version.

A template's document is validated by :func:`assets_hub.branding.overlays.parse_template`
(every problem names its path); saving writes the new version, the template's pointer to it
and an audit row in one transaction. Renditions carry the template's fingerprint in their
key, so a new version makes new renditions and leaves stored ones valid. Previews render a
draft document on the sample picture with a sample library's branding: nothing is stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from assets_hub.branding.overlays import Template, TemplateError, parse_template
from assets_hub.branding.presets import Preset as RenderPreset
from assets_hub.branding.sample import SAMPLE_LOCAL_FIELDS, sample_brand, sample_source
from assets_hub.errors import Conflict, NotFound, Unprocessable
from assets_hub.media.renditions import RenderRequest, RenderResult, render
from assets_hub.models import Asset, AssetTemplate, OverlayTemplate, OverlayTemplateVersion, User
from assets_hub.services import audit
from assets_hub.threads import run_blocking

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,59}$")
MAX_DOCUMENT_CHARS = 20_000


@dataclass(frozen=True)
class TemplateSummary:
    """One row of the templates list."""

    key: str
    name: str
    version: int
    created_at: datetime
    asset_count: int


async def list_templates() -> list[TemplateSummary]:
    """Every template by name, with how many assets use it."""
    rows = await OverlayTemplate.all().annotate(uses=Count("assets")).order_by("name")
    return [
        TemplateSummary(r.key, r.name, r.current_version, r.created_at, int(r.uses))  # type: ignore[attr-defined]
        for r in rows
    ]


async def template_by_key(key: str) -> OverlayTemplate:
    """The template ``key``; 404 otherwise."""
    found = await OverlayTemplate.get_or_none(key=key) if _KEY.match(key) else None
    if found is None:
        raise NotFound(f"There is no overlay template {key[:60]!r}.")
    return found


async def current_version(template: OverlayTemplate) -> OverlayTemplateVersion:
    """The version a template's renditions use now."""
    return await OverlayTemplateVersion.get(template=template, number=template.current_version)


async def versions(template: OverlayTemplate) -> list[OverlayTemplateVersion]:
    """Every version of the template, newest first."""
    return list(await OverlayTemplateVersion.filter(template=template).order_by("-number"))


def document_from_text(text: str) -> dict[str, Any]:
    """A document typed as JSON text; 422 saying where the JSON is broken."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise Unprocessable(f"document: must be at most {MAX_DOCUMENT_CHARS:,} characters")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unprocessable(
            f"document: this is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise Unprocessable("document: must be a JSON object, starting with {")
    return document


def check_document(document: object) -> Template:
    """The parsed template; 422 naming the path of the first problem."""
    try:
        return parse_template(document)
    except TemplateError as exc:
        raise Unprocessable(f"document: {exc}") from None


def check_key(key: str) -> str:
    """A template key (used in addresses and the API); 422 otherwise."""
    if not _KEY.match(key):
        raise Unprocessable("key: letters, digits and hyphens, at most 60 characters")
    return key


async def save_template(
    key: str,
    name: str,
    document: object,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> OverlayTemplate:
    """Create the template ``key`` or add a version to it.

    ``expected_version``: the version the editor's form showed; a template changed since is
    refused (409) rather than overwritten.
    """
    check_key(key)
    check_document(document)
    name = name.strip()[:100]
    async with in_transaction():
        template = await OverlayTemplate.filter(key=key).select_for_update().first()
        if template is None:
            if expected_version is not None:
                raise NotFound(f"There is no overlay template {key!r}.")
            template = await OverlayTemplate.create(key=key, name=name or key)
            number = 1
        else:
            if expected_version is not None and template.current_version != expected_version:
                raise Conflict(
                    "This template was changed by someone else since you opened it. Your "
                    "changes were not saved: reload the page to see the latest version."
                )
            number = template.current_version + 1
            await OverlayTemplate.filter(id=template.id).update(
                current_version=number, name=name or template.name
            )
        await OverlayTemplateVersion.create(
            template_id=template.id,
            number=number,
            document=document,
            created_by=actor.email if actor else "",
        )
        await audit.record(
            "template_saved", actor=actor, target_type="template", target_id=key, version=number
        )
    return await OverlayTemplate.get(id=template.id)


async def render_preview(template: Template, preset: RenderPreset) -> RenderResult:
    """A preview-size picture of ``template`` on the sample picture and branding."""
    request = RenderRequest(
        source=sample_source(),
        source_version="sample:1",
        preset=preset,
        format="jpeg",
        brand=sample_brand(),
        template=template,
        local_fields=SAMPLE_LOCAL_FIELDS,
        credit_line="Photo: Sample Photographer (CC BY 4.0)",
        preview=True,
    )
    return await run_blocking("pillow", render, request)  # RenderError: 422 naming the slot


async def template_of(asset: Asset) -> OverlayTemplate | None:
    """The template an asset uses (None: the default design)."""
    choice = await AssetTemplate.get_or_none(asset=asset).select_related("template")
    return choice.template if choice is not None else None


async def choose_for_asset(asset: Asset, key: str | None, *, actor: User | None) -> None:
    """Use the template ``key`` for the asset (None: the default design); 422 for no such key.

    Renditions carry the template's fingerprint in their key, so the change takes effect on
    the next download without touching stored files.
    """
    template = None
    if key is not None:
        template = await OverlayTemplate.get_or_none(key=key)
        if template is None:
            raise Unprocessable(f"template: no template {key[:60]!r}")
    async with in_transaction():
        await AssetTemplate.filter(asset=asset).delete()
        if template is not None:
            await AssetTemplate.create(asset=asset, template=template)
        await audit.record(
            "asset_template_chosen",
            actor=actor,
            target_type="asset",
            target_id=asset.id,
            template=key or "default",
        )
