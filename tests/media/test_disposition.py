"""content_disposition / safe_filename against hostile names (SECURITY DL-02, UP-15)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import pytest

from assets_hub.media.disposition import content_disposition, safe_filename

# name given -> (expected safe name, expected ASCII fallback)
CASES = [
    ("photo.jpg", "photo.jpg", "photo.jpg"),
    ("../../etc/passwd", "passwd", "passwd"),
    ("..\\..\\windows\\win.ini.jpg", "win.ini.jpg", "win.ini.jpg"),
    ("/etc/cron.d/evil.jpg", "evil.jpg", "evil.jpg"),
    ("a\r\nSet-Cookie: x=1.jpg", "aSet-Cookie x=1.jpg", "aSet-Cookie x=1.jpg"),
    ('he said "hi".png', "he said hi.png", "he said hi.png"),
    ("evil\u202egpj.exe", "evilgpj.exe", "evilgpj.exe"),
    ("nul\x00byte.png", "nulbyte.png", "nulbyte.png"),
    ("tab\there.png", "tabhere.png", "tabhere.png"),
    ("CON.jpg", "_CON.jpg", "_CON.jpg"),
    ("lpt1", "_lpt1", "_lpt1"),
    ("", "download", "download"),
    ("..", "download", "download"),
    (".htaccess", "htaccess", "htaccess"),
    ("   ", "download", "download"),
    ("\u202e\u2066", "download", "download"),
    ("résumé.pdf", "résumé.pdf", "resume.pdf"),
    ("e\u0301.png", "\u00e9.png", "e.png"),  # NFC: e + combining acute -> é
    ("日本語.pdf", "日本語.pdf", "download.pdf"),
    ("100%.png", "100%.png", "100_.png"),
    ("a;b=c.jpg", "a;b=c.jpg", "a_b=c.jpg"),
    ("zero\u200bwidth.png", "zerowidth.png", "zerowidth.png"),
    ("trailing dots...", "trailing dots", "trailing dots"),
]


@pytest.mark.parametrize(("name", "safe", "fallback"), CASES, ids=repr)
def test_hostile_names(name: str, safe: str, fallback: str) -> None:
    assert safe_filename(name) == safe
    header = content_disposition(name)
    prefix = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''"
    assert header.startswith(prefix)
    assert unquote(header.removeprefix(prefix), errors="strict") == safe


@pytest.mark.parametrize(
    "name",
    [
        "x" * 1000 + ".jpg",
        "😀" * 70 + ".png",
        "é" * 300,
        "a" * 250 + "." + "b" * 40,
        "\u202e" * 500 + "ok.png",
        "../" * 400 + "deep.png",
    ],
    ids=["1000-chars", "70-emoji", "300-accented", "long-fake-ext", "500-bidi", "deep-path"],
)
def test_long_and_odd_names_are_bounded(name: str) -> None:
    safe = safe_filename(name)
    assert 0 < len(safe) <= 255
    assert len(safe.encode("utf-8")) <= 255
    assert unicodedata.is_normalized("NFC", safe)
    header = content_disposition(name)
    assert header.isascii() and header.isprintable()
    if name.endswith((".jpg", ".png")):
        assert safe.endswith(name[-4:])  # the extension survives truncation


@pytest.mark.parametrize("name", [c[0] for c in CASES] + ["😀" * 70 + ".png", "x" * 1000])
def test_header_is_one_clean_line(name: str) -> None:
    header = content_disposition(name)
    # Printable ASCII only: no CR/LF (header injection), no raw UTF-8, no control characters.
    assert re.fullmatch(r"[\x20-\x7e]+", header)
    fallback = re.search(r'filename="([^"]*)"', header)
    assert fallback is not None
    assert "\\" not in fallback.group(1) and "%" not in fallback.group(1)
    # Exactly three parameters, in the documented order.
    assert re.fullmatch(
        r"attachment; filename=\"[^\"]*\"; filename\*=UTF-8''[A-Za-z0-9%!#$&+^`|._~-]*", header
    )


def test_safe_name_has_no_dangerous_characters() -> None:
    name = (
        "..\\/\x00\x1f\x7f\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        '\u2066\u2067\u2068\u2069\u2028\u2029"<>:*?|x.png'
    )
    assert safe_filename(name) == "x.png"
