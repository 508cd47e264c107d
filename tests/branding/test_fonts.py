"""The bundled font allow-list (IMG-09)."""

from __future__ import annotations

import pytest

from assets_hub.branding.fonts import FONT_DIR, FONTS, font_path, load_font


def test_every_bundled_font_exists_with_its_licence() -> None:
    assert 2 <= len(FONTS) <= 4
    for family in FONTS.values():
        for path in (family.regular, family.bold, family.licence):
            assert path.is_absolute() and path.is_file()
            assert path.resolve().is_relative_to(FONT_DIR)
        assert load_font(family.key, 20).getlength("Library") > 0
        assert load_font(family.key, 20, bold=True).getlength("Library") > 0


@pytest.mark.parametrize(
    "key", ["Arial", "../../etc/passwd", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", ""]
)
def test_unknown_keys_and_paths_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="unknown font"):
        font_path(key)
