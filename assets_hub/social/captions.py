"""Caption and alt-text templates, filled per library, and checks against platform limits.

A template is data, never code (SECURITY.md INJ-05): :func:`parse_template` tokenises it into
literal text and ``{field}`` placeholders whose names must be known profile/local fields. There
is no attribute access, indexing, format spec or conversion, and no ``str.format`` anywhere, so
``{library_name.__class__}`` is an error at save time and a value such as ``{{7*7}}`` or
``{website}`` typed into a profile is inserted literally, never expanded again.

Filling never guesses: a placeholder whose value is missing or blank raises
:class:`MissingFieldError` naming every such field, unless the caller passes an explicit
fallback for it. Checks never cut: :func:`check_post` measures and reports.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import regex

from assets_hub.branding.overlays import FIELDS as BRANDING_FIELDS
from assets_hub.social.platforms import PlatformRules, without_urls

# Profile fields (library_name, website …) and local fields (event_title …): one vocabulary
# shared with the branded overlays, so a library fills each value once.
KNOWN_FIELDS: Final[frozenset[str]] = frozenset(BRANDING_FIELDS)
MAX_TEMPLATE_LENGTH: Final = 10_000  # longer than any platform allows; bounds parsing work

_NAME = regex.compile(r"[a-z_][a-z0-9_]*")
_HASHTAG = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}_#&])#([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)"
)


class TemplateError(ValueError):
    """A template that cannot be saved; ``position`` is the 1-based character offset."""

    def __init__(self, problem: str, *, position: int | None = None, field: str | None = None):
        where = f" (at character {position})" if position is not None else ""
        super().__init__(f"{problem}{where}")
        self.problem = problem
        self.position = position
        self.field = field


class MissingFieldError(ValueError):
    """Filling needs values the library's profile does not have; ``fields`` names them all."""

    def __init__(self, fields: Sequence[str]) -> None:
        names = ", ".join(fields)
        super().__init__(f"the library profile has no value for: {names}")
        self.fields = tuple(fields)


@dataclass(frozen=True)
class Placeholder:
    """A ``{name}`` in a template."""

    name: str


