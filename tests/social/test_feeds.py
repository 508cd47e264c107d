"""Atom and JSON feeds parse back with their required elements; embargo and drafts stay out."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from assets_hub.social.feeds import (
    ATOM_NS,
    JSON_FEED_VERSION,
    MEDIA_NS,
    FeedImage,
    FeedInfo,
    FeedPost,
    atom_feed,
    json_feed,
)
from assets_hub.social.visibility import is_visible, visible_posts

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
A = f"{{{ATOM_NS}}}"
M = f"{{{MEDIA_NS}}}"
INFO = FeedInfo(
    id="tag:assets.example,2026:campaign/libraries-week/library/42",
    title="Libraries Week 2026 — Anytown Library",
    feed_url="https://assets.example/feeds/libraries-week.atom?token=abc&x=<1>",
    author="Anytown Library",
    home_page_url="https://assets.example/campaigns/libraries-week",
)


def parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - our own output, parsed to check it


def post(n: int, **changes: object) -> FeedPost:
    base = FeedPost(
        id=f"tag:assets.example,2026:post/{n}",
        title=f"Post {n} <b>&amp;</b>",
        caption=(
            "Pop into Anytown Library this #LibrariesWeek {{7*7}} </content>"
            f"\n\nPhoto: Jane {n}"
        ),
        published=NOW - timedelta(days=n),
        images=(
            FeedImage(
                "https://cdn.example/r/1.jpg?sig=a&exp=1", "A reader & a <dog>", size_bytes=123
            ),
            FeedImage(
                "https://cdn.example/r/2.png?sig=b", None, decorative=True, media_type="image/png"
            ),
        ),
        url=f"https://assets.example/posts/{n}",
        hashtags=("LibrariesWeek",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


POSTS = [
    post(1),
    post(2, updated=NOW - timedelta(hours=1)),
    post(3, published=None),  # draft
    post(4, published=NOW + timedelta(minutes=1)),  # scheduled later
    post(5, embargo_until=NOW + timedelta(hours=2)),  # embargoed
    post(6, embargo_until=NOW - timedelta(hours=2)),  # embargo over
]
VISIBLE_IDS = [p.id for p in (POSTS[0], POSTS[1], POSTS[5])]


def test_visible_posts_drops_drafts_scheduled_and_embargoed() -> None:
    assert [p.id for p in visible_posts(POSTS, NOW)] == VISIBLE_IDS
    assert is_visible(post(7, published=NOW), NOW)  # the boundary is inclusive
    assert is_visible(post(7, embargo_until=NOW), NOW)
    # Later, the embargo lifts by itself (AZ-06).
    assert len(visible_posts(POSTS, NOW + timedelta(hours=3))) == 5


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        visible_posts(POSTS, datetime(2026, 10, 5, 12, 0))
    with pytest.raises(ValueError, match="published must be timezone-aware"):
        visible_posts([post(1, published=datetime(2026, 1, 1))], NOW)


def test_atom_feed_parses_with_required_elements() -> None:
    root = parse(atom_feed(INFO, POSTS, NOW))
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") == INFO.id
    assert root.findtext(f"{A}title") == INFO.title
    assert root.findtext(f"{A}author/{A}name") == "Anytown Library"
    assert root.findtext(f"{A}updated") == "2026-10-05T11:00:00Z"  # post 2's update
    self_link = root.find(f"{A}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == INFO.feed_url
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == VISIBLE_IDS  # newest first
    first = entries[0]
    for tag in ("id", "title", "updated", "published", "content"):
        assert first.find(f"{A}{tag}") is not None, tag
    assert first.findtext(f"{A}title") == "Post 1 <b>&amp;</b>"  # text, round-tripped exactly
    assert first.findtext(f"{A}content") == post(1).caption
    assert first.findtext(f"{A}published") == "2026-10-04T12:00:00Z"
    enclosures = first.findall(f"{A}link[@rel='enclosure']")
    assert [e.get("href") for e in enclosures] == [i.url for i in post(1).images]
    assert enclosures[0].get("length") == "123"
    media = first.findall(f"{M}content")
    assert media[0].findtext(f"{M}description") == "A reader & a <dog>"
    assert media[1].find(f"{M}description") is None  # decorative
    assert first.find(f"{A}category").get("term") == "LibrariesWeek"  # type: ignore[union-attr]


def test_json_feed_parses_with_required_fields() -> None:
    document = json.loads(json_feed(INFO, POSTS, NOW))
    assert document["version"] == JSON_FEED_VERSION
    assert document["title"] == INFO.title and document["feed_url"] == INFO.feed_url
    items = document["items"]
    assert [i["id"] for i in items] == VISIBLE_IDS
    first = items[0]
    assert first["content_text"] == post(1).caption
    assert first["date_published"] == "2026-10-04T12:00:00Z"
    assert first["image"] == "https://cdn.example/r/1.jpg?sig=a&exp=1"
    assert first["attachments"][1] == {
        "url": "https://cdn.example/r/2.png?sig=b",
        "mime_type": "image/png",
    }
    assert first["_assets_hub"]["images"] == [
        {
            "url": "https://cdn.example/r/1.jpg?sig=a&exp=1",
            "alt_text": "A reader & a <dog>",
            "decorative": False,
        },
        {"url": "https://cdn.example/r/2.png?sig=b", "alt_text": None, "decorative": True},
    ]
    assert first["tags"] == ["LibrariesWeek"]


def test_embargoed_items_are_absent_even_if_the_caller_forgets_to_filter() -> None:
    atom = atom_feed(INFO, POSTS, NOW).decode()
    feed = json_feed(INFO, POSTS, NOW).decode()
    for hidden in (POSTS[2], POSTS[3], POSTS[4]):
        assert hidden.id not in atom and hidden.id not in feed


def test_empty_feeds_are_valid() -> None:
    root = parse(atom_feed(INFO, [], NOW))
    assert (
        root.findall(f"{A}entry") == [] and root.findtext(f"{A}updated") == "2026-10-05T12:00:00Z"
    )
    assert json.loads(json_feed(INFO, [], NOW))["items"] == []


def test_control_characters_cannot_break_the_xml() -> None:
    nasty = post(1, title="Bell\x07 NUL\x00 esc\x1b ok", caption="]]><entry>\x0b")
    root = parse(atom_feed(INFO, [nasty], NOW))
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == "Bell NUL esc ok"
    assert entry.findtext(f"{A}content") == "]]><entry>"
    assert json.loads(json_feed(INFO, [nasty], NOW))["items"][0]["title"] == nasty.title


def test_max_items_keeps_the_newest_and_times_are_utc() -> None:
    bst = timezone(timedelta(hours=1))
    many = [post(n, published=(NOW - timedelta(hours=n)).astimezone(bst)) for n in range(1, 150)]
    root = parse(atom_feed(INFO, many, NOW, max_items=10))
    entries = root.findall(f"{A}entry")
    assert len(entries) == 10
    assert entries[0].findtext(f"{A}published") == "2026-10-05T11:00:00Z"
    assert len(json.loads(json_feed(INFO, many, NOW))["items"]) == 100
