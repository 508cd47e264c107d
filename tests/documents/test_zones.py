"""Brand zones: selection, units, the footer default and refusal of zones off the page."""

from __future__ import annotations

import pytest

from assets_hub.documents.zones import (
    BrandZone,
    ZoneRect,
    parse_zone,
    validate_zone,
    zone_to_json,
)

A4 = (595.28, 841.89)


def test_default_zone_is_footer_strip_on_last_page() -> None:
    [placement] = validate_zone(BrandZone(), [A4, A4, A4])
    assert placement.page_index == 2
    assert placement.footer
    assert placement.x == 0 and placement.width == A4[0]
    assert placement.y + placement.height == pytest.approx(A4[1])


def test_selectors() -> None:
    sizes = [A4] * 5
    assert [p.page_index for p in validate_zone(BrandZone("first"), sizes)] == [0]
    assert [p.page_index for p in validate_zone(BrandZone("all"), sizes)] == [0, 1, 2, 3, 4]
    assert [p.page_index for p in validate_zone(BrandZone((4, 2, 2)), sizes)] == [1, 3]


def test_fraction_and_points() -> None:
    rect = ZoneRect(0.1, 0.8, 0.8, 0.15)
    [p] = validate_zone(BrandZone("first", rect), [A4])
    assert (p.x, p.y) == pytest.approx((59.528, 673.512))
    [q] = validate_zone(BrandZone("first", ZoneRect(20, 30, 200, 60, "pt")), [A4])
    assert (q.x, q.y, q.width, q.height) == (20, 30, 200, 60)


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        (BrandZone("first", ZoneRect(500, 30, 200, 60, "pt")), "outside page 1"),
        (BrandZone("first", ZoneRect(0, 800, 200, 60, "pt")), "outside page 1"),
        (BrandZone((3,)), "names page 3"),
        (BrandZone("first", ZoneRect(0, 0, 20, 10, "pt")), "at least"),
    ],
)
def test_zone_outside_page_refused(zone: BrandZone, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_zone(zone, [A4, A4])


def test_zone_fits_one_page_not_another() -> None:
    # Fits A4 portrait, reaches past a landscape A5 second page.
    zone = BrandZone("all", ZoneRect(20, 500, 300, 80, "pt"))
    with pytest.raises(ValueError, match="page 2"):
        validate_zone(zone, [A4, (595.28, 419.53)])


@pytest.mark.parametrize(
    "data",
    [
        "footer",
        {"pages": "middle"},
        {"pages": [0]},
        {"pages": [1.5]},
        {"pages": [True]},
        {"rect": {"x": 0, "y": 0, "width": 1.2, "height": 0.1}},
        {"rect": {"x": 0, "y": 0, "width": 0.5}},
        {"rect": {"x": "0", "y": 0, "width": 0.5, "height": 0.1}},
        {"rect": {"x": float("nan"), "y": 0, "width": 0.5, "height": 0.1}},
        {"rect": {"x": 0, "y": 0, "width": 0.5, "height": 0.1, "unit": "mm"}},
        {"rect": {"x": -1, "y": 0, "width": 10, "height": 10, "unit": "pt"}},
        {"colour": "red"},
    ],
)
def test_parse_refuses_bad_json(data: object) -> None:
    with pytest.raises(ValueError):
        parse_zone(data)


def test_json_round_trip() -> None:
    zone = parse_zone(
        {"pages": [3, 1], "rect": {"x": 10, "y": 20, "width": 300, "height": 80, "unit": "pt"}}
    )
    assert zone.pages == (1, 3)
    assert parse_zone(zone_to_json(zone)) == zone
    assert parse_zone({}) == BrandZone()
    assert zone_to_json(BrandZone()) == {"pages": "last", "rect": None}


def test_document_key_changes_with_every_input() -> None:
    from assets_hub.branding.brand import Brand
    from assets_hub.documents.keys import document_key

    brand = Brand("p", 1, primary="#123456", fields={"library_name": "A"})
    base = {"asset_id": "7", "source_version": "v1", "fmt": "pdf", "brand": brand}
    key = document_key(**base)  # type: ignore[arg-type]
    assert key == document_key(**base)  # type: ignore[arg-type]
    variants = [
        {**base, "source_version": "v2"},
        {**base, "fmt": "docx"},
        {**base, "zone": BrandZone("first")},
        {**base, "local_fields": {"event_title": "Rhyme time"}},
        {**base, "brand": Brand("p", 2, primary="#123456", fields={"library_name": "B"})},
    ]
    assert len({document_key(**v) for v in variants} | {key}) == 6  # type: ignore[arg-type]
