"""Branded documents: fact sheets stamped (and their forms filled) for a library, case studies
as a branded PDF or an editable .docx. Cached like image renditions, by a key over every input."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass

from tortoise.expressions import Q

from assets_hub.auth.principal import Principal
from assets_hub.backends import Backends
from assets_hub.branding.brand import Brand, clean_local_fields
from assets_hub.documents.casestudy import CaseImage, CaseStudy, OutcomeFigure
from assets_hub.documents.casestudy_docx import casestudy_docx
from assets_hub.documents.casestudy_pdf import casestudy_pdf
from assets_hub.documents.forms import brand_fact_sheet
from assets_hub.documents.zones import DEFAULT_ZONE, parse_zone, zone_to_json
from assets_hub.errors import BadRequest, NotFound, Unprocessable
from assets_hub.models import Asset, AssetVersion, Kind, Rendition, User
from assets_hub.models import CaseStudy as CaseStudyRow
from assets_hub.services.branding import profile_for
from assets_hub.services.downloads import member_copy
from assets_hub.services.inflight import single_flight
from assets_hub.services.metadata import LICENCES
from assets_hub.services.rendering import brand_of, storage_key_for
from assets_hub.threads import run_blocking

DOCUMENT_ENGINE = "documents-1"
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class DocumentJob:
    asset: Asset
    version: AssetVersion | None
    brand: Brand
    format: str
    fields: dict[str, str]
    key: str
    library_id: int

    @property
    def filename(self) -> str:
        stem = "".join(c if c.isalnum() else "-" for c in self.asset.title.lower()).strip("-")
        return f"{stem[:80] or 'document'}-branded.{self.format}"


def _key(*parts: object) -> str:
    material = json.dumps([DOCUMENT_ENGINE, *parts], sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


async def prepare_document(
    backends: Backends,
    principal: Principal,
    asset: Asset,
    version: AssetVersion | None,
    profile_id: int | None,
    fmt: str,
    fields: dict[str, str],
) -> DocumentJob:
    """Check the request and compute its cache key (no PDF work yet)."""
    if profile_id is None:
        raise BadRequest("Say which branding to apply: profile=<id>.")
    if asset.kind is Kind.DOCUMENT:
        if fmt != "pdf":
            raise BadRequest("Fact sheets are branded as PDF: format=pdf.")
        if version is None:
            raise NotFound("This fact sheet has no file.")
    elif asset.kind is Kind.CASE_STUDY:
        if fmt not in ("pdf", "docx"):
            raise BadRequest("Case studies come as format=pdf or format=docx.")
    else:
        raise BadRequest("Only fact sheets and case studies have PDF or Word versions.")
    try:
        cleaned = dict(clean_local_fields(fields))
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None
    view = await profile_for(principal, profile_id)  # another library's profile: 404
    brand = await brand_of(backends, view.version)
    content = version.sha256 if version is not None else f"revision-{asset.revision}"
    key = _key(
        str(asset.id),
        content,
        asset.brand_zone,
        asset.revision if asset.kind is Kind.CASE_STUDY else 0,
        brand.fingerprint(),
        fmt,
        sorted(cleaned.items()),
    )
    return DocumentJob(asset, version, brand, fmt, cleaned, key, view.profile.library_id)


async def get_or_make(backends: Backends, job: DocumentJob) -> Rendition:
    found = await Rendition.get_or_none(key=job.key)
    if found is not None:
        return found
    return await single_flight(backends, job.key, lambda: _make_and_store(backends, job))


async def _make_and_store(backends: Backends, job: DocumentJob) -> Rendition:
    if job.asset.kind is Kind.DOCUMENT:
        if job.version is None:  # checked in prepare
            raise NotFound("This fact sheet has no file.")
        source = await backends.storage.read_bytes(await member_copy(backends, job.version))
        zone = parse_zone(job.asset.brand_zone) if job.asset.brand_zone else DEFAULT_ZONE
        try:
            data = await run_blocking("pdf", brand_fact_sheet, source, job.brand, zone, job.fields)
        except ValueError as exc:
            raise Unprocessable(f"The fact sheet could not be branded: {exc}") from None
    else:
        study = await case_study_of(backends, job.asset)
        maker = casestudy_pdf if job.format == "pdf" else casestudy_docx
        data = await run_blocking("pdf", maker, study, job.brand)
    key = storage_key_for(job.key, job.format)
    media_type = MEDIA_TYPES[job.format]
    await backends.storage.put_bytes(key, data, content_type=media_type)
    rendition, _ = await Rendition.get_or_create(
        key=job.key,
        defaults={
            "asset": job.asset,
            "version": job.version.number if job.version else 0,
            "preset": job.format,
            "format": job.format,
            "media_type": media_type,
            "storage_key": key,
            "size": len(data),
            "width": 0,
            "height": 0,
        },
    )
    return rendition


async def case_study_of(backends: Backends, asset: Asset) -> CaseStudy:
    """The domain case study for an asset, with its chosen images read from storage."""
    row = await CaseStudyRow.get_or_none(asset=asset)
    if row is None:
        raise NotFound("This asset is not a case study.")
    images = []
    for entry in row.images:
        version = (
            await AssetVersion.filter(asset_id=entry.get("asset_id")).order_by("-number").first()
        )
        source = await Asset.get_or_none(id=entry.get("asset_id"), deleted_at=None)
        if version is None or source is None or not version.preview_key:
            continue  # an image removed since: the case study still renders
        data = await backends.storage.read_bytes(version.preview_key)
        images.append(CaseImage(data, source.alt_text or source.title, entry.get("caption", "")))
    return CaseStudy(
        title=asset.title,
        library_featured=row.library_featured,
        summary=row.summary,
        body_markdown=row.body_markdown,
        pull_quote=row.pull_quote,
        pull_quote_by=row.pull_quote_by,
        figures=tuple(OutcomeFigure(f["label"], f["value"]) for f in row.figures),
        images=tuple(images),
        credit=asset.credit,
        licence=asset.licence,
        language="en-GB" if asset.language == "en" else asset.language,
    )


async def case_study_page(asset: Asset, viewer_filter: Q) -> tuple[CaseStudy, list[str]]:
    """The case study for its HTML page: images the viewer may see, each with its app URL.

    The page links the images (their previews), so no image bytes are read: each
    ``CaseImage`` gets a one-byte stand-in, which only the PDF and .docx makers would use.
    """
    row = await CaseStudyRow.get_or_none(asset=asset)
    if row is None:
        raise NotFound("This asset is not a case study.")
    images: list[CaseImage] = []
    urls: list[str] = []
    for entry in row.images:
        source = await Asset.filter(viewer_filter, id=entry.get("asset_id")).first()
        version = (
            await AssetVersion.filter(asset_id=entry.get("asset_id")).order_by("-number").first()
        )
        if source is None or version is None or not version.preview_key:
            continue  # hidden or removed since: the page goes on without it
        images.append(CaseImage(b"-", source.alt_text or source.title, entry.get("caption", "")))
        urls.append(f"/api/v1/assets/{source.id}/preview")
    study = CaseStudy(
        title=asset.title,
        library_featured=row.library_featured,
        summary=row.summary,
        body_markdown=row.body_markdown,
        pull_quote=row.pull_quote,
        pull_quote_by=row.pull_quote_by,
        figures=tuple(OutcomeFigure(f["label"], f["value"]) for f in row.figures),
        images=tuple(images),
        credit=asset.credit,
        licence=LICENCES.get(asset.licence, (asset.licence, False))[0],
        language="en-GB" if asset.language == "en" else asset.language,
    )
    return study, urls


@dataclass(frozen=True)
class FactSheetLayout:
    """What the brand zone editor shows: page sizes, the current zone, fillable fields."""

    page_sizes: list[tuple[float, float]]
    zone: dict[str, object]  # the stored zone, or the default footer strip
    form_fields: list[str]  # text fields a download fills (library_name, website…)
    fillable: list[str]  # of those, the ones a library's profile or local fields fill


def _layout(data: bytes) -> tuple[list[tuple[float, float]], list[str]]:
    import pikepdf

    from assets_hub.branding.overlays import FIELDS
    from assets_hub.documents.stamp import page_sizes

    sizes = page_sizes(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        acroform = pdf.acroform
        names = (
            [str(f.fully_qualified_name) for f in acroform.fields if f.is_text]
            if acroform.exists
            else []
        )
    return sizes, [n for n in names if n in FIELDS] + [n for n in names if n not in FIELDS]


async def fact_sheet_layout(backends: Backends, asset: Asset) -> FactSheetLayout:
    """The fact sheet's pages and form fields, for the brand zone editor (404 without file)."""
    from assets_hub.branding.overlays import FIELDS

    version = await AssetVersion.filter(asset=asset).order_by("-number").first()
    if asset.kind is not Kind.DOCUMENT or version is None:
        raise NotFound("This asset is not a fact sheet.")
    original = await backends.storage.read_bytes(version.storage_key)
    sizes, names = await run_blocking("pdf", _layout, original)
    zone = asset.brand_zone or zone_to_json(DEFAULT_ZONE)
    return FactSheetLayout(sizes, zone, names, [n for n in names if n in FIELDS])


