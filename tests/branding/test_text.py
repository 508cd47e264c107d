"""Shrink-to-fit layout: wraps, shrinks, breaks long words, says when text does not fit."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from assets_hub.branding.fonts import load_font
from assets_hub.branding.text import clean_text, draw_block, fit_text, is_rtl

NAME = "Little Snoring-on-the-Marsh Community Library & Information!"  # 60 characters


def test_short_text_gets_the_largest_size() -> None:
    block = fit_text("Library", box=(600, 100), font="sans", sizes=(10, 40), max_lines=1)
    assert block.fits and block.size == 40 and block.lines == ("Library",)


def test_long_text_wraps_then_shrinks() -> None:
    assert len(NAME) == 60
    block = fit_text(NAME, box=(400, 120), font="sans", bold=True, sizes=(10, 60), max_lines=2)
    assert block.fits and len(block.lines) <= 2
    assert " ".join(block.lines) == NAME  # nothing lost
    assert block.width <= 400 and block.height <= 120
    font = load_font("sans", block.size, bold=True)
    assert all(font.getlength(line) <= 400 for line in block.lines)
    bigger = fit_text(
        NAME, box=(400, 120), font="sans", bold=True, sizes=(block.size + 1,) * 2, max_lines=2
    )
    assert not bigger.fits  # it really is the largest size that fits


def test_overlong_word_is_broken_not_overflowing() -> None:
    word = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch" * 2
    block = fit_text(word, box=(200, 200), font="sans", sizes=(12, 12), max_lines=8)
    assert block.fits and len(block.lines) > 1
    assert "".join(block.lines) == word


def test_text_that_cannot_fit_says_so() -> None:
    block = fit_text("x " * 500, box=(100, 20), font="sans", sizes=(10, 20), max_lines=1)
    assert not block.fits and block.lines == ()
    assert block.reason == "does not fit even at 10 px"


def test_ellipsis_truncation_is_visible_and_flagged() -> None:
    text = "Open Monday to Saturday, nine till five, late nights Thursday " * 5
    block = fit_text(text, box=(300, 40), font="sans", sizes=(12, 20), max_lines=2, ellipsis=True)
    assert block.fits and block.truncated
    assert block.lines[-1].endswith("…")


def test_controls_are_removed_and_length_counted_after_nfc() -> None:
    assert clean_text("a\x00b\x1b[31mc  \t d\r\ne") == "ab[31mc d\ne"
    decomposed = "e\u0301" * 10  # 20 code points, 10 after NFC
    assert clean_text(decomposed, max_length=10) == "\u00e9" * 10
    with pytest.raises(ValueError, match="is 11 characters long; the maximum is 10"):
        clean_text("x" * 11, max_length=10, label="phone")


def test_markup_is_drawn_as_text() -> None:
    text = "<b>{{ library }}</b> ${jndi:x} %s"
    block = fit_text(text, box=(900, 60), font="sans", sizes=(20, 20), max_lines=1)
    assert block.lines == (text,)


def _ink_outside(layer: Image.Image, box: tuple[int, int, int, int]) -> int:
    left, top, width, height = box
    alpha = layer.getchannel("A")
    alpha.paste(0, (left, top, left + width, top + height))
    return sum(1 for v in alpha.get_flattened_data() if v)


@pytest.mark.parametrize(
    "text",
    [
        NAME,
        "مكتبة المدينة العامة — Central Library — ספרייה עירונית",  # RTL + LTR
        "Z" + "\u0336\u0337\u0338\u0301\u0300\u0302" * 40 + "algo text " * 3,  # stacked marks
        "Llyfrgell Caerdydd · 图书馆 · Библиотека · ग्रंथालय",
    ],
)
def test_no_pixel_lands_outside_the_box(text: str) -> None:
    layer = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    box = (100, 80, 300, 120)
    block = fit_text(clean_text(text), box=box[2:], font="sans", sizes=(10, 40), max_lines=3)
    assert block.fits
    assert draw_block(layer, block, box, font="sans", bold=False, colour=(255, 255, 255))
    assert layer.getchannel("A").getbbox() is not None  # something was drawn
    assert _ink_outside(layer, box) == 0


def test_rtl_lines_align_to_the_right() -> None:
    assert is_rtl("مكتبة Central") and not is_rtl("Central مكتبة") and not is_rtl("123")


def test_thousand_characters_of_mixed_scripts_lay_out_fast() -> None:
    # BR-04 / IMG-09: 1000 characters, stacked combining marks, RTL, mixed scripts < 2 s.
    chunk = "Ffôn 029 2087 1000 · مكتبة · ספרייה · e\u0301\u0302\u0303 · Llyfrgell Ganolog "
    text = clean_text((chunk * 30)[:1000], max_length=1000)
    started = time.perf_counter()
    for box in ((1080, 200), (600, 90), (2480, 500), (300, 60)):
        fit_text(text, box=box, font="sans", sizes=(10, 60), max_lines=12, ellipsis=True)
        fit_text(text, box=box, font="serif", sizes=(10, 60), max_lines=3)
    assert time.perf_counter() - started < 2.0


def test_stacked_marks_are_capped() -> None:
    zalgo = "Z" + "\u0336\u0337\u0338\u0301\u0300\u0302" * 40
    cleaned = clean_text(zalgo)
    assert cleaned[0] in ("Z", "Ź") and len(cleaned) <= 5
    assert clean_text("Tiếng Việt") == "Tiếng Việt"  # real stacks are kept


@pytest.mark.parametrize(
    ("text", "box", "max_lines"),
    [
        (NAME, (400, 120), 2),
        (NAME, (900, 60), 1),
        ("Summer Reading Challenge\nSat 12 July", (993, 150), 4),
        (
            "https://library.example.org.uk · 01234 567890 · hello@library.example.org.uk",
            (600, 80),
            3,
        ),
        ("Storytime", (120, 300), 3),
    ],
)
def test_the_size_found_is_the_largest_that_fits(
    text: str, box: tuple[int, int], max_lines: int
) -> None:
    block = fit_text(text, box=box, font="sans", bold=True, sizes=(10, 80), max_lines=max_lines)
    assert block.fits and block.width <= box[0] and block.height <= box[1]
    if block.size < 80:
        bigger = fit_text(
            text, box=box, font="sans", bold=True, sizes=(block.size + 1,) * 2, max_lines=max_lines
        )
        assert not bigger.fits
