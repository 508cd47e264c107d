"""Fill a fact sheet's form fields from a library's profile, flatten them, and stamp it.

Text fields whose fully qualified name is a profile field (``library_name``, ``website``,
``phone``, ``email``, ``address``, ``opening_hours`` …) or a local field (``event_title``,
``custom`` …) get that value; qpdf draws their appearance with the field's own font and size
(``/DA``), and the appearance is then moved into the page content (flattened) and the field
and its widget removed, so the value is plain, printable, extractable text that a reader can't
edit. Every other field and annotation — links, comments, fields with other names — is left
exactly as it was (qpdf's own ``flatten_annotations`` would flatten all of them and drop the
whole AcroForm, which is why the flattening is done here, field by field).

Known limit: qpdf's appearance generator writes the field's standard-14 font, which covers
Latin-1; characters outside it are shown as ``?`` in filled fields (the stamp has no such
limit: it embeds DejaVu).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pikepdf  # type: ignore[import-untyped,unused-ignore]

from assets_hub.branding.brand import Brand, clean_local_fields
from assets_hub.documents.stamp import (
    Source,
    apply_stamp,
    free_name,
    open_pdf,
    save_pdf,
    verify_stamped,
)
from assets_hub.documents.zones import BrandZone

_MULTILINE = 1 << 12  # /Ff bit 13


def form_values(brand: Brand, local_fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field name → text for a download: the profile's fields, then validated local fields."""
    values = dict(brand.fields)
    values.update(clean_local_fields(local_fields or {}))
    return values


def fill_and_flatten(pdf: pikepdf.Pdf, values: Mapping[str, str]) -> dict[str, int]:
    """Fill and flatten, in place, the text fields named in ``values``.

    Returns filled field name → index of a page it was drawn on (for the self-check).

    Fields with other names, non-text fields and all other annotations are untouched. A
    document without an AcroForm is left as it is.
    """
    acroform = pdf.acroform
    if not acroform.exists:
        return {}
    filled = []
    for field in acroform.fields:
        name = str(field.fully_qualified_name)
        if name not in values or not field.is_text:
            continue
        value = values[name]
        if not int(field.flags) & _MULTILINE:
            value = ", ".join(line for line in value.split("\n") if line)
        field.set_value(value, need_appearance=False)
        for annot in acroform.get_annotations_for_field(field):
            field.generate_appearance(annot)
        filled.append(field)
    if not filled:
        return {}
    owners = {
        annot.obj.objgen: str(f.fully_qualified_name)
        for f in filled
        for annot in acroform.get_annotations_for_field(f)
    }
    pages: dict[str, int] = {}
    for index, page in enumerate(pdf.pages):
        for objgen in _flatten_page(page, set(owners)):
            pages[owners[objgen]] = index
    acroform.remove_fields(filled)
    if len(pdf.Root.AcroForm.get("/Fields", [])) == 0:
        del pdf.Root.AcroForm  # nothing left to fill: an empty form only confuses viewers
    return pages


def _flatten_page(page: pikepdf.Page, targets: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Flatten the target widgets on one page; the ones found there."""
    annots = page.obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return []
    kept, content, found = [], [], []
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    for item in annots:
        if item.objgen not in targets:
            kept.append(item)
            continue
        found.append(item.objgen)
        annot = pikepdf.Annotation(item)
        appearance = annot.get_appearance_stream(pikepdf.Name.N)
        if isinstance(appearance, pikepdf.Stream):
            name = page.add_resource(appearance, pikepdf.Name.XObject, free_name(page, "Fld"))
            # qpdf's maths: the appearance's /Matrix and /BBox mapped onto the widget /Rect;
            # forbidden flags 0 would draw hidden widgets, so keep qpdf's invisible|hidden.
            content.append(annot.get_page_content_for_appearance(name, rotate))
    if content:
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"Q\n" + b"\n".join(content) + b"\n", prepend=False)
    page.obj.Annots = pikepdf.Array(kept)
    return found


def brand_fact_sheet(
    source: Source,
    brand: Brand,
    zone: BrandZone | None,
    local_fields: Mapping[str, str] | None = None,
) -> bytes:
    """A library's copy of a fact sheet: form fields filled and flattened, then stamped.

    ``zone`` None fills fields only. A PDF without form fields is only stamped. Errors as
    :func:`assets_hub.documents.stamp.stamp_pdf`; ValueError for invalid local fields.
    Deterministic for equal inputs, so the caller can cache by a key over them.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    values = form_values(brand, local_fields)
    with open_pdf(data) as pdf:
        touched = set(fill_and_flatten(pdf, values).values())
        if zone is not None:
            touched.update(p.page_index for p in apply_stamp(pdf, zone, brand))
        result = save_pdf(pdf)
    verify_stamped(data, result, text_pages=touched)
    return result


def fill_form(source: Source, values: Mapping[str, str]) -> bytes:
    """``source`` with the text fields named in ``values`` filled and flattened, checked."""
    data = source.read_bytes() if isinstance(source, Path) else source
    with open_pdf(data) as pdf:
        touched = set(fill_and_flatten(pdf, values).values())
        result = save_pdf(pdf)
    verify_stamped(data, result, text_pages=touched)
    return result