@dataclass(frozen=True)
class CaptionTemplate:
    """A parsed template: literal strings and placeholders, in order. Build with parse_template."""

    source: str
    parts: tuple[str | Placeholder, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The field names used, each once, in order of first use."""
        return tuple(dict.fromkeys(p.name for p in self.parts if isinstance(p, Placeholder)))

    @property
    def skeleton(self) -> str:
        """The literal text alone: its length is a lower bound for every filled caption."""
        return "".join(p for p in self.parts if isinstance(p, str))

    def fill(self, values: Mapping[str, str], *, fallbacks: Mapping[str, str] | None = None) -> str:
        """The template with each placeholder replaced by its value, inserted literally.

        A missing or blank value uses ``fallbacks[name]`` when given; otherwise
        :class:`MissingFieldError` lists every field lacking a value.
        """
        resolved: dict[str, str] = {}
        missing: list[str] = []
        for name in self.fields:
            value = (values.get(name) or "").strip()
            if not value and fallbacks is not None:
                value = (fallbacks.get(name) or "").strip()
            if value:
                resolved[name] = value
            else:
                missing.append(name)
        if missing:
            raise MissingFieldError(missing)
        return "".join(p if isinstance(p, str) else resolved[p.name] for p in self.parts)


def parse_template(text: str, *, known_fields: Collection[str] = KNOWN_FIELDS) -> CaptionTemplate:
    """Tokenise ``text``; :class:`TemplateError` on anything but ``{name}``, ``{{`` and ``}}``.

    Call when the campaign team saves a caption or alt-text template; store the source and
    parse again when filling (parsing is linear and cheap).
    """
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(f"template is longer than {MAX_TEMPLATE_LENGTH} characters")
    if "\x00" in text:
        raise TemplateError("template contains a NUL character", position=text.index("\x00") + 1)
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "}":
            if text.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise TemplateError("unbalanced '}': write '}}' for a literal brace", position=i + 1)
        if char != "{":
            literal.append(char)
            i += 1
            continue
        if text.startswith("{{", i):
            literal.append("{")
            i += 2
            continue
        end = _placeholder_end(text, i)
        name = text[i + 1 : end]
        _check_name(name, known_fields, position=i + 1)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Placeholder(name))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return CaptionTemplate(source=text, parts=tuple(parts))


def _placeholder_end(text: str, start: int) -> int:
    """Index of the '}' closing the placeholder opened at ``start``."""
    for j in range(start + 1, len(text)):
        if text[j] == "}":
            return j
        if text[j] in "{\n":
            break
    raise TemplateError(
        "unbalanced '{': close the placeholder with '}' or write '{{' for a literal brace",
        position=start + 1,
    )


def _check_name(name: str, known_fields: Collection[str], *, position: int) -> None:
    if not name.strip():
        raise TemplateError("empty placeholder '{}'", position=position)
    # Name the construct so the campaign team knows what to remove, not just "invalid".
    for marker, what in ((".", "attribute access"), ("[", "indexing"), ("!", "a conversion")):
        if marker in name:
            raise TemplateError(
                f"placeholder {{{name}}} uses {what}; only plain field names are allowed",
                position=position,
                field=name,
            )
    if ":" in name:
        raise TemplateError(
            f"placeholder {{{name}}} has a format spec; only plain field names are allowed",
            position=position,
            field=name,
        )
    if not _NAME.fullmatch(name):
        raise TemplateError(
            f"placeholder {{{name}}} is not a field name (lower-case letters, digits, _)",
            position=position,
            field=name,
        )
    if name not in known_fields:
        close = difflib.get_close_matches(name, sorted(known_fields), n=1)
        hint = f"; did you mean {{{close[0]}}}?" if close else ""
        raise TemplateError(
            f"unknown field {{{name}}}{hint} Known fields: {', '.join(sorted(known_fields))}",
            position=position,
            field=name,
        )


def with_credits(caption: str, credits: Iterable[str]) -> str:
    """``caption`` followed by each required credit line once, after a blank line.

    Credits already present verbatim are not repeated; blank lines are ignored. The credits
    count towards the platform limits like any other text (checked, never dropped).
    """
    lines = [c.strip() for c in credits]
    wanted = [c for c in dict.fromkeys(lines) if c and c not in caption]
    if not wanted:
        return caption
    return caption.rstrip() + "\n\n" + "\n".join(wanted)


def fill_caption(
    template: CaptionTemplate,
    values: Mapping[str, str],
    *,
    credits: Iterable[str] = (),
    fallbacks: Mapping[str, str] | None = None,
) -> str:
    """The caption for one library: template filled, then the licence credit lines appended."""
    return with_credits(template.fill(values, fallbacks=fallbacks), credits)


def compose_caption(
    text: str,
    hashtags: Sequence[str],
    link: str,
    rules: PlatformRules,
    *,
    credits: Iterable[str] = (),
) -> str:
    """The whole caption staff paste: filled text, the post's link, its hashtags, credits.

    Placed as each platform expects: on the short-text platforms (X, Bluesky, Threads) the
    hashtags follow the link on one line; elsewhere they are a block of their own after a
    blank line, as people write them on Instagram, Facebook and LinkedIn. Hashtags already in
    the text are not repeated, the platform's hashtag cap is kept (Threads: one topic tag),
    and a hashtag that would take the caption over the limit (counted the platform's way)
    is left out, last ones first. The link and the credits are never dropped: a caption
    that is too long with them is reported by :func:`check_post`, never cut.
    """
    body = text.rstrip()
    if link and link not in body:
        body = f"{body}\n\n{link}" if body else link
    present = {t.casefold() for t in extract_hashtags(body)}
    room = None if rules.hashtags_max is None else max(0, rules.hashtags_max - len(present))
    wanted: list[str] = []
    for tag in hashtags:
        tag = tag.lstrip("#").strip()
        if tag and tag.casefold() not in present and " " not in tag:
            present.add(tag.casefold())
            wanted.append(f"#{tag}")
    if room is not None:
        wanted = wanted[:room]
    inline = rules.caption_max <= 500

    def joined(tags: list[str]) -> str:
        if not tags:
            return with_credits(body, credits)
        sep = " " if inline and link and body.endswith(link) else "\n\n"
        return with_credits(f"{body}{sep}{' '.join(tags)}" if body else " ".join(tags), credits)

    while wanted:
        candidate = joined(wanted)
        fits = rules.length(candidate) <= rules.caption_max and (
            rules.caption_bytes_max is None or len(candidate.encode()) <= rules.caption_bytes_max
        )
        if fits:
            return candidate
        wanted.pop()
    return joined([])


def readable_template(text: str) -> str:
    """A template as people read it where no library's details are known (search results,
    feeds, notices): each ``{field}`` becomes its name in words, in square brackets
    (``{library_name}`` → ``[library name]``). Text that is not a valid template is
    returned with its braces' contents made readable the same way."""
    try:
        template = parse_template(text)
    except TemplateError:
        return regex.sub(
            r"\{([a-z_][a-z0-9_]*)\}", lambda m: f"[{m.group(1).replace('_', ' ')}]", text
        )
    return "".join(
        p if isinstance(p, str) else f"[{p.name.replace('_', ' ')}]" for p in template.parts
    )


def extract_hashtags(text: str) -> list[str]:
    """Distinct hashtags (without ``#``) in order; case-insensitive duplicates count once.

    A ``#`` inside a URL (``…/page#section``) or a word (``C#``) is not a hashtag, and an
    all-digit tag (``#1``) is not one either, as on the platforms.
    """
    seen: dict[str, str] = {}
    for match in _HASHTAG.finditer(without_urls(text)):
        seen.setdefault(match.group(1).casefold(), match.group(1))
    return list(seen.values())


class Rule(StrEnum):
    """What a :class:`LimitCheck` measured."""

    CAPTION_LENGTH = "caption_length"
    CAPTION_BYTES = "caption_bytes"
    HASHTAGS = "hashtags"
    IMAGE_COUNT = "image_count"
    ALT_TEXT_LENGTH = "alt_text_length"
    IMAGE_BYTES = "image_bytes"


@dataclass(frozen=True)
class LimitCheck:
    """One measurement against one limit. ``image`` is the 0-based image for per-image rules."""

    platform: str
    rule: Rule
    limit: int
    length: int
    image: int | None = None

    @property
    def overflow(self) -> int:
        """How far over the limit (0 when within it): characters, tags, images or bytes."""
        return max(0, self.length - self.limit)

    @property
    def ok(self) -> bool:
        return self.length <= self.limit

    def message(self, label: str | None = None) -> str:
        """A sentence for the library, e.g. "X: caption is 291 characters, 11 over 280"."""
        n, image = self.length, (self.image or 0) + 1
        what = {
            Rule.CAPTION_LENGTH: f"caption is {n} characters",
            Rule.CAPTION_BYTES: f"caption is {n} bytes",
            Rule.HASHTAGS: f"caption has {n} hashtags",
            Rule.IMAGE_COUNT: f"post has {n} images",
            Rule.ALT_TEXT_LENGTH: f"alt text of image {image} is {n} characters",
            Rule.IMAGE_BYTES: f"image {image} is {n} bytes",
        }[self.rule]
        state = f"{self.overflow} over the limit of" if self.overflow else "within the limit of"
        return f"{label or self.platform}: {what}, {state} {self.limit}"


@dataclass(frozen=True)
class PostImage:
    """What the checks need to know about one image of a post (alt text already filled)."""

    alt_text: str | None
    decorative: bool = False  # an explicit choice: the image conveys nothing; no alt text
    size_bytes: int | None = None  # the rendition's size at this platform's preset, if known


@dataclass(frozen=True)
class PostReport:
    """Every measurement of one filled post for one platform, within limits or not."""

    platform: str
    checks: tuple[LimitCheck, ...]
    missing_alt_text: tuple[int, ...]  # 0-based indexes of images lacking alt text

    @property
    def ok(self) -> bool:
        return not self.missing_alt_text and all(c.ok for c in self.checks)

    @property
    def problems(self) -> tuple[LimitCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def messages(self, label: str | None = None) -> list[str]:
        """Human sentences for every problem (empty when ``ok``)."""
        name = label or self.platform
        out = [c.message(name) for c in self.problems]
        out += [
            f"{name}: image {i + 1} needs alt text or a decorative mark"
            for i in self.missing_alt_text
        ]
        return out


def missing_alt_text(images: Sequence[PostImage]) -> tuple[int, ...]:
    """Indexes of images with neither alt text nor an explicit decorative flag (block publish)."""
    return tuple(
        i for i, img in enumerate(images) if not img.decorative and not (img.alt_text or "").strip()
    )


def check_caption(caption: str, rules: PlatformRules) -> LimitCheck:
    """The caption's length as ``rules`` counts it, against its limit."""
    return LimitCheck(rules.key, Rule.CAPTION_LENGTH, rules.caption_max, rules.length(caption))


def check_template(
    template: CaptionTemplate,
    images: Sequence[PostImage],
    rules: PlatformRules,
    *,
    sample: Mapping[str, str] | None = None,
    credits: Iterable[str] = (),
) -> PostReport:
    """The save-time check: the template filled with ``sample`` values (e.g. the longest
    library name on record), or without them its literal text alone, a lower bound that
    already fails when the campaign team's own words are too long. Libraries' filled captions
    are checked again with :func:`check_post`.
    """
    text = template.fill(sample) if sample is not None else template.skeleton
    return check_post(with_credits(text, credits), images, rules)


def check_post(caption: str, images: Sequence[PostImage], rules: PlatformRules) -> PostReport:
    """Measure a filled caption (credits included) and its images against one platform."""
    checks = [check_caption(caption, rules)]
    if rules.caption_bytes_max is not None:
        size = len(caption.encode())
        checks.append(LimitCheck(rules.key, Rule.CAPTION_BYTES, rules.caption_bytes_max, size))
    if rules.hashtags_max is not None:
        count = len(extract_hashtags(caption))
        checks.append(LimitCheck(rules.key, Rule.HASHTAGS, rules.hashtags_max, count))
    checks.append(LimitCheck(rules.key, Rule.IMAGE_COUNT, rules.images_max, len(images)))
    for index, image in enumerate(images):
        if rules.alt_text_max is not None and image.alt_text and not image.decorative:
            length = rules.length(image.alt_text)
            checks.append(
                LimitCheck(rules.key, Rule.ALT_TEXT_LENGTH, rules.alt_text_max, length, index)
            )
        if rules.image_bytes_max is not None and image.size_bytes is not None:
            checks.append(
                LimitCheck(
                    rules.key, Rule.IMAGE_BYTES, rules.image_bytes_max, image.size_bytes, index
                )
            )
    return PostReport(rules.key, tuple(checks), missing_alt_text(images))
