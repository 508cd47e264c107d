"""Display names for uploaded files: sanitised for showing and downloading, never used as keys."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 255
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)


def display_name(raw: str, extension: str, *, fallback: str = "file") -> str:
    """A safe name ending in ``extension`` (the served type's): no paths, controls or bidi marks."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch
        for ch in name
        if unicodedata.category(ch)[0] != "C" and unicodedata.bidirectional(ch) not in _BIDI
    )
    name = name.replace('"', "").replace("'", "").strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")
    if not stem or _WINDOWS_RESERVED.match(stem):
        stem = fallback
    stem = stem[: MAX_NAME_CHARS - len(extension)]
    return stem + extension


_BIDI = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}
