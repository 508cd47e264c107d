"""Per-campaign feeds of a library's posts: Atom (RFC 4287) and JSON Feed 1.1.

Both are built from data structures with real serialisers (``xml.etree.ElementTree`` and
``json``), never by pasting user text into markup. Characters XML 1.0 cannot carry (most C0
controls) are dropped from text so the feed always parses. Both builders apply
:func:`visible_posts` themselves, so a draft or embargoed post passed by mistake is left out
(AZ-04), then keep the newest ``max_items``.

Images are given as URLs by the caller (signed rendition URLs, branded for the library);
the feed's own URL carries the library's revocable token, which the caller checks.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import regex

from assets_hub.social.visibility import visible_posts

ATOM_MEDIA_TYPE: Final = "application/atom+xml; charset=utf-8"
JSON_FEED_MEDIA_TYPE: Final = "application/feed+json; charset=utf-8"
ATOM_NS: Final = "http://www.w3.org/2005/Atom"
MEDIA_NS: Final = "http://search.yahoo.com/mrss/"  # Media RSS: image + description (alt text)
JSON_FEED_VERSION: Final = "https://jsonfeed.org/version/1.1"
MAX_ITEMS: Final = 100

ET.register_namespace("", ATOM_NS)
ET.register_namespace("media", MEDIA_NS)

_NOT_XML: Final = regex.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedImage:
    """One image of a post: a URL the scheduling tool can fetch, and its alt text."""

    url: str
    alt_text: str | None
    decorative: bool = False
    media_type: str = "image/jpeg"
    size_bytes: int | None = None


@dataclass(frozen=True)
class FeedPost:
    """A post as a feed item, caption already filled for the library (credits included).

    ``id`` must be stable and unique forever (a ``tag:`` or ``urn:uuid:`` IRI): scheduling
    tools use it to tell new posts from ones they have seen. ``published`` is ``None`` for a
    draft; ``url`` is the grab page.
    """

    id: str
    title: str
    caption: str
    published: datetime | None
    images: Sequence[FeedImage] = ()
    url: str | None = None
    updated: datetime | None = None
    embargo_until: datetime | None = None
    hashtags: Sequence[str] = ()


@dataclass(frozen=True)
class FeedInfo:
    """The feed itself: one campaign for one library."""

    id: str
    title: str
    feed_url: str
    author: str  # the library's name
    home_page_url: str | None = None
    description: str | None = None
    language: str = "en-GB"


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def feed_items(
    posts: Iterable[FeedPost], now: datetime, max_items: int = MAX_ITEMS
) -> list[FeedPost]:
    """The visible posts at ``now``, newest first, at most ``max_items``."""
    shown = visible_posts(posts, now)
    shown.sort(key=lambda p: (p.published or now, p.id), reverse=True)
    return shown[:max_items]


def _published(post: FeedPost) -> datetime:
    if post.published is None:  # feed_items keeps published posts only
        raise ValueError(f"post {post.id!r} is not published")
    return post.published


def _updated(post: FeedPost) -> datetime:
    published = _published(post)
    return max(post.updated or published, published)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def atom_feed(
    info: FeedInfo, posts: Iterable[FeedPost], now: datetime, *, max_items: int = MAX_ITEMS
) -> bytes:
    """The Atom document (UTF-8 bytes, with XML declaration) of the posts visible at ``now``."""
    items = feed_items(posts, now, max_items)
    a, m = f"{{{ATOM_NS}}}", f"{{{MEDIA_NS}}}"
    feed = ET.Element(f"{a}feed", {"{http://www.w3.org/XML/1998/namespace}lang": info.language})
    _sub(feed, f"{a}id", info.id)
    _sub(feed, f"{a}title", info.title, type="text")
    if info.description:
        _sub(feed, f"{a}subtitle", info.description, type="text")
    newest = max((_updated(p) for p in items), default=now)
    _sub(feed, f"{a}updated", _stamp(newest))
    _sub(_sub(feed, f"{a}author"), f"{a}name", info.author)
    _sub(feed, f"{a}link", rel="self", href=info.feed_url, type="application/atom+xml")
    if info.home_page_url:
        _sub(feed, f"{a}link", rel="alternate", href=info.home_page_url, type="text/html")
    for post in items:
        entry = _sub(feed, f"{a}entry")
        _sub(entry, f"{a}id", post.id)
        _sub(entry, f"{a}title", post.title, type="text")
        _sub(entry, f"{a}published", _stamp(_published(post)))
        _sub(entry, f"{a}updated", _stamp(_updated(post)))
        if post.url:
            _sub(entry, f"{a}link", rel="alternate", href=post.url, type="text/html")
        _sub(entry, f"{a}content", post.caption, type="text")
        for tag in post.hashtags:
            _sub(entry, f"{a}category", term=tag)
        for image in post.images:
            enclosure = {"rel": "enclosure", "href": image.url, "type": image.media_type}
            if image.size_bytes is not None:
                enclosure["length"] = str(image.size_bytes)
            _sub(entry, f"{a}link", **enclosure)
            media = _sub(entry, f"{m}content", url=image.url, type=image.media_type, medium="image")
            if image.alt_text and not image.decorative:
                _sub(media, f"{m}description", image.alt_text, type="plain")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def json_feed(
    info: FeedInfo, posts: Iterable[FeedPost], now: datetime, *, max_items: int = MAX_ITEMS
) -> bytes:
    """The JSON Feed 1.1 document (UTF-8 bytes) of the posts visible at ``now``.

    Alt text has no JSON Feed field, so each item carries an ``_assets_hub`` extension object
    (the spec's convention for extensions) with its images' URLs and alt text.
    """
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "feed_url": info.feed_url,
        "authors": [{"name": info.author}],
        "language": info.language,
        "items": [_json_item(p) for p in feed_items(posts, now, max_items)],
    }
    if info.home_page_url:
        document["home_page_url"] = info.home_page_url
    if info.description:
        document["description"] = info.description
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _json_item(post: FeedPost) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": post.id,
        "title": post.title,
        "content_text": post.caption,
        "date_published": _stamp(_published(post)),
        "date_modified": _stamp(_updated(post)),
    }
    if post.url:
        item["url"] = post.url
    if post.hashtags:
        item["tags"] = list(post.hashtags)
    if post.images:
        item["image"] = post.images[0].url
        item["attachments"] = [_attachment(i) for i in post.images]
        item["_assets_hub"] = {
            "images": [
                {
                    "url": i.url,
                    "alt_text": None if i.decorative else i.alt_text,
                    "decorative": i.decorative,
                }
                for i in post.images
            ]
        }
    return item


def _attachment(image: FeedImage) -> dict[str, Any]:
    out: dict[str, Any] = {"url": image.url, "mime_type": image.media_type}
    if image.size_bytes is not None:
        out["size_in_bytes"] = image.size_bytes
    return out
