"""Colour parsing (BR-03) and WCAG contrast choice."""

from __future__ import annotations

import pytest

from assets_hub.branding.colour import (
    contrast_ratio,
    parse_colour,
    readable_text_colour,
    relative_luminance,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#1D3C6E", "#1d3c6e"), ("#abc", "#aabbcc"), ("#FFF", "#ffffff"), ("#000000", "#000000")],
)
def test_hex_colours_are_normalised(value: str, expected: str) -> None:
    assert parse_colour(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "red",
        "1d3c6e",
        "#1d3c6",
        "#1d3c6e00",
        "#ggg",
        "rgb(1,2,3)",
        "#fff; background:url(x)",
        "expression(alert(1))",
        "url(https://evil.example)",
        "#fff\n",
        " #fff",
        "",
        None,
        123,
    ],
)
def test_anything_else_is_refused_with_a_clear_message(value: object) -> None:
    with pytest.raises(ValueError, match="colour must be #RRGGBB or #RGB"):
        parse_colour(value)


def test_luminance_and_contrast_match_wcag() -> None:
    assert relative_luminance("#000") == 0
    assert relative_luminance("#fff") == pytest.approx(1)
    assert contrast_ratio("#000", "#fff") == pytest.approx(21)
    assert contrast_ratio("#fff", "#fff") == pytest.approx(1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#1d3c6e", "#ffd700") == contrast_ratio("#ffd700", "#1d3c6e")


@pytest.mark.parametrize(
    ("background", "preferred", "expected"),
    [
        ("#1d3c6e", "#ffd700", "#ffd700"),  # brand yellow on navy is readable: kept
        ("#1d3c6e", "#2b4c80", "#ffffff"),  # navy on navy: white instead
        ("#ffd700", "#ffffff", "#000000"),  # white on yellow fails: black instead
        ("#777777", None, "#000000"),
        ("#e30613", "#ffffff", "#ffffff"),  # library red: white is 4.9:1, kept
        ("#ff3333", "#ffffff", "#000000"),  # lighter red: white is 3.6:1, black instead
        ("#005a9c", "#ffffff", "#ffffff"),
    ],
)
def test_readable_text_colour_reaches_4_5(
    background: str, preferred: str | None, expected: str
) -> None:
    chosen = readable_text_colour(background, preferred)
    assert chosen == expected
    assert contrast_ratio(background, chosen) >= 4.5


def test_every_grey_gets_a_readable_text_colour() -> None:
    for level in range(0, 256, 5):
        background = f"#{level:02x}{level:02x}{level:02x}"
        assert contrast_ratio(background, readable_text_colour(background, "#808080")) >= 4.5
