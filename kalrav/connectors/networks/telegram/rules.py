"""Telegram counts messages in UTF-16 code units, the unit its entity offsets use: 4,096 for a
message, 1,024 for a media caption (Bot API sendMessage / sendPhoto, "after entities parsing")."""

from __future__ import annotations

from datetime import timedelta

import regex

from kalrav.connectors.base import (
    LengthUnit,
    LinkHandling,
    MediaKind,
    MediaRule,
    MediaRules,
    NetworkRules,
    PollRules,
)
from kalrav.connectors.rules import measure_utf16, utf16_length, utf16_offset
from kalrav.connectors.text.tweet_text import extract_urls_with_indices

MAX_MESSAGE = 4096
MAX_CAPTION = 1024
MAX_POLL_QUESTION = 300

# Telegram's usernames are 5–32 letters, digits or underscores; a hashtag is a word of letters,
# digits and underscores that is not all digits.
_MENTION = regex.compile(r"(?<![\w@])@([A-Za-z0-9_]{5,32})(?![\w@])")
_HASHTAG = regex.compile(r"(?<![\w#])#(?=\w*[^\W\d])(\w+)")


def entity(text: str, start: int, end: int, kind: str, **extra) -> dict:
    """A Bot API MessageEntity for text[start:end] (string indices), offsets in UTF-16 units."""
    offset = utf16_offset(text, start)
    return {"type": kind, "offset": offset, "length": utf16_length(text[start:end]), **extra}


def entities(text: str) -> list[dict]:
    """Links, mentions and hashtags as MessageEntity objects, in text order. Telegram finds these
    itself in plain text; sending them explicitly keeps them when formatting entities are sent."""
    found = [(u["indices"][0], u["indices"][1], "url") for u in extract_urls_with_indices(text)]
    found += [(m.start(), m.end(), "mention") for m in _MENTION.finditer(text)]
    found += [(m.start(), m.end(), "hashtag") for m in _HASHTAG.finditer(text)]
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(found):
        if not kept or start >= kept[-1][1]:  # a "#" or "@" inside a link belongs to the link
            kept.append((start, end, kind))
    return [entity(text, start, end, kind) for start, end, kind in kept]


# Bot API limits: photos up to 10 MB with width + height at most 10,000 and a side ratio of at most
# 20; other uploads up to 50 MB; an album (sendMediaGroup) holds 2–10 photos and videos, while an
# animation goes alone. No alt text. Polls: the text is the question (300), 2–10 options of up to
# 100 characters, no media;
# an automatic close within 5–600 seconds.
RULES = NetworkRules(
    max_length=MAX_MESSAGE,
    max_length_with_media=MAX_CAPTION,
    unit=LengthUnit.UTF16,
    measure=measure_utf16,
    text_required=False,
    links=LinkHandling(counted_as=None, preview_card=True),
    media=MediaRules(
        rules=(
            MediaRule(
                MediaKind.IMAGE,
                frozenset({"image/jpeg", "image/png", "image/webp"}),
                max_bytes=10 * 1024 * 1024,
                max_count=10,
                max_dimensions_sum=10_000,
                max_aspect_ratio=20,
            ),
            MediaRule(
                MediaKind.VIDEO, frozenset({"video/mp4"}), max_bytes=50 * 1024 * 1024, max_count=10
            ),
            MediaRule(
                MediaKind.GIF,
                frozenset({"image/gif", "video/mp4"}),
                max_bytes=50 * 1024 * 1024,
                max_count=1,
                exclusive=True,
            ),
        ),
        max_items=10,
        alt_text=False,
    ),
    poll=PollRules(
        min_options=2,
        max_options=10,
        option_max_length=100,
        # open_period: Telegram closes a poll by itself only within 5–600 seconds; a longer poll
        # is sent without a duration and stays open.
        min_duration=timedelta(seconds=5),
        max_duration=timedelta(seconds=600),
        question_max_length=MAX_POLL_QUESTION,
    ),
    threads=False,
    first_comment=False,
)
