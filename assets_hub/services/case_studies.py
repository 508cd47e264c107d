"""Case studies: structured stories of what a library achieved, kept as assets (searchable,
published through the same workflow) with their content in a CaseStudy row."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from assets_hub.documents.casestudy import CaseStudy, OutcomeFigure, casestudy_text
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.models import Asset, Kind, Status, User
from assets_hub.models import CaseStudy as CaseStudyRow
from assets_hub.search.outbox import enqueue_change
from assets_hub.services import audit
from assets_hub.services.ingest import campaign_by_slug
from assets_hub.services.lifecycle import bump_revision
from assets_hub.services.metadata import parse_metadata
from assets_hub.services.tags import attach_tags

CONTENT_KEYS = (
    "library_featured",
    "summary",
    "body_markdown",
    "pull_quote",
    "pull_quote_by",
    "figures",
    "images",
)
META_KEYS = (
    "title",
    "campaign",
    "tags",
    "audience",
    "credit",
    "licence",
    "licence_terms",
    "language",
    "embargo_until",
    "expires_at",
)
MAX_IMAGES = 12


def _content(data: dict[str, Any], base: CaseStudyRow | None) -> dict[str, Any]:
    """Validated content fields (the document library's CaseStudy is the rule)."""
    values: dict[str, Any] = {
        key: getattr(base, key) if base else ([] if key in ("figures", "images") else "")
        for key in CONTENT_KEYS
    }
    values.update({k: v for k, v in data.items() if k in CONTENT_KEYS})
    figures = values["figures"]
    images = values["images"]
    if not isinstance(figures, list) or not all(isinstance(f, dict) for f in figures):
        raise Unprocessable('figures: a list of {"label": …, "value": …}')
    if (
        not isinstance(images, list)
        or len(images) > MAX_IMAGES
        or not all(isinstance(i, dict) and isinstance(i.get("asset_id"), str) for i in images)
    ):
        raise Unprocessable(f'images: at most {MAX_IMAGES} of {{"asset_id": …, "caption": …}}')
    try:
        CaseStudy(
            title=str(data.get("title", "check")) or "check",
            library_featured=str(values["library_featured"]),
            summary=str(values["summary"]),
            body_markdown=str(values["body_markdown"]),
            pull_quote=str(values["pull_quote"]),
            pull_quote_by=str(values["pull_quote_by"]),
            figures=tuple(
                OutcomeFigure(str(f.get("label", "")), str(f.get("value", ""))) for f in figures
            ),
        )
    except ValueError as exc:
        raise Unprocessable(f"Please correct: {exc}.") from None
    values["figures"] = [{"label": str(f["label"]), "value": str(f["value"])} for f in figures]
    values["images"] = [
        {"asset_id": i["asset_id"], "caption": str(i.get("caption", ""))[:300]} for i in images
    ]
    return values


async def create_case_study(data: dict[str, Any], actor: User) -> Asset:
    meta = parse_metadata({k: v for k, v in data.items() if k in META_KEYS})
    if not meta.title:
        raise Unprocessable("title: a case study needs a title")
    content = _content(data, None)
    campaign = await campaign_by_slug(meta.campaign)
    async with in_transaction():
        asset = await Asset.create(
            title=meta.title,
            description=content["summary"][:5000],
            kind=Kind.CASE_STUDY,
            status=Status.DRAFT,
            campaign=campaign,
            audience=list(meta.audience),
            credit=meta.credit,
            licence=meta.licence,
            licence_terms=meta.licence_terms,
            language=meta.language,
            embargo_until=meta.embargo_until,
            expires_at=meta.expires_at,
            created_by=actor,
        )
        await attach_tags(asset, meta.tags)
        await CaseStudyRow.create(asset=asset, **content)
        await audit.record(
            "case_study_created", actor=actor, target_type="asset", target_id=asset.id
        )
        await enqueue_change(asset.id)
    return asset


async def update_case_study(
    asset: Asset, data: dict[str, Any], actor: User, revision: int
) -> Asset:
    """Change the content (412 if the asset changed since ``revision``)."""
    row = await CaseStudyRow.get_or_none(asset=asset)
    if row is None:  # another kind of asset: this address does not name a case study
        raise NotFound("This asset is not a case study.")
    content = _content({"title": asset.title, **data}, row)
    changes: dict[str, Any] = {"description": content["summary"][:5000]}
    if "title" in data:
        title = str(data["title"]).strip()
        if not title or len(title) > 200:
            raise Unprocessable("title: 1 to 200 characters")
        changes["title"] = title
    async with in_transaction():
        await bump_revision(asset, revision, **changes)
        await CaseStudyRow.filter(id=row.id).update(**content)
        await audit.record(
            "case_study_edited", actor=actor, target_type="asset", target_id=asset.id
        )
        await enqueue_change(asset.id)
    return await Asset.get(id=asset.id)


async def search_text(asset: Asset) -> str:
    """The full text of a case study for the search index ("" for other assets)."""
    row = await CaseStudyRow.get_or_none(asset=asset)
    if row is None:
        return ""
    try:
        study = CaseStudy(
            title=asset.title,
            library_featured=row.library_featured,
            summary=row.summary,
            body_markdown=row.body_markdown,
            pull_quote=row.pull_quote,
            pull_quote_by=row.pull_quote_by,
        )
    except ValueError:
        return f"{row.summary}\n{row.body_markdown}"
    return casestudy_text(study)
