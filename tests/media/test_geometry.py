"""Crop maths: cover crops keep the focus in frame, saliency windows, upscaling limits."""

from __future__ import annotations

import pytest

from assets_hub.media.geometry import (
    Focus,
    best_window,
    cover_crop,
    cover_size,
    plan_crop,
    salient_focus,
)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ((4000, 3000), (1080, 1080), (3000, 3000)),
        ((4000, 3000), (1080, 1920), (1687.5, 3000)),
        ((3000, 4000), (1200, 630), (3000, 1575)),
        ((1000, 1000), (1920, 600), (1000, 312.5)),
        ((1200, 630), (1200, 630), (1200, 630)),
    ],
)
def test_cover_size_is_the_largest_region_with_the_target_aspect(
    source: tuple[int, int], target: tuple[int, int], expected: tuple[float, float]
) -> None:
    assert cover_size(source, target) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("focus", "expected_left"),
    [
        (None, 500.0),  # centred
        (Focus(0.5, 0.5), 500.0),
        (Focus(0.0, 0.5), 0.0),  # clamped at the left edge
        (Focus(1.0, 0.5), 1000.0),  # clamped at the right edge
        (Focus(0.1, 0.5), 0.0),
        (Focus(0.6, 0.5), 900.0),
        (Focus(0.9, 0.2), 1000.0),
    ],
)
def test_square_crop_of_landscape_follows_the_focal_point(
    focus: Focus | None, expected_left: float
) -> None:
    crop = cover_crop((4000, 3000), (1080, 1080), focus)
    assert (crop.left, crop.top, crop.width, crop.height) == pytest.approx(
        (expected_left, 0, 3000, 3000)
    )
    if focus is not None:
        assert crop.contains(focus.x * 4000, focus.y * 3000)


@pytest.mark.parametrize("x", [0.0, 0.01, 0.2, 0.33, 0.5, 0.77, 0.99, 1.0])
@pytest.mark.parametrize("y", [0.0, 0.05, 0.5, 0.95, 1.0])
@pytest.mark.parametrize("target", [(1080, 1920), (1920, 600), (1080, 1080), (2480, 3508)])
def test_focal_point_is_always_inside_the_crop(x: float, y: float, target: tuple[int, int]) -> None:
    for source in ((4032, 3024), (3024, 4032), (800, 800)):
        crop = cover_crop(source, target, Focus(x, y))
        assert crop.contains(x * source[0], y * source[1])
        assert crop.left >= 0 and crop.top >= 0
        assert crop.right <= source[0] + 1e-6 and crop.bottom <= source[1] + 1e-6


def test_focal_area_is_kept_whole_when_it_fits() -> None:
    # A face near the right edge: its whole box must be in the story crop, not just its centre.
    area = Focus(0.8, 0.5, width=0.2, height=0.3)
    crop = cover_crop((4000, 3000), (1080, 1920), area)
    assert crop.left <= (0.8 - 0.1) * 4000
    assert crop.right >= (0.8 + 0.1) * 4000 - 1e-6


def test_focal_area_larger_than_the_crop_keeps_its_centre() -> None:
    area = Focus(0.5, 0.5, width=1.0, height=1.0)
    crop = cover_crop((4000, 3000), (1080, 1920), area)
    assert crop.contains(2000, 1500)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": 1.5, "y": 0.5}, "focus x must be a number from 0 to 1"),
        ({"x": 0.5, "y": -0.1}, "focus y must be a number from 0 to 1"),
        ({"x": float("nan"), "y": 0.5}, "focus x"),
        ({"x": 0.9, "y": 0.5, "width": 0.4}, "inside the image horizontally"),
    ],
)
def test_invalid_focus_is_refused(value: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Focus(**value)


@pytest.mark.parametrize(
    ("profile", "window", "centre"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 9, 9], 0.2, 0.9),
        ([9, 9, 0, 0, 0, 0, 0, 0, 0, 0], 0.2, 0.1),
        ([1] * 10, 0.4, 0.5),  # flat: stay central
        ([0, 0, 0, 5, 5, 5, 0, 0, 0, 0], 0.3, 0.45),
        ([3, 1], 1.0, 0.5),
        ([], 0.5, 0.5),
    ],
)
def test_best_window_picks_the_most_energy(
    profile: list[float], window: float, centre: float
) -> None:
    assert best_window(profile, window) == pytest.approx(centre)


def test_salient_focus_only_moves_along_the_trimmed_axis() -> None:
    columns = [0.0] * 90 + [50.0] * 10
    rows = [0.0] * 50 + [50.0] * 50
    focus = salient_focus((4000, 3000), (1080, 1080), columns, rows)
    assert focus.x > 0.6
    assert focus.y == 0.5  # the square crop keeps the full height


@pytest.mark.parametrize(
    ("source", "target", "too_small", "out"),
    [
        ((4000, 3000), (1080, 1080), False, (1080, 1080)),
        ((1000, 1000), (1080, 1080), False, (1080, 1080)),  # 1.08x is allowed
        ((800, 800), (1080, 1080), True, (1000, 1000)),  # 1.35x would be needed
        ((640, 480), (2480, 3508), True, (424, 599)),
    ],
)
def test_upscaling_is_limited_and_reported(
    source: tuple[int, int], target: tuple[int, int], too_small: bool, out: tuple[int, int]
) -> None:
    plan = plan_crop(source, target, None, max_upscale=1.25)
    assert plan.too_small is too_small
    assert (plan.output_width, plan.output_height) == out
    assert plan.scale <= 1.25 + 1e-9
