"""Pack entry names are safe on Windows and macOS and unique within the archive (DL-09)."""

from __future__ import annotations

import unicodedata

import pytest

from assets_hub.social.names import NameAllocator, clean_extension, safe_component

WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


def assert_safe(name: str) -> None:
    assert name
    assert ".." not in name
    assert not (set(name) & WINDOWS_FORBIDDEN)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in name)
    assert name == unicodedata.normalize("NFC", name)
    assert name[0] not in " ." and name[-1] not in " ."
    assert len(name.encode()) <= 255
    assert name.split(".")[0].upper().rstrip() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../etc/passwd", "_._etc_passwd.jpg"),
        ("/etc/passwd", "_etc_passwd.jpg"),
        ("CON", "CON_.jpg"),
        ("con.tar", "con_.tar.jpg"),
        ("nul ", "nul_.jpg"),
        ("COM1", "COM1_.jpg"),
        ("LPT¹", "LPT¹_.jpg"),
        ("a\\b", "a_b.jpg"),
        ('what? "now": <a|b>*', "what_ _now__ _a_b__.jpg"),
        ("Tab\there\nnewline\x00nul\x7f", "Tab here newline nul.jpg"),
        ("\u202egpj.exe", "gpj.exe.jpg"),
        ("  ...hidden...  ", "hidden.jpg"),
        ("", "untitled.jpg"),
        ("...", "untitled.jpg"),
        ("Cafe\u0301 📚 poster", "Café 📚 poster.jpg"),
        ("👩\u200d👩\u200d👧\u200d👦 family", "👩\u200d👩\u200d👧\u200d👦 family.jpg"),
    ],
)
def test_hostile_titles(title: str, expected: str) -> None:
    name = safe_component(title, extension="jpg")
    assert name == expected
    assert_safe(name)


def test_long_titles_are_cut_to_255_bytes_on_grapheme_boundaries() -> None:
    name = safe_component("x" * 300, extension="jpeg")
    assert len(name.encode()) == 255 and name.endswith("x.jpeg")
    emoji = safe_component("👩\u200d👩\u200d👧\u200d👦" * 20, extension="jpg")  # 25 bytes each
    assert len(emoji.encode()) <= 255
    assert emoji == "👩\u200d👩\u200d👧\u200d👦" * 10 + ".jpg"  # 250 + 4 bytes: whole emoji only
    accented = safe_component("e\u0301" * 200, extension="jpg")  # NFC é is 2 bytes
    assert accented == "é" * 125 + ".jpg"


def test_cut_never_ends_in_a_dot_or_space() -> None:
    name = safe_component("a" * 249 + " . b", extension="jpg")
    assert_safe(name)
    assert name == "a" * 249 + ".jpg"


def test_extension_is_cleaned() -> None:
    assert clean_extension(".JPG") == "jpg"
    assert clean_extension("../exe") == "exe"
    assert clean_extension("tar.gz") == "targz"
    assert safe_component("a", extension="") == "a"


def test_duplicates_get_numbered_case_insensitively() -> None:
    names = NameAllocator()
    got = [names.allocate(t, extension="jpg") for t in ["Poster", "poster", "POSTER", "Poster"]]
    assert got == ["Poster.jpg", "poster-2.jpg", "POSTER-3.jpg", "Poster-4.jpg"]


def test_duplicates_within_folders_and_long_titles() -> None:
    names = NameAllocator()
    long = "y" * 300
    first = names.allocate(long, extension="jpg", folder="story")
    second = names.allocate(long, extension="jpg", folder="story")
    other = names.allocate(long, extension="jpg", folder="x-post")
    assert first.startswith("story/") and second.endswith("-2.jpg")
    assert len(second.split("/")[1].encode()) == 255
    assert other.split("/")[1] == first.split("/")[1]
    assert first != second


def test_reserved_names_and_folders_do_not_collide() -> None:
    names = NameAllocator()
    names.reserve("README.txt")
    assert names.allocate("readme", extension="txt") == "readme-2.txt"
    assert names.allocate("../Story", folder="../..") == "_/_Story"
    assert names.allocate("_") == "_-2"  # a file cannot share a folder's name


def test_nfc_duplicates_are_duplicates() -> None:
    names = NameAllocator()
    assert names.allocate("Café") == "Café"
    assert names.allocate("Cafe\u0301") == "Café-2"
