"""X counts a post by weight (most scripts 1, CJK and emoji 2, every URL 23) up to 280, with the
open-source twitter-text configuration; twitter-text-parser implements it."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.base import (
    LengthUnit,
    LinkHandling,
    Measure,
    MediaKind,
    MediaRule,
    MediaRules,
    NetworkRules,
    PollRules,
    PostOption,
)
from kalrav.connectors.rules import Problem, index_from_utf16
from kalrav.connectors.text.tweet_text import ParsedResult, parse_tweet
from kalrav.connectors.text.tweet_text import config as _twitter_config

MAX_LENGTH = 280
URL_LENGTH = 23
# The configurations the conformance suite was written against: v1 (140 code points), v2 (weights)
# and v3 (v2 plus emoji sequences counted as one emoji), which X uses today.
CONFIGS = {
    1: {**_twitter_config["version1"], "emoji_parsing_enabled": False},
    2: {**_twitter_config["version2"], "emoji_parsing_enabled": False},
    3: dict(_twitter_config["version3"]),
}
# twitter-text refuses U+FFFE, U+FEFF and U+FFFF; the core validator already refuses the other two.
_INVALID = {"\ufeff"}


def parse(text: str, version: int = 3, limit: int | None = None) -> ParsedResult:
    options = CONFIGS[version]
    if limit is not None:
        options = {**options, "max_weighted_tweet_length": limit}
    return parse_tweet(text, options)


def weighted_length(text: str) -> int:
    return parse(text).weightedLength


def measure(text: str, limit: int) -> Measure:
    result = parse(text, limit=limit)
    if result.weightedLength <= limit:
        return Measure(result.weightedLength, None)
    # validRangeEnd is the last UTF-16 unit that still fits (inclusive).
    return Measure(result.weightedLength, index_from_utf16(text, result.validRangeEnd + 1))


def invalid_characters(text: str) -> list[Problem]:
    return [
        Problem(
            "invalid_character",
            _("X refuses posts containing U+%(code)04X.") % {"code": ord(char)},
            index,
            index + 1,
        )
        for index, char in enumerate(text)
        if char in _INVALID
    ]


_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})

# docs.x.com "Media upload": images 5 MB, GIF 15 MB, video 512 MB; up to 4 photos or 1 GIF or 1
# video per post; video 0.5–140 s and at most 1920×1200 for standard accounts; alt text 1,000
# characters. Polls: 2–4 options of up to 25 characters, open 5 minutes to 7 days, no media.
RULES = NetworkRules(
    max_length=MAX_LENGTH,
    unit=LengthUnit.WEIGHTED,
    measure=measure,
    links=LinkHandling(counted_as=URL_LENGTH, preview_card=True),
    media=MediaRules(
        rules=(
            MediaRule(MediaKind.IMAGE, _IMAGE_TYPES, max_bytes=5 * 1024 * 1024, max_count=4),
            MediaRule(
                MediaKind.GIF,
                frozenset({"image/gif"}),
                max_bytes=15 * 1024 * 1024,
                max_count=1,
                exclusive=True,
            ),
            MediaRule(
                MediaKind.VIDEO,
                frozenset({"video/mp4", "video/quicktime"}),
                max_bytes=512 * 1024 * 1024,
                max_count=1,
                max_width=1920,
                max_height=1200,
                min_duration=0.5,
                max_duration=140,
                exclusive=True,
            ),
        ),
        max_items=4,
        alt_text=True,
        alt_text_max=1000,
    ),
    poll=PollRules(
        min_options=2,
        max_options=4,
        option_max_length=25,
        min_duration=timedelta(minutes=5),
        max_duration=timedelta(days=7),
    ),
    threads=True,
    first_comment=True,
    checks=(invalid_characters,),
    # POST /2/tweets `reply_settings` (docs.x.com "Create Post"); left out, everyone may reply.
    post_options=(
        PostOption(
            "reply_settings",
            gettext_lazy("Who can reply"),
            choices=(
                ("", gettext_lazy("Everyone")),
                ("following", gettext_lazy("Accounts you follow")),
                ("mentionedUsers", gettext_lazy("Only accounts you mention")),
                ("subscribers", gettext_lazy("Only your subscribers")),
                ("verified", gettext_lazy("Only verified accounts")),
            ),
        ),
    ),
)
