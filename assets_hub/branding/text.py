"""Shrink-to-fit text layout and clipped drawing for overlay text slots (IMG-09, BR-04).

Text is data: it is normalised (NFC), stripped of control characters and drawn glyph by glyph
by FreeType (Raqm shapes right-to-left and combining text when Pillow has it). Nothing is ever
interpreted as markup or a template.

:func:`fit_text` finds the largest font size in a range at which the text, wrapped on word
boundaries (over-long words are broken between grapheme clusters), fits a box in at most N
lines. If it cannot fit even at the minimum size the result says so (``fits=False``) or, when
the caller allows it, is truncated *visibly* with an ellipsis and flagged ``truncated``.
:func:`draw_block` paints through a mask the size of the box, so no pixel can land outside it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from PIL import Image, ImageDraw, ImageFont

from assets_hub.branding.fonts import load_font

Align = Literal["start", "left", "center", "right"]
VAlign = Literal["top", "middle", "bottom"]

ELLIPSIS = "…"
# C0/C1 controls and other invisible format characters that could smuggle layout tricks; the
# bidi marks (LRM/RLM and isolates) stay, since mixed-direction text legitimately needs them.
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_ZWJ = "\u200d"
# Real scripts stack at most a few marks on one base (Vietnamese 2, Hebrew with cantillation
# ~3); "Zalgo" text stacks hundreds to draw over neighbouring lines. Beyond this many
# consecutive marks the rest are dropped (UAX #15's stream-safe format allows 30; we are
# stricter because every mark adds height).
MAX_STACKED_MARKS = 4


@dataclass(frozen=True)
class TextBlock:
    """A laid-out block: the lines to draw at ``size`` px, or why it does not fit.

    ``width``/``height`` are the ink-safe extents; ``baseline`` is the distance from the top of
    the block to the first line's baseline; ``line_height`` the baseline-to-baseline step.
    """

    fits: bool
    size: int
    lines: tuple[str, ...]
    line_height: int
    baseline: int
    width: int
    height: int
    truncated: bool = False
    reason: str | None = None


def clean_text(text: str, *, max_length: int | None = None, label: str = "text") -> str:
    """NFC text with controls removed, runs of spaces collapsed and lines trimmed.

    Stacks of more than MAX_STACKED_MARKS combining marks on one character are cut to that.

    ValueError when it is longer than ``max_length`` code points (counted after NFC, BR-04).
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _limit_marks(_CONTROLS.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"{label} is {len(text)} characters long; the maximum is {max_length}")
    return text


def _limit_marks(text: str) -> str:
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            if run > MAX_STACKED_MARKS:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def _boundaries(word: str) -> list[int]:
    """Indexes where ``word`` may be split without separating a base from its marks."""
    cuts = []
    for i in range(1, len(word)):
        ch, prev = word[i], word[i - 1]
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Mc", "Me"):
            continue
        if ch == _ZWJ or prev == _ZWJ or 0xFE00 <= ord(ch) <= 0xFE0F:
            continue
        cuts.append(i)
    return cuts


