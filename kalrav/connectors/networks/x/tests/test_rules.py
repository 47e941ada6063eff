"""X's weighted counting as a user meets it: scripts, emoji, links and where a post stops fitting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import MediaItem, MediaKind
from kalrav.connectors.networks.x.rules import RULES, weighted_length
from kalrav.connectors.rules import check, validate

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG_IN = "\U0001f1ee\U0001f1f3"
WAVE_DARK = "\U0001f44b\U0001f3ff"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("নমস্কার", 7),  # Bengali (U+0980–U+09FF) is below U+10FF: one per code point
        ("क्षत्रिय", 8),  # Hindi conjuncts count per code point, not per grapheme
        ("ગુજરાતી", 7),
        ("Καλημέρα", 8),
        ("\u03b1\u0301", 1),  # decomposed Greek is normalised (NFC) before counting
        (FAMILY, 2),  # an emoji ZWJ sequence counts as one emoji: 2
        (FLAG_IN, 2),
        (WAVE_DARK, 2),
        ("日本語", 6),
        ("https://example.com/" + "a" * 100, 23),
        ("বই পড়ুন: https://kalrav.org/b", 10 + 23),
        ("https://kalrav.example/b", 24),  # not a real top-level domain: plain text, not a link
    ],
)
def test_weighted_length(text, length):
    assert weighted_length(text) == length


def test_limit_and_position_of_overflow():
    text = "ক" * 280 + "খগ"
    report = check(text, RULES)
    assert report.length == 282 and report.limit == 280
    (problem,) = report.problems
    assert problem.code == "too_long" and problem.start == 280 and problem.end == 282


def test_overflow_position_with_wide_characters():
    text = "語" * 141  # weight 2 each: the 141st does not fit
    (problem,) = validate(text, RULES)
    assert problem.start == 140


def test_invalid_characters_are_located():
    problems = validate("ok\ufeffok\uffff", RULES)
    assert [(p.code, p.start) for p in problems] == [
        ("invalid_character", 2),
        ("invalid_character", 5),
    ]


def test_media_rules_four_images_or_one_video():
    images = [MediaItem(MediaKind.IMAGE, "image/jpeg", 1_000_000) for _ in range(5)]
    assert [p.code for p in validate("hi", RULES, media=images)] == ["too_many_media"]
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 10_000_000, width=1280, height=720, duration=30)
    assert validate("hi", RULES, media=[video]) == []
    assert [p.code for p in validate("hi", RULES, media=[video, images[0]])] == ["mixed_media"]


@given(st.integers(min_value=1, max_value=400), st.sampled_from(["a", "ক", "ऄ", "Ω"]))
def test_single_weight_scripts_are_valid_up_to_280(count, char):
    assert check(char * count, RULES).valid == (count <= 280)


@given(
    st.integers(min_value=1, max_value=200),
    st.sampled_from(["語", "한", FAMILY, FLAG_IN, WAVE_DARK]),
)
def test_double_weight_characters_are_valid_up_to_140(count, cluster):
    assert check(cluster * count, RULES).valid == (count <= 140)


@given(st.lists(st.from_regex(r"[a-z0-9]{1,30}", fullmatch=True), min_size=1, max_size=5))
def test_every_link_counts_23_whatever_its_length(paths):
    text = " ".join(f"https://example.com/{path}" for path in paths)
    assert weighted_length(text) == 23 * len(paths) + len(paths) - 1
