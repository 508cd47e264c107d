"""Safe download names and the ``Content-Disposition`` header built from them (SECURITY DL-02).

The header always has the RFC 6266 form::

    attachment; filename="ascii-fallback.ext"; filename*=UTF-8''percent-encoded

``filename`` is a plain-ASCII fallback for old clients; ``filename*`` (RFC 8187) carries the real
name. Both come from :func:`safe_filename`, which removes everything a hostile uploader could use
to break the header (CR/LF, quotes, backslashes), to mislead the user (bidi overrides such as
U+202E, zero-width characters) or to reach outside the download folder (path parts, leading dots).
The same helper serves the S3 presigned path (``ResponseContentDisposition``) and the local
streaming path, so the two can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME_CHARS = 255
# Many filesystems limit a name to 255 bytes, not characters; keep the UTF-8 form under that too.
MAX_NAME_BYTES = 255
FALLBACK_NAME = "download"
# Extensions longer than this are not real extensions; do not preserve them when truncating.
_MAX_EXT_CHARS = 16
# Windows refuses these as file names whatever the extension ("CON.jpg" is the device CON).
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)
# Characters kept in the ASCII fallback; everything else becomes "_". "%" is excluded because
# some clients percent-decode the plain filename parameter.
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+,=@~-]")
# RFC 8187 attr-char beyond ALPHA / DIGIT and the "-._~" that quote() always keeps.
_ATTR_SAFE = "!#$&+^`|"


def _is_allowed(char: str) -> bool:
    """False for characters that must never reach a header or a file name."""
    if char in {'"', "\\", "/", ":", "*", "?", "<", ">", "|"}:
        return False
    # Cc: control characters incl. CR/LF/NUL/DEL; Cf: format characters incl. the bidi
    # overrides/isolates (U+202A-U+202E, U+2066-U+2069), LRM/RLM and zero-width joiners' cousins;
    # Cs/Co/Cn: surrogates, private use, unassigned; Zl/Zp: line and paragraph separators.
    category = unicodedata.category(char)
    return not (category.startswith("C") or category in {"Zl", "Zp"})


def _split_ext(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > _MAX_EXT_CHARS:
        return name, ""
    return stem, "." + ext


def _truncate(name: str) -> str:
    """Shorten to the character and byte limits, keeping a short extension intact."""
    stem, ext = _split_ext(name)
    while stem and (
        len(stem) + len(ext) > MAX_NAME_CHARS or len((stem + ext).encode("utf-8")) > MAX_NAME_BYTES
    ):
        # Trim in proportion to the excess so a 10 000-character name does not take 10 000 steps.
        excess = max(
            len(stem) + len(ext) - MAX_NAME_CHARS,
            (len((stem + ext).encode("utf-8")) - MAX_NAME_BYTES + 3) // 4,
            1,
        )
        stem = stem[:-excess].rstrip(" .")
    return (stem + ext) if stem else FALLBACK_NAME + ext[:_MAX_EXT_CHARS]


def safe_filename(name: str) -> str:
    """A display/download name with no path parts, control, bidi or quoting characters.

    NFC-normalised, at most 255 characters and 255 UTF-8 bytes, never empty (``download``),
    never hidden (no leading dot) and never a Windows device name (``CON.jpg`` → ``_CON.jpg``).
    """
    text = unicodedata.normalize("NFC", name)
    # Keep only the last path component, whichever separator the uploader's OS used.
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(char if _is_allowed(char) else "" for char in text)
    # Collapse whitespace (tabs were removed above; this covers odd spaces) and trim the ends;
    # leading dots would hide the file or form "..".
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    text = text.rstrip(" .")  # Windows silently drops trailing dots/spaces.
    if not text:
        return FALLBACK_NAME
    if text.split(".", 1)[0].lower() in _WINDOWS_RESERVED:
        text = "_" + text
    return _truncate(unicodedata.normalize("NFC", text))


def ascii_fallback(name: str) -> str:
    """The ASCII-only form of an already safe name, for the plain ``filename`` parameter."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = _ASCII_UNSAFE.sub("_", ascii_only)
    text = re.sub(r"_+", "_", text).strip(" ").lstrip(".")
    stem, ext = _split_ext(text)
    if not stem.strip("_ "):
        # Nothing recognisable survived (an all-emoji or all-CJK name): a neutral stem reads better.
        text = FALLBACK_NAME + ext
    return text[:MAX_NAME_CHARS] or FALLBACK_NAME


def content_disposition(filename: str) -> str:
    """The ``Content-Disposition: attachment`` value for downloading as ``filename``.

    ``filename`` may be anything a user typed or uploaded; it is sanitised here, so the result is
    always a single, well-formed header value containing only printable ASCII.
    """
    name = safe_filename(filename)
    fallback = ascii_fallback(name)
    encoded = quote(name, safe=_ATTR_SAFE, encoding="utf-8")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


__all__ = ["ascii_fallback", "content_disposition", "safe_filename"]
