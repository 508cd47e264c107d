"""Platform limits at the boundary and one over, and length counted as each platform does."""

from __future__ import annotations

import time

import pytest

from assets_hub.branding.presets import PRESETS
from assets_hub.social.captions import (
    PostImage,
    Rule,
    check_caption,
    check_post,
    extract_hashtags,
)
from assets_hub.social.platforms import (
    PLATFORMS,
    X_URL_LENGTH,
    Counting,
    PlatformRules,
    find_urls,
    get_platform,
    graphemes,
    text_length,
    x_length,
)

ALL = sorted(PLATFORMS)


def test_seed_limits_match_the_issue() -> None:
    assert {k: p.caption_max for k, p in PLATFORMS.items() if k != "facebook"} == {
        "x": 280,
        "bluesky": 300,
        "threads": 500,
        "linkedin": 3000,
        "instagram": 2200,
    }
    assert PLATFORMS["facebook"].caption_max == 63206
    assert PLATFORMS["bluesky"].image_bytes_max == 1_000_000
    assert PLATFORMS["instagram"].hashtags_max == 30


@pytest.mark.parametrize("key", ALL)
def test_preferred_preset_exists(key: str) -> None:
    assert PLATFORMS[key].preset in PRESETS


@pytest.mark.parametrize("key", ALL)
def test_caption_at_the_limit_passes_and_one_over_reports_one(key: str) -> None:
    rules = PLATFORMS[key]
    at = check_caption("a" * rules.caption_max, rules)
    assert (at.ok, at.length, at.overflow, at.limit) == (
        True,
        rules.caption_max,
        0,
        rules.caption_max,
    )
    over = check_caption("a" * (rules.caption_max + 1), rules)
    assert (over.ok, over.overflow, over.platform) == (False, 1, key)
    assert f"1 over the limit of {rules.caption_max}" in over.message()


@pytest.mark.parametrize("key", ALL)
def test_image_count_at_the_limit_and_one_over(key: str) -> None:
    rules = PLATFORMS[key]
    images = [PostImage("A reading group") for _ in range(rules.images_max)]
    assert check_post("Hello", images, rules).ok
    report = check_post("Hello", [*images, PostImage("one more")], rules)
    (problem,) = report.problems
    assert (problem.rule, problem.overflow) == (Rule.IMAGE_COUNT, 1)


@pytest.mark.parametrize("key", [k for k in ALL if PLATFORMS[k].alt_text_max is not None])
def test_alt_text_at_the_limit_and_one_over(key: str) -> None:
    rules = PLATFORMS[key]
    limit = rules.alt_text_max
    assert limit is not None
    assert check_post("Hi", [PostImage("b" * limit)], rules).ok
    (problem,) = check_post("Hi", [PostImage("b" * (limit + 1))], rules).problems
    assert (problem.rule, problem.image, problem.overflow) == (Rule.ALT_TEXT_LENGTH, 0, 1)


@pytest.mark.parametrize("key", [k for k in ALL if PLATFORMS[k].image_bytes_max is not None])
def test_file_size_at_the_limit_and_one_over(key: str) -> None:
    rules = PLATFORMS[key]
    limit = rules.image_bytes_max
    assert limit is not None
    ok = [PostImage("alt", size_bytes=100), PostImage("alt", size_bytes=limit)]
    assert check_post("Hi", ok, rules).ok
    bad = [PostImage("alt", size_bytes=100), PostImage("alt", size_bytes=limit + 1)]
    (problem,) = check_post("Hi", bad, rules).problems
    assert (problem.rule, problem.image, problem.overflow) == (Rule.IMAGE_BYTES, 1, 1)
    assert "image 2 is" in problem.message()


