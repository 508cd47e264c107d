"""Social platforms' posting rules as data, and length counting the way each platform counts.

The numbers below are seed values (2026) for editable settings: the lead's settings layer can
build :class:`PlatformRules` from stored values with :func:`dataclasses.replace`. Where a
platform publishes no hard limit (hashtags on X, LinkedIn, Facebook, Bluesky) the field is
``None`` and nothing is checked.

Counting (``Counting``):

* ``X_WEIGHTED``: twitter-text v3: the text is NFC-normalised, every URL counts as 23
  characters (t.co wrapping), each emoji grapheme counts 2, and other code points count 1 when
  in Latin/Greek/Cyrillic/etc. (U+0000 to U+10FF and a few punctuation ranges), 2 otherwise (CJK).
  URLs are found with a practical pattern (scheme, ``www.`` or a bare domain with a known TLD),
  not twitter-text's full TLD list, so an exotic bare domain is counted as plain text.
* ``GRAPHEMES``: Bluesky counts user-perceived characters (extended grapheme clusters, via
  the ``regex`` module's ``\\X``); links are counted in full (the app may shorten their display,
  but we cannot rely on the posting tool doing that).
* ``THREADS``: Threads' API documents "500 characters; emojis are counted as the number of
  UTF-8 bytes": each emoji grapheme counts its UTF-8 length (👍 = 4), other code points 1.
* ``UTF16``: Instagram, Facebook and LinkedIn do not document their unit; their
  composers are JavaScript, whose ``length`` is UTF-16 code units, so an emoji can count 2.
  That over-counts rather than under-counts, which is the safe side: a warning the library can
  ignore beats a post the platform rejects.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

import regex

X_URL_LENGTH: Final = 23

# twitter-text v3 "weightedRanges": code points counting 1 (weight 100); all others count 2.
_X_LIGHT_RANGES: Final = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

# URLs as X recognises them, practically: explicit scheme, www., or a bare host with a common
# TLD. Matched greedily, then trailing sentence punctuation is trimmed in code (as twitter-text
# does): a lazy match with a lookahead here went quadratic on "http://a" + 20,000 dots.
_TLDS = "uk|com|org|net|gov|info|io|co|ac|nhs|scot|wales|cymru|london|library|eu|me|ly|app|dev"
_URL_CANDIDATE: Final = regex.compile(
    r"(?:https?://|\bwww\.)[^\s<>\"]+"
    rf"|\b(?<![@\w.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?![\w-])"
    r"(?:/[^\s<>\"]*)?",
    regex.IGNORECASE,
)
_URL_TRAILING: Final = ".,;:!?)]'\""
_GRAPHEME: Final = regex.compile(r"\X")
_EMOJI: Final = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")


class Counting(StrEnum):
    """How a platform measures text length (see the module docstring)."""

    X_WEIGHTED = "x-weighted"
    GRAPHEMES = "graphemes"
    THREADS = "threads"
    UTF16 = "utf16"
    CODEPOINTS = "codepoints"


@dataclass(frozen=True)
class PlatformRules:
    """One platform's limits. ``None`` means "no documented hard limit: not checked"."""

    key: str
    label: str
    caption_max: int
    counting: Counting
    preset: str  # the branding preset key (assets_hub.branding.presets) for this platform
    images_max: int
    image_bytes_max: int | None
    alt_text_max: int | None
    hashtags_max: int | None = None
    caption_bytes_max: int | None = None  # UTF-8 bytes, for protocols that also cap bytes

    def __post_init__(self) -> None:
        if self.caption_max < 1 or self.images_max < 1:
            raise ValueError(f"platform {self.key}: caption_max and images_max must be ≥ 1")
        for name in ("image_bytes_max", "alt_text_max", "hashtags_max", "caption_bytes_max"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"platform {self.key}: {name} must be ≥ 0")

    def length(self, text: str) -> int:
        """``text``'s length as this platform counts it."""
        return text_length(text, self.counting)


