"""Form fields named after profile fields: filled, flattened; everything else untouched."""

from __future__ import annotations

import io

import pikepdf
import pytest

from assets_hub.branding.brand import Brand
from assets_hub.documents.forms import brand_fact_sheet, fill_form, form_values
from assets_hub.documents.stamp import page_sizes, page_texts, squash
from assets_hub.documents.zones import BrandZone
from tests.documents.conftest import LINK, fact_sheet, form_pdf


def field_names(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/AcroForm" not in pdf.Root:
            return []
        return sorted(str(f.fully_qualified_name) for f in pdf.acroform.fields)


def annotation_subtypes(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sorted(str(a.Subtype) for page in pdf.pages for a in page.obj.get("/Annots", []))


def test_profile_fields_filled_and_flattened(brand: Brand) -> None:
    source = form_pdf(("library_name", "website", "phone", "other"))
    result = brand_fact_sheet(source, brand, zone=None)
    # Only the unrelated field is still a field; the link is kept.
    assert field_names(result) == ["other"]
    assert annotation_subtypes(result) == ["/Link", "/Widget"]
    text = page_texts(result)[0]
    assert "Little Snoring Community Library" in text
    assert "https://little-snoring.example.org.uk" in text
    assert "01234 567890" in text
    assert squash(page_texts(source)[0]) in squash(text)  # labels and the rest kept


def test_untouched_field_keeps_its_value() -> None:
    source = form_pdf(("library_name", "other"))
    with pikepdf.open(io.BytesIO(source)) as pdf:
        [other] = [f for f in pdf.acroform.fields if str(f.fully_qualified_name) == "other"]
        other.set_value("keep me")
        out = io.BytesIO()
        pdf.save(out)
    result = fill_form(out.getvalue(), {"library_name": "Anytown Library"})
    with pikepdf.open(io.BytesIO(result)) as pdf:
        [other] = pdf.acroform.fields
        assert str(other.value) == "keep me"


def test_all_fields_filled_removes_acroform(brand: Brand) -> None:
    result = brand_fact_sheet(form_pdf(("library_name", "email")), brand, zone=None)
    with pikepdf.open(io.BytesIO(result)) as pdf:
        assert "/AcroForm" not in pdf.Root
    assert annotation_subtypes(result) == ["/Link"]


def test_local_fields_and_multiline_address(brand: Brand) -> None:
    source = form_pdf(("address", "event_title"))
    result = brand_fact_sheet(source, brand, zone=None, local_fields={"event_title": "Rhyme Time"})
    text = page_texts(result)[0]
    assert "Rhyme Time" in text
    assert "1 High Street, Little Snoring, NR21 0AA" in text  # single-line field: joined
    assert field_names(result) == []


def test_fill_and_stamp_together(brand: Brand) -> None:
    source = form_pdf(("library_name", "phone"))
    result = brand_fact_sheet(source, brand, BrandZone("first"))
    text = page_texts(result)[0]
    assert text.count("Little Snoring Community Library") == 2  # field and stamp
    assert page_sizes(result) == page_sizes(source)


def test_pdf_without_fields_only_stamped(brand: Brand) -> None:
    source = fact_sheet(3)
    stamped = brand_fact_sheet(source, brand, BrandZone())
    assert field_names(stamped) == []
    assert annotation_subtypes(stamped) == annotation_subtypes(source) == ["/Link"] * 3
    with pikepdf.open(io.BytesIO(stamped)) as pdf:
        assert [str(a.A.URI) for a in pdf.pages[0].Annots] == [LINK]
    unchanged = brand_fact_sheet(source, brand, None)
    assert page_texts(unchanged) == page_texts(source)


def test_invalid_local_field_refused(brand: Brand) -> None:
    with pytest.raises(ValueError, match="unknown local field"):
        form_values(brand, {"javascript": "x"})
