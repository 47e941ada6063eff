"""The core counting helpers and the validator, on rules declared here so the core's behaviour is
tested apart from any real network."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import (
    LengthUnit,
    MediaItem,
    MediaKind,
    MediaRule,
    MediaRules,
    NetworkRules,
    OutgoingPost,
    Poll,
    PollRules,
)
from kalrav.connectors.rules import (
    check,
    count_graphemes,
    index_from_utf16,
    measure_graphemes,
    utf8_offset,
    utf16_length,
    utf16_offset,
    validate,
    validate_post,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 5 code points, 8 UTF-16 units
FLAG_IN = "\U0001f1ee\U0001f1f3"
THUMB_DARK = "\U0001f44d\U0001f3fe"

RULES = NetworkRules(
    max_length=10,
    unit=LengthUnit.GRAPHEMES,
    measure=measure_graphemes,
    max_length_with_media=5,
    media=MediaRules(
        rules=(
            MediaRule(
                MediaKind.IMAGE,
                frozenset({"image/png"}),
                max_bytes=1000,
                max_count=2,
                max_dimensions_sum=100,
                max_aspect_ratio=4,
            ),
            MediaRule(
                MediaKind.VIDEO,
                frozenset({"video/mp4"}),
                max_bytes=5000,
                max_count=1,
                max_duration=60,
                exclusive=True,
            ),
        ),
        max_items=3,
        alt_text=True,
        alt_text_max=8,
    ),
    poll=PollRules(
        min_options=2, max_options=3, option_max_length=5, max_duration=timedelta(days=1)
    ),
)


def image(**kwargs) -> MediaItem:
    return MediaItem(
        **{
            "kind": MediaKind.IMAGE,
            "mime_type": "image/png",
            "size": 10,
            "width": 40,
            "height": 40,
            **kwargs,
        }
    )


@pytest.mark.parametrize(
    ("text", "graphemes", "utf16"),
    [
        ("abc", 3, 3),
        (FAMILY, 1, 8),
        (FLAG_IN + FLAG_IN, 2, 8),
        (THUMB_DARK, 1, 4),
        ("क्षत्रिय", 3, 8),  # Hindi conjuncts: क्ष त्रि य
        ("ক্ষমা", 2, 5),  # Bengali conjunct ক্ষ + মা
        ("ગુજરાતી", 4, 7),  # Gujarati vowel signs join their consonants
        ("Ελληνικά", 8, 8),
        ("\u03b1\u0301", 1, 2),  # Greek alpha + combining acute (decomposed)
    ],
)
def test_counting(text, graphemes, utf16):
    assert count_graphemes(text) == graphemes
    assert utf16_length(text) == utf16


def test_offsets():
    text = "a" + FAMILY + "b"
    assert utf16_offset(text, 6) == 9
    assert index_from_utf16(text, 9) == 6
    assert index_from_utf16(text, 2) == 1  # inside a surrogate pair: the character's start
    assert utf8_offset(text, 1) == 1
    assert utf8_offset("ক্ষ!", 3) == 9


@given(st.text())
def test_utf16_and_utf8_offsets_agree_with_encoders(text):
    for index in range(len(text) + 1):
        assert (
            utf16_offset(text, index) == len(text[:index].encode("utf-16-le", "surrogatepass")) // 2
        )
        assert index_from_utf16(text, utf16_offset(text, index)) == index
        assert utf8_offset(text, index) == len(text[:index].encode("utf-8", "surrogatepass"))


def test_valid_text_has_no_problems():
    report = check("ক্ষমা " + FAMILY, RULES)
    assert report.valid and report.length == 4 and report.limit == 10


def test_every_problem_is_returned_with_its_position():
    text = "a\x00" + "b" * 12
    problems = validate(
        text,
        RULES,
        media=[image(), image(), image(mime_type="image/gif")],
        poll=Poll(("yes", "yes")),
    )
    codes = [p.code for p in problems]
    assert codes.count("invalid_character") == 1
    assert "too_long" in codes and "too_many_media" in codes and "media_type" in codes
    assert "poll_duplicate_options" in codes
    nul = next(p for p in problems if p.code == "invalid_character")
    assert (nul.start, nul.end) == (1, 2)
    too_long = next(p for p in problems if p.code == "too_long")
    # With media the limit is 5: the sixth grapheme is where it stops fitting.
    assert (too_long.start, too_long.end) == (5, len(text))
    bad_type = next(p for p in problems if p.code == "media_type")
    assert bad_type.target == "media[2]" and bad_type.start is None


def test_overflow_position_falls_on_a_grapheme_boundary():
    text = "abcdefghi" + FAMILY + FAMILY
    problem = validate(text, RULES)[0]
    assert problem.code == "too_long" and problem.start == 9 + len(FAMILY)


def test_empty_text():
    assert [p.code for p in validate("  \n", RULES)] == ["empty"]


def test_media_rules():
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 6000, duration=61.0)
    problems = validate(
        "hi", RULES, media=[video, image(width=90, height=20, size=2000, alt_text="x" * 9)]
    )
    by_target = {(p.target, p.code) for p in problems}
    assert ("media", "mixed_media") in by_target
    assert ("media[0]", "media_too_large") in by_target
    assert ("media[0]", "media_too_long") in by_target
    assert ("media[1]", "media_too_large") in by_target
    assert ("media[1]", "media_dimensions") in by_target
    assert ("media[1]", "media_aspect_ratio") in by_target
    assert ("media[1]", "alt_text_too_long") in by_target


def test_alt_text_counts_graphemes():
    assert validate("hi", RULES, media=[image(alt_text=FAMILY * 8)]) == []


def test_poll_rules():
    problems = validate(
        "Q?", RULES, poll=Poll(("a", "b", "c", "dddddd"), duration=timedelta(days=2))
    )
    codes = {(p.target, p.code) for p in problems}
    assert ("poll", "poll_options") in codes
    assert ("poll.options[3]", "poll_option_too_long") in codes
    assert ("poll", "poll_duration") in codes


def test_thread_parts_are_checked_and_targeted():
    post = OutgoingPost("fine", thread=(OutgoingPost("x" * 11),))
    problems = validate_post(post, RULES)
    assert {(p.target, p.code) for p in problems} == {
        ("thread", "threads_unsupported"),
        ("thread[1].text", "too_long"),
    }


@given(
    st.integers(min_value=0, max_value=25),
    st.sampled_from(["a", FAMILY, FLAG_IN, THUMB_DARK, "ক্ষ", "\u03b1\u0301"]),
)
def test_length_rule_is_exact(count, cluster):
    text = "x" + cluster * count  # "x" first: no cluster may glue onto a previous one
    valid = not any(p.code == "too_long" for p in validate(text, RULES))
    assert valid == (count + 1 <= RULES.max_length)