@pytest.mark.parametrize("key", [k for k in ALL if PLATFORMS[k].hashtags_max is not None])
def test_hashtags_at_the_limit_and_one_over(key: str) -> None:
    rules = PLATFORMS[key]
    limit = rules.hashtags_max
    assert limit is not None
    tags = " ".join(f"#tag{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(limit + 1))
    at = " ".join(tags.split()[:limit])
    assert check_post(at, [], rules).ok
    (problem,) = check_post(tags, [], rules).problems
    assert (problem.rule, problem.length, problem.overflow) == (Rule.HASHTAGS, limit + 1, 1)


def test_bluesky_also_caps_bytes() -> None:
    rules = PLATFORMS["bluesky"]
    # 300 graphemes of 4-byte emoji is 1,200 bytes: fine. Family emoji are 25 bytes each.
    family = "👩\u200d👩\u200d👧\u200d👦"
    assert len(family.encode()) == 25
    report = check_post(family * 121, [], rules)  # 121 graphemes, 3,025 bytes
    (problem,) = report.problems
    assert (problem.rule, problem.limit, problem.overflow) == (Rule.CAPTION_BYTES, 3000, 25)


def test_graphemes_count_emoji_sequences_and_combining_marks_once() -> None:
    text = "e\u0301" + "👩\u200d👩\u200d👧\u200d👦" + "🇬🇧" + "👍🏽" + "a"
    assert graphemes(text) == ["e\u0301", "👩\u200d👩\u200d👧\u200d👦", "🇬🇧", "👍🏽", "a"]
    assert text_length(text, Counting.GRAPHEMES) == 5
    assert text_length(text, Counting.CODEPOINTS) == 14


def test_bluesky_boundary_counts_graphemes_not_code_points() -> None:
    rules = PLATFORMS["bluesky"]
    text = "🇬🇧" * 300  # 600 code points, 300 graphemes, 2,400 bytes
    assert check_post(text, [], rules).ok
    over = check_caption(text + "e\u0301", rules)
    assert (over.length, over.overflow) == (301, 1)


def test_x_counts_every_url_as_23() -> None:
    long_url = (
        "https://www.example-library.gov.uk/whats-on/libraries-week?utm_source=x&id=1234567890"
    )
    assert find_urls(f"Visit {long_url}.") == [long_url]
    assert x_length(long_url) == X_URL_LENGTH
    assert x_length("https://t.co") == X_URL_LENGTH  # short URLs are lengthened too
    assert x_length(f"Visit {long_url}. See you!") == len("Visit ") + 23 + len(". See you!")
    assert x_length("Book at www.anytown.gov.uk/events now") == len("Book at  now") + 23
    assert x_length("Book at anytown.gov.uk") == len("Book at ") + 23
    assert x_length("email us: hello@anytown.gov.uk") == len("email us: hello@anytown.gov.uk")


def test_x_boundary_with_a_url() -> None:
    rules = PLATFORMS["x"]
    url = "https://example.org/" + "p" * 200
    text = "a" * (280 - 24) + " " + url
    assert check_caption(text, rules).length == 280
    assert check_caption(text, rules).ok
    assert check_caption("a" + text, rules).overflow == 1


def test_x_weights_cjk_and_emoji_two() -> None:
    assert x_length("日本") == 4
    assert x_length("👩\u200d👩\u200d👧\u200d👦") == 2
    assert x_length("e\u0301") == 1  # NFC makes it é
    assert x_length("café — “quoted”") == len("café — “quoted”")


def test_threads_counts_emoji_as_utf8_bytes() -> None:
    assert text_length("hi 👍", Counting.THREADS) == 3 + 4
    rules = PLATFORMS["threads"]
    assert check_caption("a" * 496 + "👍", rules).ok
    assert check_caption("a" * 497 + "👍", rules).overflow == 1


def test_meta_and_linkedin_count_utf16_units() -> None:
    assert text_length("a👍", Counting.UTF16) == 3
    rules = PLATFORMS["instagram"]
    assert check_caption("a" * 2198 + "👍", rules).ok
    assert check_caption("a" * 2199 + "👍", rules).overflow == 1


def test_unknown_platform_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown platform 'myspace'.*bluesky"):
        get_platform("myspace")
    assert get_platform("x") is PLATFORMS["x"]


def test_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="caption_max"):
        PlatformRules("p", "P", 0, Counting.CODEPOINTS, "x-post", 1, None, None)
    with pytest.raises(ValueError, match="hashtags_max"):
        PlatformRules("p", "P", 10, Counting.CODEPOINTS, "x-post", 1, None, None, hashtags_max=-1)


@pytest.mark.parametrize(
    "hostile",
    ["http://a" + "." * 20_000, "http://" + "." * 20_000, "www." + "a." * 10_000, "#" * 20_000],
)
def test_counting_stays_linear_on_hostile_text(hostile: str) -> None:
    # A lazy URL pattern with a lookahead once took 4.5 s on the first of these.
    started = time.perf_counter()
    x_length(hostile)
    extract_hashtags(hostile)
    assert time.perf_counter() - started < 1.0
