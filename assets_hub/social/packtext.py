"""The text files of a campaign pack, built from structured data (no templates involved).

Each file is plain UTF-8 with LF line endings, readable in Notepad and TextEdit. Values are
inserted as data (filled captions are already final text); nothing here is a template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assets_hub.social.zipwriter import ByteSource

_RULE = "=" * 60


@dataclass(frozen=True)
class PackFile:
    """One rendition of an image at one preset."""

    preset: str  # its folder in the pack, e.g. "instagram-square"
    extension: str
    source: ByteSource
    size: int | None = None


@dataclass(frozen=True)
class PackImage:
    """One image (asset) with its renditions, filled alt text and the credit its licence needs."""

    title: str
    files: Sequence[PackFile]
    alt_text: str | None = None
    decorative: bool = False
    credit: str | None = None


@dataclass(frozen=True)
class PackPost:
    """A social post: filled captions per platform label (credits included) and its images."""

    title: str
    captions: Mapping[str, str] = field(default_factory=dict)
    images: Sequence[PackImage] = ()


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f" ({size / (1024 * 1024):.1f} MB)"
    return f" ({max(1, round(size / 1024))} KB)"


def _heading(text: str) -> list[str]:
    return [text, "-" * min(len(text), 60)]


def render_texts(
    campaign: str,
    library: str,
    created: datetime,
    *,
    posts: Sequence[PackPost],
    assets: Sequence[PackImage],
    paths: Sequence[Sequence[str]],
    listing: Sequence[tuple[str, int | None]],
    size_labels: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """``[(name, text)]`` for README.txt, captions.txt, alt-text.txt and credits.txt.

    ``paths[i]`` are the archive paths of image ``i``, images numbered as the posts' images in
    order followed by ``assets``; ``listing`` is every rendition path with its size if known.
    """
    images = [img for post in posts for img in post.images] + list(assets)
    if len(paths) != len(images):
        raise ValueError("paths must give one list of archive paths per image")
    where = {id(img): p for img, p in zip(images, paths, strict=True)}
    return [
        ("README.txt", _readme(campaign, library, created, listing, size_labels or {})),
        ("captions.txt", _captions(campaign, library, posts, where)),
        ("alt-text.txt", _alt_texts(images, paths)),
        ("credits.txt", _credits(images, paths)),
    ]


def _readme(
    campaign: str,
    library: str,
    created: datetime,
    listing: Sequence[tuple[str, int | None]],
    size_labels: Mapping[str, str],
) -> str:
    lines = [
        f"{campaign}: campaign pack for {library}",
        _RULE,
        f"Made {created.astimezone(UTC):%d %B %Y at %H:%M} UTC.",
        "",
        "captions.txt   ready-to-post captions for each post and platform",
        "alt-text.txt   the alt text to add to each image when you post it",
        "credits.txt    credits the image licences require (already in the captions)",
        "",
        f"Files ({len(listing)}, one folder per size):",
    ]
    lines += [f"  {path}{_size(size)}" for path, size in listing] or ["  (none)"]
    folders = list(dict.fromkeys(path.split("/")[0] for path, _ in listing if "/" in path))
    named = [f"  {folder}/   {size_labels[folder]}" for folder in folders if folder in size_labels]
    if named:
        lines += ["", "Folders:", *named]
    return "\n".join(lines) + "\n"


def _captions(
    campaign: str, library: str, posts: Sequence[PackPost], where: Mapping[int, Sequence[str]]
) -> str:
    lines = [f"{campaign}: captions for {library}", _RULE, ""]
    if not posts:
        lines.append("This pack has no social posts.")
    for post in posts:
        lines += _heading(post.title)
        files = [p for img in post.images for p in where[id(img)]]
        if files:
            lines.append("Images: " + ", ".join(files))
        for platform, caption in post.captions.items():
            lines += ["", f"[{platform}]", caption]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _alt_texts(images: Sequence[PackImage], paths: Sequence[Sequence[str]]) -> str:
    lines = ["Alt text: paste it into the platform's image description box.", _RULE, ""]
    if not images:
        lines.append("This pack has no images.")
    for img, files in zip(images, paths, strict=True):
        lines += _heading(img.title)
        lines += [f"  {p}" for p in files]
        if img.decorative:
            lines.append("Decorative: no alt text needed (mark it decorative if asked).")
        else:
            lines.append(img.alt_text or "(no alt text given)")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _credits(images: Sequence[PackImage], paths: Sequence[Sequence[str]]) -> str:
    lines = ["Credits required by the image licences", _RULE, ""]
    credited = [(img, files) for img, files in zip(images, paths, strict=True) if img.credit]
    if not credited:
        lines.append("No credits are required for the images in this pack.")
    for img, files in credited:
        lines += _heading(img.title)
        lines += [f"  {p}" for p in files]
        lines += [f"Credit: {img.credit}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
