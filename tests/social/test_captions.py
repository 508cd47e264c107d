"""Caption and alt-text templates: validation at save, filling per library, credits, reports."""

from __future__ import annotations

import pytest

from assets_hub.social.captions import (
    KNOWN_FIELDS,
    MAX_TEMPLATE_LENGTH,
    MissingFieldError,
    Placeholder,
    PostImage,
    Rule,
    TemplateError,
    check_caption,
    check_post,
    check_template,
    extract_hashtags,
    fill_caption,
    missing_alt_text,
    parse_template,
    with_credits,
)
from assets_hub.social.platforms import PLATFORMS

PROFILE = {
    "library_name": "Anytown Library",
    "website": "https://anytown.gov.uk/libraries",
    "phone": "01234 567890",
}


def test_known_fields_are_the_branding_vocabulary() -> None:
    assert {"library_name", "website", "event_title", "event_date"} <= KNOWN_FIELDS


def test_parse_gives_literals_and_placeholders() -> None:
    template = parse_template("Pop into {library_name} this #LibrariesWeek — {website}")
    assert template.parts == (
        "Pop into ",
        Placeholder("library_name"),
        " this #LibrariesWeek — ",
        Placeholder("website"),
    )
    assert template.fields == ("library_name", "website")
    assert template.skeleton == "Pop into  this #LibrariesWeek — "


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("Hi {libary_name}!", r"unknown field \{libary_name\}; did you mean \{library_name\}", 4),
        ("{library_name.__class__}", "uses attribute access", 1),
        ("{a[0]}", "uses indexing", 1),
        ("{library_name[0]}", "uses indexing", 1),
        ("{website:>10}", "has a format spec", 1),
        ("{a!r}", "uses a conversion", 1),
        ("{library_name!s:>{phone}}", "unbalanced '{'", 1),
        ("Hi {library_name", "unbalanced '{'", 4),
        ("Hi library_name}", "unbalanced '}'", 16),
        ("{}", "empty placeholder", 1),
        ("{ library_name }", "is not a field name", 1),
        ("{Library_Name}", "is not a field name", 1),
        ("{0}", "is not a field name", 1),
        ("{library_name\n}", "unbalanced '{'", 1),
        ("a\x00b", "NUL", 2),
    ],
)
def test_bad_templates_are_refused_with_a_clear_error(
    source: str, message: str, position: int
) -> None:
    with pytest.raises(TemplateError, match=message) as caught:
        parse_template(source)
    assert caught.value.position == position
    assert f"at character {position}" in str(caught.value)


def test_unknown_field_error_names_the_field() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("{opening_times}")
    assert caught.value.field == "opening_times"
    assert "Known fields:" in str(caught.value)


def test_over_long_template_is_refused_before_parsing() -> None:
    with pytest.raises(TemplateError, match="longer than"):
        parse_template("a" * (MAX_TEMPLATE_LENGTH + 1))


def test_doubled_braces_are_literal_and_nothing_is_evaluated() -> None:
    template = parse_template("{{7*7}} {{library_name}} {library_name} }}{{")
    assert template.fill(PROFILE) == "{7*7} {library_name} Anytown Library }{"


def test_values_are_inserted_literally_never_expanded() -> None:
    template = parse_template("Visit {library_name}")
    hostile = {"library_name": "{website} {{7*7}} {library_name.__class__}"}
    assert template.fill(hostile) == "Visit {website} {{7*7}} {library_name.__class__}"


def test_custom_known_fields() -> None:
    template = parse_template("{campaign_tag}", known_fields={"campaign_tag"})
    assert template.fill({"campaign_tag": "#LibrariesWeek"}) == "#LibrariesWeek"
    with pytest.raises(TemplateError, match="unknown field"):
        parse_template("{library_name}", known_fields={"campaign_tag"})


def test_fill_caption_and_alt_text_per_library() -> None:
    caption = parse_template("Pop into {library_name} this #LibrariesWeek — {website}")
    alt = parse_template("A reader at {library_name}'s new reading corner")
    assert (
        fill_caption(caption, PROFILE)
        == "Pop into Anytown Library this #LibrariesWeek — https://anytown.gov.uk/libraries"
    )
    assert alt.fill(PROFILE) == "A reader at Anytown Library's new reading corner"


def test_missing_values_are_an_error_naming_them_all() -> None:
    template = parse_template("{library_name} {email} {opening_hours} {email}")
    with pytest.raises(MissingFieldError, match="email, opening_hours") as caught:
        template.fill({**PROFILE, "opening_hours": "   "})
    assert caught.value.fields == ("email", "opening_hours")


def test_explicit_fallback_is_used_only_when_given() -> None:
    template = parse_template("Call {phone} or email {email}")
    filled = template.fill(PROFILE, fallbacks={"email": "your local library"})
    assert filled == "Call 01234 567890 or email your local library"
    with pytest.raises(MissingFieldError):
        template.fill(PROFILE, fallbacks={"email": ""})


