"""Brand values are validated again when the renderer receives them (BR-01, BR-03, BR-04)."""

from __future__ import annotations

from typing import Any

import pytest

from assets_hub.branding.brand import Brand, clean_local_fields
from assets_hub.branding.presets import PRESETS, Preset, get_preset


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"primary": "red"}, "primary colour must be #RRGGBB or #RGB"),
        ({"text": "#fff;background:url(x)"}, "text colour must be #RRGGBB or #RGB"),
        ({"font": "../../etc/passwd"}, "unknown font"),
        ({"fields": {"password": "x"}}, "unknown profile field 'password'"),
        ({"fields": {"address": "x" * 1001}}, "profile field 'address' is 1001 characters long"),
        ({"qr_url": "javascript:alert(1)"}, "absolute http:// or https:// URL"),
        ({"logo": b"x" * (10 * 1024 * 1024 + 1)}, "logo is larger than 10 MB"),
    ],
)
def test_bad_brand_values_are_refused(kwargs: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"profile_id": "p", "version": 1, "primary": "#123456", **kwargs}
    with pytest.raises(ValueError, match=message):
        Brand(**values)


def test_brand_values_are_normalised() -> None:
    brand = Brand("p", 1, primary="#ABC", fields={"library_name": "  Cardiff\x00  Central  "})
    assert brand.primary == "#aabbcc"
    assert brand.fields == {"library_name": "Cardiff Central"}
    assert (
        brand.fingerprint()
        == Brand(
            "p", 1, primary="#aabbcc", fields={"library_name": "Cardiff Central"}
        ).fingerprint()
    )


def test_local_fields_have_their_own_limits() -> None:
    assert clean_local_fields({"event_date": "Sat 12 July", "custom": ""}) == {
        "event_date": "Sat 12 July"
    }
    with pytest.raises(
        ValueError, match="local field 'event_date' is 41 characters long; the maximum is 40"
    ):
        clean_local_fields({"event_date": "x" * 41})


def test_seed_presets() -> None:
    sizes = {key: (p.width, p.height) for key, p in PRESETS.items()}
    assert sizes["instagram-square"] == (1080, 1080)
    assert sizes["story"] == (1080, 1920)
    assert sizes["linkedin"] == (1200, 627)
    assert sizes["poster-a4"] == (2480, 3508) and PRESETS["poster-a4"].dpi == 300
    assert sizes["poster-a5"] == (1748, 2480)
    assert max(sizes["bluesky"]) <= 2000 and PRESETS["bluesky"].byte_budget == 1_000_000
    story = PRESETS["story"].safe_area
    assert (story.top, story.bottom) == (250, 340)
    with pytest.raises(
        ValueError, match="unknown preset 'tiktok'; choose one of: instagram-square"
    ):
        get_preset("tiktok")
    with pytest.raises(ValueError, match="formats must be among"):
        Preset("x", "X", 100, 100, formats=("gif",), default_format="gif")