def _break_word(word: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Pieces of an over-long word, each as long as fits (at least one grapheme)."""
    pieces: list[str] = []
    rest = word
    while rest and font.getlength(rest) > width:
        cuts = _boundaries(rest)
        lo, hi, best = 0, len(cuts) - 1, cuts[0] if cuts else len(rest)
        while lo <= hi:  # longest prefix that fits, by binary search over the cut points
            mid = (lo + hi) // 2
            if font.getlength(rest[: cuts[mid]]) <= width:
                best, lo = cuts[mid], mid + 1
            else:
                hi = mid - 1
        pieces.append(rest[:best])
        rest = rest[best:]
    if rest:
        pieces.append(rest)
    return pieces


@lru_cache(maxsize=16384)
def measure(font: ImageFont.FreeTypeFont, text: str) -> float:
    """``font.getlength(text)``, cached: shaping costs ~40 µs a word, and shrink-to-fit,
    balancing and the layout's fallbacks measure the same words at the same sizes again and
    again (fonts come from :func:`~assets_hub.branding.fonts.load_font`'s cache, so one
    object per face and size)."""
    return font.getlength(text)


def wrap(
    text: str,
    font: ImageFont.FreeTypeFont,
    width: float,
    max_lines: int,
    *,
    break_words: bool = True,
    separator: str | None = None,
) -> list[str] | None:
    """Greedy word wrap; None as soon as more than ``max_lines`` lines would be needed.

    Lines break only at ASCII spaces: a no-break space (what :func:`protect_tokens` puts
    inside phone numbers and postcodes) holds its neighbours together. A word wider than
    ``width`` is split between grapheme clusters when ``break_words``, else the text does not
    fit (None). A ``separator`` left at either end of a line is dropped.

    Words are measured one by one and summed (shaping a whole line per added word made
    1000-character texts quadratic); each finished line is then measured as a whole and a
    word moves down if kerning or shaping across spaces made it too long after all.
    """
    space = measure(font, " ")

    def length(word: str) -> float:
        return measure(font, word)

    lines: list[str] = []
    for paragraph in text.split("\n"):
        words: list[str] = []
        for word in paragraph.split(" "):
            if length(word) > width:
                if not break_words:
                    return None
                words.extend(_break_word(word, font, width))
            else:
                words.append(word)
        current: list[str] = []
        used = 0.0
        queue = list(reversed(words))
        while queue:
            word = queue.pop()
            extra = length(word) + (space if current else 0.0)
            if current and used + extra > width:
                _push(lines, current, queue, font, width)
                current, used = [], 0.0
                if len(lines) > max_lines:
                    return None
                extra = length(word)
            current.append(word)
            used += extra
        _push(lines, current, queue, font, width)
        while queue:  # words moved down by the final check
            current = [queue.pop()]
            _push(lines, current, queue, font, width)
        if len(lines) > max_lines:
            return None
    mark = (separator or "").strip()
    if mark:
        lines = [_strip_mark(line, mark) for line in lines]
    return lines


def _strip_mark(line: str, mark: str) -> str:
    """``line`` without a separator mark (e.g. "·") at its start or end."""
    stripped = line.strip(" \u00a0")
    while stripped.endswith(mark):
        stripped = stripped[: -len(mark)].rstrip(" \u00a0")
    while stripped.startswith(mark):
        stripped = stripped[len(mark) :].lstrip(" \u00a0")
    return stripped


# Tokens that must never be split across lines although they contain spaces: phone numbers
# ("0113 000 0000", "+44 (0)29 2087 1000") and UK postcodes ("LS1 3AB", "CF10 1FL").
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ()\-]{5,}\d(?![\w])")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b", re.IGNORECASE)


def protect_tokens(text: str) -> str:
    """``text`` with the spaces inside phone numbers and postcodes made no-break spaces.

    URLs and e-mail addresses have no spaces: :func:`wrap` never breaks them unless told to.
    """

    def glue(match: re.Match[str]) -> str:
        return match.group(0).replace(" ", "\u00a0")

    return _POSTCODE.sub(glue, _PHONE.sub(glue, text))


def _push(
    lines: list[str],
    words: list[str],
    queue: list[str],
    font: ImageFont.FreeTypeFont,
    width: float,
) -> None:
    """Append ``words`` as a line, moving trailing words back to ``queue`` until it fits."""
    while len(words) > 1 and measure(font, " ".join(words)) > width:
        queue.append(words.pop())
    lines.append(" ".join(words))


def _measure(
    lines: list[str], font: ImageFont.FreeTypeFont, size: int
) -> tuple[int, int, int, int]:
    """(line_height, baseline, width, height) of ``lines`` including stacked-mark ink."""
    ascent, descent = font.getmetrics()
    step = max(ascent + descent, math.ceil(size * 1.15))
    top, bottom, right = -ascent, descent, 0
    for i, line in enumerate(lines):
        if not line:
            continue
        left, t, r, b = (
            math.ceil(v) if k >= 2 else math.floor(v)
            for k, v in enumerate(font.getbbox(line, anchor="ls"))
        )
        top = min(top, i * step + t)
        bottom = max(bottom, i * step + b)
        right = max(right, r - min(0, left))
    return step, -top, right, bottom - top


def _layout(
    text: str,
    key: str,
    bold: bool,
    size: int,
    box: tuple[int, int],
    max_lines: int,
    rules: tuple[bool, str | None] = (True, None),
) -> TextBlock | None:
    font = load_font(key, size, bold=bold)
    lines = wrap(text, font, box[0], max_lines, break_words=rules[0], separator=rules[1])
    if lines is None:
        return None
    step, baseline, width, height = _measure(lines, font, size)
    if width > box[0] or height > box[1]:
        return None
    return TextBlock(True, size, tuple(lines), step, baseline, width, height)


def fit_text(
    text: str,
    *,
    box: tuple[int, int],
    font: str,
    bold: bool = False,
    sizes: tuple[int, int],
    max_lines: int,
    ellipsis: bool = False,
    break_words: bool = True,
    separator: str | None = None,
    balance: bool = False,
) -> TextBlock:
    """The largest size in ``sizes`` (min, max px) at which ``text`` fits ``box`` (w, h).

    ``fits=False`` with a reason when it does not fit at the minimum size, unless ``ellipsis``
    allows cutting it (then ``truncated=True``: the cut is visible, never silent).
    ``break_words=False`` never splits a word (or URL, e-mail address, protected phone
    number) across lines; ``separator`` marks are dropped at line ends; ``balance`` evens
    out the lengths of a wrapped paragraph's lines (a title's last line not a lone word).
    """
    rules = (break_words, separator)
    low, high = max(1, sizes[0]), max(1, sizes[0], sizes[1])
    best = _layout(text, font, bold, low, box, max_lines, rules)
    if best is None:
        return (
            _truncated(text, font, bold, low, box, max_lines, rules) if ellipsis else _no_fit(low)
        )
    # Fitting is (near enough) monotone in the size: search from an estimate, galloping
    # towards the answer and then bisecting. The estimate is usually within a few px, so this
    # lays out about 3 sizes where a plain bisection of the range lays out 6 or 7.
    ok, bad = low, high + 1
    probe = min(max(_estimate(text, font, bold, best, box, max_lines), ok + 1), bad - 1)
    step, direction = 1, 0
    while bad - ok > 1:
        found = _layout(text, font, bold, probe, box, max_lines, rules)
        if found is not None:
            best, ok, moved = found, probe, 1
        else:
            bad, moved = probe, -1
        if direction in (0, moved):  # still galloping the same way
            direction = moved
            probe += moved * step
            step *= 2
        else:  # the answer is bracketed
            direction = 2
            probe = (ok + bad) // 2
        probe = min(max(probe, ok + 1), bad - 1)
    if balance and len(best.lines) > 1:
        best = _balanced(text, font, bold, best, box, rules)
    return best


def _balanced(
    text: str, key: str, bold: bool, block: TextBlock, box: tuple[int, int], rules: Any
) -> TextBlock:
    """The same size and line count in the narrowest width that still holds them."""
    count = len(block.lines)
    lo, hi = max(1, block.width // count), block.width
    best = block
    while lo < hi:
        mid = (lo + hi) // 2
        found = _layout(text, key, bold, block.size, (mid, box[1]), count, rules)
        if found is not None and len(found.lines) == count:
            best, hi = found, mid
        else:
            lo = mid + 1
    return best


def _estimate(
    text: str, key: str, bold: bool, fitted: TextBlock, box: tuple[int, int], max_lines: int
) -> int:
    """A guess at the largest fitting size, from the block laid out at the smallest size.

    Widths and line heights scale about linearly with the size, so for n lines the size is
    bounded by n full lines of width (``n * box width / width per px``) and by n line heights.
    """
    font = load_font(key, fitted.size, bold=bold)
    paragraphs = text.split("\n")
    per_px = sum(font.getlength(p) for p in paragraphs) / fitted.size
    line_per_px = fitted.line_height / fitted.size
    best = float(fitted.size)
    for n in range(max(1, len(paragraphs)), max_lines + 1):
        by_width = n * box[0] / per_px if per_px > 0 else math.inf
        best = max(best, min(by_width, box[1] / (n * line_per_px)))
    return math.floor(best)


def _no_fit(size: int) -> TextBlock:
    return TextBlock(False, size, (), 0, 0, 0, 0, reason=f"does not fit even at {size} px")


def _truncated(
    text: str,
    key: str,
    bold: bool,
    size: int,
    box: tuple[int, int],
    max_lines: int,
    rules: tuple[bool, str | None] = (True, None),
) -> TextBlock:
    """Whole words up to the last that fits, then an ellipsis; no_fit if not even one word."""
    font = load_font(key, size, bold=bold)
    ascent, descent = font.getmetrics()
    step = max(ascent + descent, math.ceil(size * 1.15))
    lines_room = max(0, min(max_lines, 1 + (box[1] - ascent - descent) // step))
    words = text.replace("\n", " ").split(" ")
    lo, hi, best = 1, len(words), None
    while lo <= hi:  # the most words that still fit with "…" appended
        mid = (lo + hi) // 2
        found = _layout(" ".join(words[:mid]) + ELLIPSIS, key, bold, size, box, lines_room, rules)
        if found is None:
            hi = mid - 1
        else:
            best, lo = found, mid + 1
    if best is None:
        return _no_fit(size)
    return TextBlock(
        True, size, best.lines, best.line_height, best.baseline, best.width, best.height, True
    )


def is_rtl(text: str) -> bool:
    """True when the first strong character is right-to-left (Hebrew, Arabic …)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def draw_block(
    layer: Image.Image,
    block: TextBlock,
    box: tuple[int, int, int, int],
    *,
    font: str,
    bold: bool,
    colour: tuple[int, int, int],
    align: Align = "start",
    valign: VAlign = "middle",
) -> tuple[int, int, int, int] | None:
    """Paint ``block`` into ``box`` (left, top, width, height) of an RGBA ``layer``.

    Drawing goes through a mask exactly the size of the box, so even pathological ink (e.g.
    dozens of stacked combining marks) cannot reach pixels outside it. Returns the ink
    rectangle used, or None when there was nothing to draw.
    """
    if not block.fits or not block.lines:
        return None
    left, top, width, height = box
    face = load_font(font, block.size, bold=bold)
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    if valign == "top":
        y0 = 0
    elif valign == "bottom":
        y0 = height - block.height
    else:
        y0 = (height - block.height) // 2
    for i, line in enumerate(block.lines):
        where = align
        if where == "start":
            where = "right" if is_rtl(line) else "left"
        line_width = face.getlength(line)
        x = {"left": 0.0, "center": (width - line_width) / 2, "right": width - line_width}[where]
        draw.text((x, y0 + block.baseline + i * block.line_height), line, 255, face, "ls")
    inked = mask.getbbox()
    if inked is not None:  # blend only the inked part: zones are often far larger than text
        ink = Image.new("RGBA", (inked[2] - inked[0], inked[3] - inked[1]), (*colour, 0))
        ink.putalpha(mask.crop(inked))
        # alpha_composite: correct edges over transparent areas too
        layer.alpha_composite(ink, (left + inked[0], top + inked[1]))
    return (left, top + y0, block.width, block.height)
