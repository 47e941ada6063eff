"""Bluesky counts a post in grapheme clusters (300), and the record may hold at most 3,000 bytes of
UTF-8 (app.bsky.feed.post lexicon: maxGraphemes 300, maxLength 3000)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kalrav.connectors.base import (
    LengthUnit,
    LinkHandling,
    MediaKind,
    MediaRule,
    MediaRules,
    NetworkRules,
)
from kalrav.connectors.rules import Problem, measure_graphemes, measure_units

MAX_GRAPHEMES = 300
MAX_BYTES = 3000


def byte_limit(text: str) -> list[Problem]:
    # Long emoji sequences can pass 300 graphemes yet break the byte limit.
    units = ((index, len(char.encode("utf-8", "surrogatepass"))) for index, char in enumerate(text))
    measured = measure_units(units, MAX_BYTES)
    if measured.overflow_at is None:
        return []
    return [
        Problem(
            "too_many_bytes",
            _("Bluesky stores at most %(max)d bytes of text; this is %(length)d.")
            % {"max": MAX_BYTES, "length": measured.length},
            measured.overflow_at,
            len(text),
        )
    ]


# Lexicons app.bsky.embed.images (up to 4 images, each blob at most 1,000,000 bytes) and
# app.bsky.embed.video (one video/mp4, at most 100,000,000 bytes); bsky.app allows videos up to
# 3 minutes. Alt text has no lexicon limit; 2,000 graphemes is what the Bluesky app accepts.
RULES = NetworkRules(
    max_length=MAX_GRAPHEMES,
    unit=LengthUnit.GRAPHEMES,
    measure=measure_graphemes,
    text_required=False,
    links=LinkHandling(counted_as=None, preview_card=False, auto_linked=False),
    media=MediaRules(
        rules=(
            MediaRule(
                MediaKind.IMAGE,
                frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
                max_bytes=1_000_000,
                max_count=4,
            ),
            MediaRule(
                MediaKind.VIDEO,
                frozenset({"video/mp4"}),
                max_bytes=100_000_000,
                max_count=1,
                max_duration=180,
                exclusive=True,
            ),
        ),
        max_items=4,
        alt_text=True,
        alt_text_max=2000,
    ),
    threads=True,
    first_comment=True,
    languages=True,  # a post's `langs`, read by the app's language filters and feeds
    checks=(byte_limit,),
)
