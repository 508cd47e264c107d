"""Bar charts as SVG markup made on the server: no JavaScript, readable by screen readers.

Each chart is an image with a title and a description (the one-line summary); the page puts
the same figures in a table beside it. Files as they are and branded renders are stacked, told
apart by colour, by a white gap between them and by the legend; both colours keep at least 3:1
contrast with the white background (WCAG 1.4.11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from assets_hub.services.analytics import UsageRow

ORIGINAL = "#1d70b8"  # GOV.UK blue, 5.2:1 on white
RENDER = "#6f2c91"  # dark purple, 8.4:1 on white (distinct from the blue for colour blindness)
TEXT = "#0b0c0c"
AXIS = "#505a5f"
WIDTH = 640
MAX_BARS = 10


@dataclass(frozen=True)
class Chart:
    """One chart: an id for its table and links, a heading, its SVG and its summary."""

    key: str
    heading: str
    svg: Markup
    summary: str
    rows: list[UsageRow]
    shown: int


def _nice_max(value: int) -> int:
    """The axis top: 2, 4, 6, 8 or 10 times a power of ten, so its half is a whole number."""
    if value <= 2:
        return 2
    magnitude: int = 10 ** (len(str(value)) - 1)
    for step in (2, 4, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _markup(parts: list[str]) -> Markup:
    return Markup("".join(parts))  # noqa: S704 - every text put in the parts was escaped


def _open(key: str, heading: str, summary: str, height: int) -> list[str]:
    return [
        f'<svg class="app-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg" font-family="Arial, sans-serif">',
        f'<title id="{key}-title">{escape(heading)}</title>',
        f'<desc id="{key}-desc">{escape(summary)}</desc>',
    ]


def _legend(y: int) -> list[str]:
    return [
        f'<rect x="0" y="{y}" width="14" height="14" fill="{ORIGINAL}"/>',
        f'<text x="20" y="{y + 12}" font-size="14" fill="{TEXT}">Files as they are</text>',
        f'<rect x="170" y="{y}" width="14" height="14" fill="{RENDER}"/>',
        f'<text x="190" y="{y + 12}" font-size="14" fill="{TEXT}">Branded renders</text>',
    ]


def time_chart(key: str, heading: str, rows: Sequence[UsageRow], summary: str) -> Chart:
    """Vertical stacked bars, one per day or week, oldest on the left."""
    height, top, bottom, left = 260, 30, 40, 50
    plot_h = height - top - bottom
    plot_w = WIDTH - left - 10
    peak = _nice_max(max((r.downloads for r in rows), default=0))
    parts = _open(key, heading, summary, height)
    parts += _legend(0)
    for fraction in (0, 0.5, 1):
        y = top + plot_h - fraction * plot_h
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{AXIS}" stroke-width="{1 if fraction == 0 else 0.5}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 5:.1f}" font-size="13" text-anchor="end" '
            f'fill="{TEXT}">{round(peak * fraction):,}</text>'
        )
    slot = plot_w / max(1, len(rows))
    bar = max(1.0, slot * 0.75)
    for i, row in enumerate(rows):
        x = left + i * slot + (slot - bar) / 2
        base = float(top + plot_h)
        for value, colour in ((row.originals, ORIGINAL), (row.renders, RENDER)):
            if value <= 0:
                continue
            h = value / peak * plot_h
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}" stroke="#ffffff" stroke-width="0.5"/>'
            )
            base -= h
    for i in sorted({0, len(rows) // 2, len(rows) - 1}) if rows else ():
        x = left + i * slot + slot / 2
        anchor = "start" if i == 0 and len(rows) > 1 else "end" if i == len(rows) - 1 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 14}" font-size="13" text-anchor="{anchor}" '
            f'fill="{TEXT}">{escape(rows[i].label.removeprefix("Week of "))}</text>'
        )
    parts.append("</svg>")
    return Chart(key, heading, _markup(parts), summary, list(rows), len(rows))


def bar_chart(key: str, heading: str, rows: Sequence[UsageRow], summary: str) -> Chart:
    """Horizontal stacked bars, biggest first; at most ten (the table lists every one)."""
    shown = list(rows[:MAX_BARS])
    bar_h, gap, top, label_w = 22, 8, 30, 210
    height = top + max(1, len(shown)) * (bar_h + gap) + 10
    plot_w = WIDTH - label_w - 70
    peak = max((r.downloads for r in shown), default=0) or 1
    parts = _open(key, heading, summary, height)
    parts += _legend(0)
    for i, row in enumerate(shown):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="14" text-anchor="end" '
            f'fill="{TEXT}">{escape(_short(row.label, 28))}</text>'
        )
        x = float(label_w)
        for value, colour in ((row.originals, ORIGINAL), (row.renders, RENDER)):
            if value <= 0:
                continue
            w = value / peak * plot_w
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                'stroke="#ffffff" stroke-width="1"/>'
            )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="14" fill="{TEXT}">'
            f"{row.downloads:,}</text>"
        )
    if not shown:
        parts.append(
            f'<text x="0" y="{top + 16}" font-size="14" fill="{TEXT}">No downloads.</text>'
        )
    parts.append("</svg>")
    return Chart(key, heading, _markup(parts), summary, list(rows), len(shown))
