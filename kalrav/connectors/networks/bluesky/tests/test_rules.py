"""Bluesky: 300 graphemes and 3,000 UTF-8 bytes, counted the way people see characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import MediaItem, MediaKind
from kalrav.connectors.networks.bluesky.rules import MAX_BYTES, MAX_GRAPHEMES, RULES
from kalrav.connectors.rules import check, utf8_length, validate

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 1 grapheme, 25 bytes
FLAG_BD = "\U0001f1e7\U0001f1e9"
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"
# Each is one grapheme cluster that starts with a base character, so repeating it never merges.
CLUSTERS = [
    "a",
    "ক্ষ",
    "ক্ষি",
    "क्ष",
    "त्रि",
    "ગુ",
    "ર્ય",
    "\u03b1\u0301",
    "Ω",
    FAMILY,
    FLAG_BD,
    THUMB_MEDIUM,
]


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("নমস্কার", 4),  # ন ম স্কা র
        ("ক্ষমা করবেন", 7),  # ক্ষ মা ␠ ক র বে ন
        ("नमस्ते दुनिया", 7),  # न म स्ते ␠ दु नि या
        ("ગુજરાતી", 4),
        ("Καλημέρα κόσμε", 14),
        ("\u03b1\u0301\u03b5\u0301", 2),
        (FAMILY + FLAG_BD + THUMB_MEDIUM, 3),
    ],
)
def test_graphemes_as_bluesky_counts_them(text, graphemes):
    assert check(text, RULES).length == graphemes


def test_300_conjuncts_fit_and_301_do_not():
    assert check("ক্ষ" * 300, RULES).valid
    (problem,) = validate("ক্ষ" * 301, RULES)
    assert problem.code == "too_long" and problem.start == 300 * 3


def test_byte_limit_catches_long_emoji_sequences():
    text = FAMILY * 121  # 121 graphemes but 3,025 bytes
    (problem,) = validate(text, RULES)
    assert problem.code == "too_many_bytes"
    assert utf8_length(text[: problem.start]) <= MAX_BYTES < utf8_length(text[: problem.start + 1])


def test_images_alone_make_a_post_and_one_megabyte_is_the_limit():
    image = MediaItem(MediaKind.IMAGE, "image/jpeg", 1_000_000, alt_text="চায়ের কাপ")
    assert validate("", RULES, media=[image]) == []
    too_big = MediaItem(MediaKind.IMAGE, "image/jpeg", 1_000_001)
    assert [p.code for p in validate("", RULES, media=[too_big])] == ["media_too_large"]


@given(st.lists(st.sampled_from(CLUSTERS), max_size=420))
def test_a_text_of_n_graphemes_is_valid_iff_n_at_most_300_within_3000_bytes(clusters):
    text = "".join(clusters)
    valid = check(text, RULES).valid if text else True
    assert valid == (len(clusters) <= MAX_GRAPHEMES and utf8_length(text) <= MAX_BYTES)
