"""QR codes: whole-pixel modules, a 4-module quiet zone, refusal when too small to scan."""

from __future__ import annotations

import pytest

from assets_hub.branding.qr import check_url, make_qr, qr_matrix

URL = "https://library.example.org.uk/events/summer-reading"


def test_qr_pixels_match_the_symbol_with_quiet_zone() -> None:
    code = make_qr(URL, 200, min_module_px=3)
    assert code.image is not None and code.reason is None
    matrix = qr_matrix(URL)
    total = code.modules + 2 * code.quiet_zone
    assert code.quiet_zone == 4
    assert code.image.size == (total * code.module_px,) * 2
    assert code.module_px >= 3
    px = code.image.load()
    assert px is not None
    m = code.module_px
    for y in range(total):
        for x in range(total):
            inside = 4 <= x < 4 + code.modules and 4 <= y < 4 + code.modules
            dark = inside and matrix[y - 4][x - 4]
            # Sample every module's centre: the image is the symbol, module by module.
            assert px[x * m + m // 2, y * m + m // 2] == (0 if dark else 255)


def test_qr_decodes_when_a_decoder_is_available() -> None:
    zxing = pytest.importorskip("zxingcpp")  # not installed here: the pixel check above covers it
    code = make_qr(URL, 300)
    assert code.image is not None
    assert zxing.read_barcode(code.image).text == URL


def test_too_small_zone_is_refused_with_the_reason() -> None:
    code = make_qr(URL, 60, min_module_px=3)
    assert code.image is None
    assert code.reason is not None and "needs at least" in code.reason


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "//evil.example/x",
        "/relative",
        "ftp://example.org",
        "https://example.org/" + "a" * 2100,
        "https://exa mple.org",
    ],
)
def test_only_absolute_http_urls_are_encoded(url: str) -> None:
    with pytest.raises(ValueError, match="QR URL"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        URL,
        "https://a.uk",
        "https://www.kent.gov.uk/leisure-and-community/libraries/find-a-library?x=1&y=2",
        "https://library.example.org.uk/" + "events/" * 40,
    ],
)
def test_fixed_mask_codes_decode(url: str) -> None:
    import segno

    from assets_hub.branding.qr import MASK

    assert segno.make(url, error="m", micro=False, boost_error=False, mask=MASK).mask == MASK
    zxing = pytest.importorskip("zxingcpp")
    code = make_qr(url, 600, min_module_px=3)
    assert code.image is not None
    assert zxing.read_barcode(code.image).text == url
