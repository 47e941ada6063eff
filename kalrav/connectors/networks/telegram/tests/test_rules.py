"""Telegram: UTF-16 code units, 4,096 for messages and 1,024 for captions; entities in UTF-16."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import MediaItem, MediaKind, Poll
from kalrav.connectors.networks.telegram.rules import MAX_CAPTION, MAX_MESSAGE, RULES, entities
from kalrav.connectors.rules import check, validate

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 8 UTF-16 units
FLAG_IN = "\U0001f1ee\U0001f1f3"  # 4
THUMB_DARK = "\U0001f44d\U0001f3ff"  # 4
PHOTO = MediaItem(MediaKind.IMAGE, "image/jpeg", 2_000_000, width=1280, height=960)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("শুভেচ্ছা", 8),  # every Bengali code point is one unit, conjuncts included
        ("नमस्ते", 6),
        ("નમસ્તે", 6),
        ("Γειά σου", 8),
        ("\u03b1\u0301", 2),
        (FAMILY, 8),
        (FLAG_IN + THUMB_DARK, 8),
    ],
)
def test_utf16_length(text, units):
    assert check(text, RULES).length == units


def test_caption_limit_applies_with_media():
    caption = "ক" * 1025
    assert check(caption, RULES).valid
    (problem,) = validate(caption, RULES, media=[PHOTO])
    assert problem.code == "too_long" and problem.start == 1024


def test_overflow_inside_an_emoji_points_at_the_emoji():
    text = "a" * 4095 + THUMB_DARK  # the thumb needs units 4096–4097, the tone 4098–4099
    (problem,) = validate(text, RULES)
    assert problem.start == 4095


def test_album_and_photo_limits():
    album = [PHOTO] * 11
    assert [p.code for p in validate("", RULES, media=album)] == ["too_many_media"]
    panorama = MediaItem(
        MediaKind.IMAGE, "image/jpeg", 1000, width=9800, height=400
    )  # 10,200 px in total, ratio 24.5
    codes = {p.code for p in validate("", RULES, media=[panorama])}
    assert codes == {"media_dimensions", "media_aspect_ratio"}


def test_poll_question_is_the_text():
    problems = validate("প্রশ্ন" * 60, RULES, poll=Poll(("হ্যাঁ", "না")))
    assert [p.code for p in problems] == ["poll_question_too_long"]


def test_entities_have_utf16_offsets():
    text = f"{FAMILY} নতুন অফার @kalrav_news https://t.me/kalrav #চা_উৎসব"
    found = entities(text)
    units = text.encode("utf-16-le")
    assert [
        (e["type"], units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
        for e in found
    ] == [
        ("mention", "@kalrav_news"),
        ("url", "https://t.me/kalrav"),
        ("hashtag", "#চা_উৎসব"),
    ]
    assert found[0]["offset"] == 8 + len(" নতুন অফার ")


@given(
    st.integers(min_value=0, max_value=1100),
    st.sampled_from(["a", "ক্ষ", FAMILY, FLAG_IN, "\u03b1\u0301"]),
)
def test_valid_iff_utf16_units_within_limit(count, cluster):
    text = cluster * count
    units = len(text.encode("utf-16-le")) // 2
    assert check(text, RULES).valid == (0 < units <= MAX_MESSAGE and bool(text.strip()))
    if text:
        assert check(text, RULES, media=[PHOTO]).valid == (units <= MAX_CAPTION)


WORD = st.lists(st.sampled_from([*"abকখগ্াদেव", FAMILY, FLAG_IN]), min_size=1, max_size=6).map(
    "".join
)
TOKEN = st.one_of(
    WORD.map(lambda w: ("word", w)),
    st.from_regex(r"@[a-z][a-z0-9_]{4,15}", fullmatch=True).map(lambda m: ("mention", m)),
    st.from_regex(r"#[a-z][a-z0-9_]{0,10}", fullmatch=True).map(lambda h: ("hashtag", h)),
    st.from_regex(r"https://[a-z]{2,8}\.(com|org)/[a-z0-9]{1,8}", fullmatch=True).map(
        lambda u: ("url", u)
    ),
)


@given(st.lists(TOKEN, max_size=10))
def test_entity_offsets_slice_utf16_to_the_token(tokens):
    text = " ".join(token for _kind, token in tokens)
    units = text.encode("utf-16-le")
    found = [
        (e["type"], units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
        for e in entities(text)
    ]
    assert found == [(kind, token) for kind, token in tokens if kind != "word"]