_PLATFORMS = (
    # X: 280 weighted chars; 4 images of ≤ 5 MB; alt text ≤ 1,000; no hashtag cap.
    PlatformRules("x", "X", 280, Counting.X_WEIGHTED, "x-post", 4, 5 * 1024 * 1024, 1000),
    # Bluesky lexicon app.bsky.feed.post: ≤ 300 graphemes and ≤ 3,000 bytes; embed.images:
    # 4 images, each blob ≤ 1,000,000 bytes; the app caps alt text at 2,000 graphemes.
    PlatformRules(
        "bluesky",
        "Bluesky",
        300,
        Counting.GRAPHEMES,
        "bluesky",
        4,
        1_000_000,
        2000,
        caption_bytes_max=3000,
    ),
    # Threads API: 500 characters, one topic tag per post, carousels of up to 20, 8 MB images.
    PlatformRules(
        "threads",
        "Threads",
        500,
        Counting.THREADS,
        "instagram-portrait",
        20,
        8 * 1024 * 1024,
        1000,
        hashtags_max=1,
    ),
    # Instagram: 2,200 characters, 30 hashtags, carousels of up to 20, 8 MB (API) images.
    PlatformRules(
        "instagram",
        "Instagram",
        2200,
        Counting.UTF16,
        "instagram-portrait",
        20,
        8 * 1024 * 1024,
        1000,
        hashtags_max=30,
    ),
    # Facebook: the documented post limit is 63,206 characters; 10 images per post here
    # (Graph API multi-photo posts; the app allows more); photos ≤ 10 MB.
    PlatformRules(
        "facebook",
        "Facebook",
        63206,
        Counting.UTF16,
        "facebook-link",
        10,
        10 * 1024 * 1024,
        1000,
    ),
    # LinkedIn: 3,000 characters ("commentary"), up to 20 images, alt text ≤ 4,086.
    PlatformRules(
        "linkedin",
        "LinkedIn",
        3000,
        Counting.UTF16,
        "linkedin",
        20,
        5 * 1024 * 1024,
        4086,
    ),
)
PLATFORMS: Final = MappingProxyType({p.key: p for p in _PLATFORMS})


def get_platform(key: str) -> PlatformRules:
    """The rules for ``key``; ValueError listing the valid keys otherwise (→ a 4xx)."""
    found = PLATFORMS.get(key)
    if found is None:
        raise ValueError(f"unknown platform {key!r}; choose one of: {', '.join(PLATFORMS)}")
    return found


def graphemes(text: str) -> list[str]:
    """``text`` split into extended grapheme clusters (what a reader sees as one character)."""
    return _GRAPHEME.findall(text)


def x_length(text: str) -> int:
    """Length as X counts it (twitter-text v3 weighting, every URL = 23; see module doc)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in url_spans(text):
        total += _x_weight(text[position:start]) + X_URL_LENGTH
        position = end
    return total + _x_weight(text[position:])


def _x_weight(text: str) -> int:
    weight = 0
    for cluster in _GRAPHEME.findall(text):
        if _EMOJI.search(cluster):
            weight += 2  # an emoji sequence (ZWJ, skin tone, flag) counts 2 as a whole
            continue
        for char in cluster:
            code = ord(char)
            weight += 1 if any(lo <= code <= hi for lo, hi in _X_LIGHT_RANGES) else 2
    return weight


def text_length(text: str, counting: Counting) -> int:
    """``text``'s length under ``counting``."""
    if counting is Counting.X_WEIGHTED:
        return x_length(text)
    if counting is Counting.GRAPHEMES:
        return len(graphemes(text))
    if counting is Counting.THREADS:
        return sum(len(c.encode()) if _EMOJI.search(c) else len(c) for c in _GRAPHEME.findall(text))
    if counting is Counting.UTF16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def url_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each URL in ``text``, trailing sentence punctuation excluded."""
    spans: list[tuple[int, int]] = []
    for match in _URL_CANDIDATE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILING:
            end -= 1
        if not text[start:end].endswith("://"):
            spans.append((start, end))
    return spans


def find_urls(text: str) -> list[str]:
    """The URLs in ``text`` as the X counter sees them."""
    return [text[start:end] for start, end in url_spans(text)]


def without_urls(text: str) -> str:
    """``text`` with each URL replaced by a space (so ``#section`` in a URL is not a tag)."""
    out: list[str] = []
    position = 0
    for start, end in url_spans(text):
        out += [text[position:start], " "]
        position = end
    return "".join([*out, text[position:]])
