"""File names for ZIP entries that extract safely on Windows, macOS and Linux (DL-09).

A title becomes one path component: NFC-normalised; control, format (bidi override) and
Windows-forbidden characters replaced; no ``..`` (runs of dots collapse to one), no leading or
trailing dots or spaces (hidden files on macOS, invalid on Windows); Windows device names
(``CON``, ``com1.txt`` …) get an underscore; at most ``max_bytes`` UTF-8 bytes, cut on a grapheme
boundary so an emoji is never split. Uniqueness is case-insensitive (NTFS and APFS default to
it): ``Poster.jpg`` then ``poster.jpg`` gives ``poster-2.jpg``.
"""

from __future__ import annotations

import unicodedata
from typing import Final

import regex

MAX_NAME_BYTES: Final = 255  # APFS and ext4 limit per component; NTFS allows 255 UTF-16 units
UNTITLED: Final = "untitled"

_RESERVED: Final = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{p}{n}" for p in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]]
)
_FORBIDDEN: Final = regex.compile(r'[<>:"/\\|?*]')
_SPACES: Final = regex.compile(r"\s+")
_DOTS: Final = regex.compile(r"\.{2,}")
_GRAPHEME: Final = regex.compile(r"\X")
_ZWJ: Final = "\u200d"  # kept: it joins emoji sequences; other format characters are dropped


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if text.isascii() and text.isprintable():  # the usual title: skip the per-character pass
        return _DOTS.sub(".", _SPACES.sub(" ", _FORBIDDEN.sub("_", text))).strip(" .")
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")  # newlines and tabs in a title read as spaces
        elif category in ("Cf", "Cs", "Co", "Cn") and char != _ZWJ:
            continue  # bidi overrides (U+202E "gpj.exe" tricks), surrogates, unassigned
        else:
            out.append(char)
    cleaned = _FORBIDDEN.sub("_", "".join(out))
    cleaned = _DOTS.sub(".", _SPACES.sub(" ", cleaned))
    return cleaned.strip(" .")


def clean_extension(extension: str) -> str:
    """``extension`` as lower-case ASCII letters and digits (no dot), at most 10 characters."""
    kept = "".join(c for c in extension.lower() if c.isascii() and c.isalnum())
    return kept[:10]


def _fit(stem: str, tail: str, max_bytes: int) -> str:
    """``stem`` cut on grapheme boundaries so ``stem + tail`` fits ``max_bytes`` UTF-8 bytes."""
    budget = max_bytes - len(tail.encode())
    if budget <= 0:
        raise ValueError(f"max_bytes {max_bytes} leaves no room for a name before {tail!r}")
    if len(stem.encode()) <= budget:
        return stem
    kept: list[str] = []
    used = 0
    for cluster in _GRAPHEME.findall(stem):
        size = len(cluster.encode())
        if used + size > budget:
            break
        kept.append(cluster)
        used += size
    return "".join(kept).rstrip(" .")


def _is_reserved(stem: str) -> bool:
    # Windows reserves the device name whatever follows the first dot ("con.tar.gz").
    return stem.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def safe_component(
    title: str, *, extension: str = "", suffix: str = "", max_bytes: int = MAX_NAME_BYTES
) -> str:
    """One safe path component ``<title><suffix>.<extension>`` (see the module docstring)."""
    ext = clean_extension(extension)
    tail = suffix + (f".{ext}" if ext else "")
    stem = _fit(_clean(title), tail, max_bytes) or UNTITLED
    if _is_reserved(stem):
        # "con.tar" -> "con_.tar": the device name is the part before the first dot.
        first, dot, rest = _fit(stem, "_" + tail, max_bytes).partition(".")
        stem = first.rstrip(" ") + "_" + dot + rest
    return stem + tail


class NameAllocator:
    """Hands out unique, safe entry paths (``folder/name.ext``) for one archive."""

    def __init__(self, *, max_bytes: int = MAX_NAME_BYTES) -> None:
        self._max_bytes = max_bytes
        self._taken: set[str] = set()

    @staticmethod
    def _key(path: str) -> str:
        return unicodedata.normalize("NFC", path).casefold()

    def reserve(self, path: str) -> None:
        """Mark ``path`` (already safe, e.g. ``README.txt``) as used."""
        self._taken.add(self._key(path))

    def allocate(self, title: str, *, extension: str = "", folder: str | None = None) -> str:
        """A safe path unused so far; duplicates get ``-2``, ``-3`` … before the extension."""
        prefix = ""
        if folder is not None:
            safe_folder = safe_component(folder, max_bytes=self._max_bytes)
            # A folder and a file of the same name cannot coexist on disk.
            self._taken.add(self._key(safe_folder))
            prefix = safe_folder + "/"
        number = 1
        while True:
            suffix = "" if number == 1 else f"-{number}"
            name = safe_component(
                title, extension=extension, suffix=suffix, max_bytes=self._max_bytes
            )
            key = self._key(prefix + name)
            if key not in self._taken and (prefix or self._key(name) not in self._taken):
                self._taken.add(key)
                return prefix + name
            number += 1
