"""Instagram's rules as the composer checks them (kalrav.connectors.rules.check) and the format
checks only the connector can make."""

from __future__ import annotations

from kalrav.connectors.base import OutgoingPost
from kalrav.connectors.networks.instagram.rules import RULES, format_problems
from kalrav.connectors.networks.instagram.tests.fake import photo, video
from kalrav.connectors.rules import check


def codes(text: str, media=None) -> list[str]:
    media = (photo(),) if media is None else media
    return [problem.code for problem in check(text, RULES, media).problems]


def test_caption_is_2200_utf16_units():
    assert codes("a" * 2200) == []
    assert codes("a" * 2199 + "😀") == ["too_long"]  # an emoji is two UTF-16 units


def test_thirty_hashtags_and_twenty_mentions():
    tags = " ".join(f"#chai{n}" for n in range(30))
    assert codes(tags) == []
    over = check(tags + " #one_more", RULES, (photo(),)).problems
    assert [p.code for p in over] == ["too_many_hashtags"]
    assert over[0].start == len(tags) + 1  # marks the 31st
    people = " ".join(f"@friend{n}" for n in range(20))
    assert codes(people) == []
    assert codes(people + " @friend20") == ["too_many_mentions"]
    assert codes("mail me at chai@example.com #1") == []


def test_no_post_without_media_and_a_photo_may_go_without_caption():
    assert codes("Just words", media=()) == ["media_required"]
    assert codes("", media=(photo(),)) == []


def test_feed_photos_from_four_by_five_to_1_91():
    assert codes("x", (photo(width=1080, height=1350),)) == []
    assert codes("x", (photo(width=1080, height=566),)) == []  # Meta's own 1.91:1 example
    assert codes("x", (photo(width=1080, height=1920),)) == ["media_aspect_ratio"]
    assert codes("x", (photo(width=2000, height=1000),)) == ["media_aspect_ratio"]


def test_photos_are_jpeg_up_to_8_mb_and_reels_3_s_to_15_min():
    assert "media_type" in codes("x", (photo(mime_type="image/webp"),))
    assert "media_too_large" in codes("x", (photo(size=9 * 1024 * 1024),))
    assert codes("x", (video(duration=900.0),)) == []
    assert codes("x", (video(duration=2.0),)) == ["media_too_short"]
    assert codes("x", (video(duration=901.0),)) == ["media_too_long"]


def test_a_carousel_holds_ten():
    assert codes("x", tuple(photo(f"{n}.jpg") for n in range(10))) == []
    assert "too_many_media" in codes("x", tuple(photo(f"{n}.jpg") for n in range(11)))


def test_each_format_has_its_rules():
    story = RULES.for_options({"instagram_format": "story"})
    reel = RULES.for_options({"instagram_format": "reel"})
    assert RULES.for_options({}) is RULES.for_options({"instagram_format": "feed"})
    tall = photo(width=1080, height=1920)
    assert [p.code for p in check("", story, (tall,)).problems] == []  # 9:16 is a story's shape
    assert [p.code for p in check("hi", story, (tall,)).problems] == ["story_caption"]
    assert [p.code for p in check("", story, (video(duration=61.0),)).problems] == [
        "media_too_long"
    ]
    assert "too_many_media" in [p.code for p in check("", story, (tall, tall)).problems]
    assert [p.code for p in check("x", reel, (photo(),)).problems] == ["media_kind_unsupported"]
    assert check("x", reel, (video(),)).problems == ()


def test_format_shapes_refused_before_publishing():
    reel = {"instagram_format": "reel"}
    story = {"instagram_format": "story"}
    assert format_problems(OutgoingPost("x", media=(video(),), options=reel)) == []
    assert format_problems(OutgoingPost("x", media=(photo(),), options=reel))
    assert format_problems(OutgoingPost("", media=(photo(),), options=story)) == []
    assert format_problems(OutgoingPost("", media=(photo(), photo()), options=story))
    assert format_problems(OutgoingPost("", media=(photo(),), options={"instagram_format": "x"}))