def test_credit_lines_are_appended_once() -> None:
    caption = parse_template("Pop into {library_name}")
    credits = [
        "Photo: Jane Doe, CC BY 4.0",
        " ",
        "Photo: Jane Doe, CC BY 4.0",
        "Illustration: A. N. Other",
    ]
    assert fill_caption(caption, PROFILE, credits=credits) == (
        "Pop into Anytown Library\n\nPhoto: Jane Doe, CC BY 4.0\nIllustration: A. N. Other"
    )
    assert with_credits("Thanks. Photo: Jane Doe, CC BY 4.0", ["Photo: Jane Doe, CC BY 4.0"]) == (
        "Thanks. Photo: Jane Doe, CC BY 4.0"
    )
    assert with_credits("No credits", []) == "No credits"


def test_credits_count_towards_the_limit_and_overflow_is_reported_not_cut() -> None:
    rules = PLATFORMS["x"]
    body = "a" * 260
    caption = with_credits(body, ["Photo: Jane Doe"])  # + 2 newlines + 15
    check = check_caption(caption, rules)
    assert (check.length, check.overflow) == (277, 0)
    longer = with_credits(body, ["Photo: Jane Doe, Anytown"])
    check = check_caption(longer, rules)
    assert (check.platform, check.limit, check.length, check.overflow) == ("x", 280, 286, 6)
    assert check.message("X") == "X: caption is 286 characters, 6 over the limit of 280"
    assert longer.endswith("Photo: Jane Doe, Anytown")  # nothing was cut


def test_a_filled_caption_can_overflow_where_the_template_did_not() -> None:
    template = parse_template("Pop into {library_name}! " + "x" * 250)
    long_name = {"library_name": "Little Snoring-on-the-Marsh Community Library"}
    report = check_post(template.fill(long_name), [], PLATFORMS["x"])
    assert not report.ok
    (problem,) = report.problems
    assert problem.overflow == len(template.fill(long_name)) - 280
    assert check_caption(template.skeleton, PLATFORMS["x"]).ok


def test_hashtags_are_extracted_distinct_and_outside_urls() -> None:
    text = (
        "Join #LibrariesWeek at #AnytownLibrary! #librariesweek again, #2026 is not a tag, "
        "C#sharp is not either, https://example.org/page#section neither, #café_ok #日本"
    )
    assert extract_hashtags(text) == ["LibrariesWeek", "AnytownLibrary", "café_ok", "日本"]


def test_alt_text_is_required_unless_decorative() -> None:
    images = [
        PostImage("A child reading"),
        PostImage(None),
        PostImage("  "),
        PostImage(None, decorative=True),
    ]
    assert missing_alt_text(images) == (1, 2)
    report = check_post("Hi", images, PLATFORMS["bluesky"])
    assert not report.ok
    assert report.missing_alt_text == (1, 2)
    assert report.messages("Bluesky") == [
        "Bluesky: image 2 needs alt text or a decorative mark",
        "Bluesky: image 3 needs alt text or a decorative mark",
    ]


def test_report_lists_every_measurement() -> None:
    report = check_post("Hello #one", [PostImage("alt", size_bytes=10)], PLATFORMS["instagram"])
    assert report.ok and report.messages() == []
    assert [c.rule for c in report.checks] == [
        Rule.CAPTION_LENGTH,
        Rule.HASHTAGS,
        Rule.IMAGE_COUNT,
        Rule.ALT_TEXT_LENGTH,
        Rule.IMAGE_BYTES,
    ]


def test_save_time_check_uses_the_skeleton_or_a_sample() -> None:
    template = parse_template("{library_name}: " + "x" * 270 + " #LibrariesWeek")
    rules = PLATFORMS["x"]
    assert check_template(template, [], rules).problems[0].overflow == 2 + 270 + 15 - 280
    sample = {"library_name": "Little Snoring-on-the-Marsh Community Library"}
    report = check_template(template, [], rules, sample=sample, credits=["Photo: J. Doe"])
    assert report.problems[0].overflow == 45 + 2 + 270 + 15 + 2 + 13 - 280
    assert check_template(
        parse_template("Hi {library_name}"), [PostImage(None)], rules
    ).missing_alt_text == (0,)


def test_messages_read_well() -> None:
    rules = PLATFORMS["instagram"]
    tags = " ".join(f"#t{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(31))
    images = [PostImage("a" * 1001, size_bytes=9 * 1024 * 1024)] + [PostImage("b")] * 20
    assert check_post(tags, images, rules).messages("Instagram") == [
        "Instagram: caption has 31 hashtags, 1 over the limit of 30",
        "Instagram: post has 21 images, 1 over the limit of 20",
        "Instagram: alt text of image 1 is 1001 characters, 1 over the limit of 1000",
        "Instagram: image 1 is 9437184 bytes, 1048576 over the limit of 8388608",
    ]
