"""Brand zones: where on a fact sheet a library's branding is stamped.

A zone is a page selector plus a rectangle. Rectangles are measured the way an editor sees the
page: from its **top-left corner**, on the page as displayed (after ``/Rotate``), inside its
visible box (the CropBox), either in PDF points (1/72 in) or as fractions of that box. ``rect``
None means the default footer strip: the full width of the page, the bottom
:data:`FOOTER_FRACTION` of its height.

:func:`validate_zone` resolves a zone against a document's page sizes and refuses, with a
ValueError the API turns into 422, any zone that would fall outside a page: stamping is never
silently clipped or moved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

Unit = Literal["pt", "fraction"]
PageKeyword = Literal["first", "last", "all"]
PageSelector: TypeAlias = PageKeyword | tuple[int, ...]

FOOTER_FRACTION = 0.1  # of the page height: 84 pt (30 mm) on A4
# Smallest zone the stamp can hold a readable name in (about 25 x 6 mm).
MIN_WIDTH_PT = 72.0
MIN_HEIGHT_PT = 18.0
# Rounding in editors' fractions and in producers' boxes: 0.01 pt is invisible.
_TOLERANCE_PT = 0.01
MAX_EXPLICIT_PAGES = 1000


@dataclass(frozen=True)
class ZoneRect:
    """A rectangle from the displayed page's top-left corner, in ``unit``."""

    x: float
    y: float
    width: float
    height: float
    unit: Unit = "fraction"

    def __post_init__(self) -> None:
        if self.unit not in ("pt", "fraction"):
            raise ValueError('brand zone unit must be "pt" or "fraction"')
        for name in ("x", "y", "width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"brand zone {name} must be a number")
            if not math.isfinite(value):
                raise ValueError(f"brand zone {name} must be a finite number")
        if self.x < 0 or self.y < 0:
            raise ValueError("brand zone x and y must not be negative")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("brand zone width and height must be positive")
        if self.unit == "fraction" and (
            self.x + self.width > 1 + 1e-9 or self.y + self.height > 1 + 1e-9
        ):
            raise ValueError("a brand zone in fractions must lie within 0..1 of the page")


@dataclass(frozen=True)
class BrandZone:
    """Pages (``"first"``, ``"last"``, ``"all"`` or 1-based numbers) and a rectangle.

    ``rect`` None is the default footer strip.
    """

    pages: PageSelector = "last"
    rect: ZoneRect | None = None

    def __post_init__(self) -> None:
        if isinstance(self.pages, str):
            if self.pages not in ("first", "last", "all"):
                raise ValueError('brand zone pages must be "first", "last", "all" or numbers')
            return
        if not isinstance(self.pages, tuple) or not self.pages:
            raise ValueError("brand zone pages must list at least one page number")
        if len(self.pages) > MAX_EXPLICIT_PAGES:
            raise ValueError(f"brand zone lists more than {MAX_EXPLICIT_PAGES} pages")
        for number in self.pages:
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError("brand zone page numbers are whole numbers from 1")
        # Sorted and unique, so equal zones compare (and cache-key) equal.
        object.__setattr__(self, "pages", tuple(sorted(set(self.pages))))

    @property
    def is_footer(self) -> bool:
        """True for the default footer strip."""
        return self.rect is None


DEFAULT_ZONE = BrandZone()


@dataclass(frozen=True)
class Placement:
    """A zone resolved on one page: 0-based page index and a rectangle in points.

    ``x``/``y`` are from the displayed page's top-left corner, like :class:`ZoneRect`.
    """

    page_index: int
    x: float
    y: float
    width: float
    height: float
    footer: bool


def validate_zone(zone: BrandZone, page_sizes: Sequence[tuple[float, float]]) -> list[Placement]:
    """Resolve ``zone`` on a document whose displayed page sizes (points) are ``page_sizes``.

    ValueError, naming the page, when a selected page does not exist, or the rectangle would
    reach outside a selected page or be too small to hold a readable stamp.
    """
    count = len(page_sizes)
    if count == 0:
        raise ValueError("the document has no pages")
    if zone.pages == "first":
        indexes: Sequence[int] = [0]
    elif zone.pages == "last":
        indexes = [count - 1]
    elif zone.pages == "all":
        indexes = range(count)
    elif isinstance(zone.pages, tuple):
        missing = [n for n in zone.pages if n > count]
        if missing:
            raise ValueError(
                f"brand zone names page {missing[0]} but the document has {count} page(s)"
            )
        indexes = [n - 1 for n in zone.pages]
    else:  # unreachable: BrandZone validates its selector
        raise ValueError("invalid page selector")
    return [_place(zone, index, page_sizes[index]) for index in indexes]


def _place(zone: BrandZone, index: int, size: tuple[float, float]) -> Placement:
    page_w, page_h = size
    rect = zone.rect
    if rect is None:
        height = page_h * FOOTER_FRACTION
        x, y, w, h = 0.0, page_h - height, page_w, height
    elif rect.unit == "fraction":
        x, y, w, h = rect.x * page_w, rect.y * page_h, rect.width * page_w, rect.height * page_h
    else:
        x, y, w, h = float(rect.x), float(rect.y), float(rect.width), float(rect.height)
    where = f"page {index + 1} ({page_w:g} × {page_h:g} pt)"
    if x + w > page_w + _TOLERANCE_PT or y + h > page_h + _TOLERANCE_PT:
        raise ValueError(
            f"the brand zone ({x:g}, {y:g}, {w:g} × {h:g} pt) lies outside {where}; "
            "move or shrink it so it sits wholly on the page"
        )
    if w < MIN_WIDTH_PT or h < MIN_HEIGHT_PT:
        raise ValueError(
            f"the brand zone on {where} is {w:g} × {h:g} pt; it must be at least "
            f"{MIN_WIDTH_PT:g} × {MIN_HEIGHT_PT:g} pt to hold readable text"
        )
    # Clamp the tolerance away so the overlay never reaches past the box.
    w, h = min(w, page_w - x), min(h, page_h - y)
    return Placement(index, x, y, w, h, footer=rect is None)


def parse_zone(data: object) -> BrandZone:
    """A zone from its JSON form (``PUT /brand-zone``); ValueError describing what is wrong.

    ``{"pages": "first" | "last" | "all" | [1, 3], "rect": null | {"x": 0.1, "y": 0.8,
    "width": 0.8, "height": 0.15, "unit": "fraction" | "pt"}}``
    """
    if not isinstance(data, Mapping):
        raise ValueError("a brand zone must be a JSON object")
    unknown = set(data) - {"pages", "rect"}
    if unknown:
        raise ValueError(f"unknown brand zone key(s): {', '.join(sorted(map(str, unknown)))}")
    pages_raw = data.get("pages", "last")
    pages: PageSelector
    if isinstance(pages_raw, str):
        if pages_raw not in ("first", "last", "all"):
            raise ValueError('brand zone pages must be "first", "last", "all" or numbers')
        pages = pages_raw  # type: ignore[assignment]  # narrowed by the check above
    elif isinstance(pages_raw, list) and len(pages_raw) <= MAX_EXPLICIT_PAGES:
        pages = tuple(pages_raw)
    else:
        raise ValueError("brand zone pages must be a keyword or a list of page numbers")
    rect_raw = data.get("rect")
    rect = None
    if rect_raw is not None:
        if not isinstance(rect_raw, Mapping):
            raise ValueError("brand zone rect must be an object or null")
        extra = set(rect_raw) - {"x", "y", "width", "height", "unit"}
        if extra:
            raise ValueError(f"unknown brand zone rect key(s): {', '.join(sorted(extra))}")
        try:
            rect = ZoneRect(
                rect_raw["x"],
                rect_raw["y"],
                rect_raw["width"],
                rect_raw["height"],
                rect_raw.get("unit", "fraction"),
            )
        except KeyError as exc:
            raise ValueError(f"brand zone rect needs {exc.args[0]!r}") from None
    return BrandZone(pages, rect)


def zone_to_json(zone: BrandZone) -> dict[str, object]:
    """The JSON form :func:`parse_zone` reads (for storage and the API)."""
    pages: object = zone.pages if isinstance(zone.pages, str) else list(zone.pages)
    if zone.rect is None:
        return {"pages": pages, "rect": None}
    r = zone.rect
    rect = {"x": r.x, "y": r.y, "width": r.width, "height": r.height, "unit": r.unit}
    return {"pages": pages, "rect": rect}
