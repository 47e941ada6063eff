"""Mastodon: graphemes of content warning + text, links as 23, remote mentions by local part, and
the instance's own limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import MediaItem, MediaKind, Poll
from kalrav.connectors.networks.mastodon.rules import (
    RULES,
    countable_length,
    countable_text,
    rules_for_instance,
)
from kalrav.connectors.rules import check, validate

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
FLAG_GR = "\U0001f1ec\U0001f1f7"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("শুভ সকাল", 6),  # শু ভ ␠ স কা ল
        ("सुप्रभात", 4),  # सु प्र भा त
        ("સુપ્રભાત", 4),
        ("Καλημέρα", 8),
        (
            "\u039a\u03b1\u03bb\u03b7\u03bc\u03b5\u0301\u03c1\u03b1",
            8,
        ),  # decomposed έ is one grapheme
        (FAMILY + FLAG_GR, 2),
        ("https://example.com/" + "x" * 200, 23),
        ("http://example.com", 23),
        ("example.com", 11),  # without a scheme Mastodon counts it as written
        ("@rina@mastodon.social", 5),  # "@rina"
        ("@rina", 5),
        ("নমস্কার @rina@bengali.social", 4 + 1 + 5),
        ("mail rina@example.com", 21),  # an address is not a mention
    ],
)
def test_countable_length(text, length):
    assert countable_length(text) == length


def test_content_warning_counts_with_the_text():
    assert countable_length("ঝাল", spoiler_text="সতর্কতা") == 2 + 4


def test_overflow_is_located_in_the_original_text():
    text = "https://example.com/long " + "ক" * 480  # 23 + 1 + 480 = 504 of 500
    (problem,) = validate(text, RULES)
    assert problem.code == "too_long"
    assert problem.start == len("https://example.com/long ") + 476


def test_countable_text_maps_back_to_original_positions():
    countable, origin = countable_text("hi @a@b.social!")
    assert countable == "hi @a!"
    assert origin == [0, 1, 2, 3, 3, 14]


INSTANCE = {
    "domain": "bengali.social",
    "configuration": {
        "statuses": {
            "max_characters": 1000,
            "max_media_attachments": 6,
            "characters_reserved_per_url": 30,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
            "image_size_limit": 10_485_760,
            "image_matrix_limit": 16_777_216,
            "video_size_limit": 41_943_040,
            "video_matrix_limit": 2_304_000,
        },
        "polls": {
            "max_options": 5,
            "max_characters_per_option": 100,
            "min_expiration": 300,
            "max_expiration": 2_629_746,
        },
    },
}


def test_rules_follow_the_instance():
    rules = rules_for_instance(INSTANCE)
    assert rules.max_length == 1000
    assert check("https://example.com " + "ক" * 970, rules).length == 30 + 1 + 970
    assert rules.media.max_items == 6
    assert rules.poll.max_options == 5
    webp = MediaItem(MediaKind.IMAGE, "image/webp", 1000)
    assert [p.code for p in validate("hi", rules, media=[webp])] == ["media_type"]


def test_forks_reporting_max_toot_chars():
    assert rules_for_instance({"max_toot_chars": 5000}).max_length == 5000


def test_defaults_are_stock_mastodon():
    assert (
        RULES.max_length == 500 and RULES.media.max_items == 4 and RULES.media.alt_text_max == 1500
    )
    poll = Poll(("হ্যাঁ", "না", "হয়তো", "জানি না", "পরে"))
    assert [p.code for p in validate("?", RULES, poll=poll)] == ["poll_options"]


@given(st.integers(min_value=1, max_value=700), st.integers(min_value=1, max_value=600))
def test_valid_iff_graphemes_within_the_instance_limit(count, limit):
    rules = rules_for_instance({"configuration": {"statuses": {"max_characters": limit}}})
    assert check("ক্ষ" * count, rules).valid == (count <= limit)


@given(st.lists(st.from_regex(r"[a-z0-9/]{0,60}", fullmatch=True), min_size=1, max_size=8))
def test_each_link_counts_23(paths):
    text = " ".join(f"https://example.org/{path}" for path in paths)
    assert countable_length(text) == 23 * len(paths) + len(paths) - 1