async def save_brand_zone(
    backends: Backends, asset: Asset, data: object, *, expected_revision: int, actor: User
) -> dict[str, object]:
    """Check a zone against the fact sheet's pages and store it (422 when it does not fit)."""
    from assets_hub.documents.stamp import page_sizes
    from assets_hub.services import lifecycle

    if asset.kind is not Kind.DOCUMENT:
        raise Unprocessable("Brand zones are for fact sheets (PDF documents).")
    version = await AssetVersion.filter(asset=asset).order_by("-number").first()
    if version is None:
        raise NotFound("This fact sheet has no file.")
    original = await backends.storage.read_bytes(version.storage_key)
    sizes = await run_blocking("pdf", page_sizes, original)
    zone = check_zone(data, sizes)
    await lifecycle.set_brand_zone(asset, zone, expected_revision=expected_revision, actor=actor)
    return zone


def check_zone(zone_data: object, page_sizes: list[tuple[float, float]]) -> dict[str, object]:
    """A brand zone from JSON, validated against the PDF's pages (422 when it does not fit)."""
    from assets_hub.documents.zones import validate_zone

    try:
        zone = parse_zone(zone_data)
        validate_zone(zone, page_sizes)
    except ValueError as exc:
        raise Unprocessable(f"brand zone: {exc}") from None
    return zone_to_json(zone)
