"""What a Facebook Page post may hold (rules.py), as the composer and the publisher see it."""

from __future__ import annotations

from kalrav.connectors.base import MediaItem, MediaKind, OutgoingPost
from kalrav.connectors.networks.facebook.rules import MAX_LENGTH, RULES, reel_problems
from kalrav.connectors.rules import validate_post


def photo(n: int, size: int = 1024) -> MediaItem:
    return MediaItem(MediaKind.IMAGE, "image/jpeg", size, 1080, 1080, source=str(n))


def test_text_is_counted_in_utf16_units_up_to_63206():
    assert RULES.measure("a" * MAX_LENGTH, MAX_LENGTH).overflow_at is None
    # An emoji outside the BMP is two UTF-16 units, so one fewer fits.
    text = "☕" + "🍵" + "a" * (MAX_LENGTH - 2)
    assert RULES.measure(text, MAX_LENGTH).overflow_at is not None


def test_photos_alone_make_a_post_up_to_ten():
    assert validate_post(OutgoingPost("", media=tuple(photo(n) for n in range(10))), RULES) == []
    too_many = validate_post(OutgoingPost("", media=tuple(photo(n) for n in range(11))), RULES)
    assert too_many


def test_a_photo_over_10_mb_is_refused():
    assert validate_post(OutgoingPost("x", media=(photo(1, 11 * 1024 * 1024),)), RULES)


def test_a_video_goes_alone():
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 1024, duration=30, source="v")
    assert validate_post(OutgoingPost("x", media=(video,)), RULES) == []
    assert validate_post(OutgoingPost("x", media=(video, photo(1))), RULES)


def test_a_reel_is_one_vertical_video_of_3_to_90_seconds():
    good = MediaItem(MediaKind.VIDEO, "video/mp4", 1024, 1080, 1920, duration=30, source="r")
    assert reel_problems((good,)) == []
    short = MediaItem(MediaKind.VIDEO, "video/mp4", 1024, 1080, 1920, duration=2, source="r")
    small = MediaItem(MediaKind.VIDEO, "video/mp4", 1024, 360, 640, duration=30, source="r")
    assert [p.code for p in reel_problems((short,))] == ["reel_duration"]
    assert [p.code for p in reel_problems((small,))] == ["reel_size"]
    assert [p.code for p in reel_problems((photo(1),))] == ["reel_video"]
