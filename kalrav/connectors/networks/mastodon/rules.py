"""Mastodon counts grapheme clusters of the content warning plus the text, in which every link
(with its scheme) counts as a fixed 23 characters and a remote mention @user@domain as @user
(StatusLengthValidator in mastodon/mastodon). The limit is the instance's: 500 by default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import regex
from django.utils.translation import gettext_lazy as _

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
from kalrav.connectors.rules import grapheme_spans, measure_units
from kalrav.connectors.text.tweet_text import extract_urls_with_indices

MAX_CHARACTERS = 500
URL_LENGTH = 23

# Account::MENTION_RE: a local part of word characters with inner dots or dashes, then an
# optional @domain; not preceded by "=", "/" or a word character.
_MENTION = regex.compile(r"(?<![=/\w])@((?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?)")
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_END_MENTION = regex.compile(rf"[@\uff20{_LATIN_ACCENTS}]|://")


def _entities(text: str, url_length: int) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for every link and mention, overlaps resolved by position."""
    found = [
        (url["indices"][0], url["indices"][1], "x" * url_length)
        for url in extract_urls_with_indices(text, extract_urls_without_protocol=False)
    ]
    for match in _MENTION.finditer(text):
        if not _END_MENTION.match(text, match.end()):
            found.append((match.start(), match.end(), "@" + match.group(1).split("@")[0]))
    kept: list[tuple[int, int, str]] = []
    for entity in sorted(found):
        if not kept or entity[0] >= kept[-1][1]:
            kept.append(entity)
    return kept


def countable_text(text: str, url_length: int = URL_LENGTH) -> tuple[str, list[int]]:
    """The text as Mastodon counts it, and for each of its characters the index it came from."""
    pieces: list[str] = []
    origin: list[int] = []
    cursor = 0
    for start, end, replacement in _entities(text, url_length):
        pieces.append(text[cursor:start])
        origin.extend(range(cursor, start))
        pieces.append(replacement)
        origin.extend([start] * len(replacement))
        cursor = end
    pieces.append(text[cursor:])
    origin.extend(range(cursor, len(text)))
    return "".join(pieces), origin


def measure(text: str, limit: int, url_length: int = URL_LENGTH, spoiler_text: str = "") -> Measure:
    countable, origin = countable_text(text, url_length)
    combined = spoiler_text + countable
    # Positions inside the content warning are reported at the start of the text.
    origin = [0] * len(spoiler_text) + origin
    measured = measure_units(((start, 1) for start, _end in grapheme_spans(combined)), limit)
    if measured.overflow_at is None:
        return measured
    return Measure(measured.length, origin[measured.overflow_at] if origin else 0)


def countable_length(text: str, spoiler_text: str = "", url_length: int = URL_LENGTH) -> int:
    return measure(text, 10**9, url_length, spoiler_text).length


_IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp", "image/avif"}
)
_VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm", "video/ogg"})

# Defaults of a stock Mastodon 4 instance (GET /api/v2/instance, "configuration"): 4 attachments;
# images 16 MiB and 33,177,600 pixels; videos 99 MiB and 8,294,400 pixels, and a video must be a
# post's only attachment (animated GIFs become "gifv" and may join images); descriptions 1,500
# characters; polls of up to 4 options of 50 characters, open 5 minutes to 1 month.
DEFAULT_CONFIGURATION: dict[str, Any] = {
    "statuses": {
        "max_characters": MAX_CHARACTERS,
        "max_media_attachments": 4,
        "characters_reserved_per_url": URL_LENGTH,
    },
    "media_attachments": {
        "supported_mime_types": sorted(_IMAGE_TYPES | _VIDEO_TYPES),
        "image_size_limit": 16_777_216,
        "image_matrix_limit": 33_177_600,
        "video_size_limit": 103_809_024,
        "video_matrix_limit": 8_294_400,
        "description_limit": 1500,
    },
    "polls": {
        "max_options": 4,
        "max_characters_per_option": 50,
        "min_expiration": 300,
        "max_expiration": 2_629_746,
    },
}


def rules_for_instance(instance: Mapping[str, Any] | None = None) -> NetworkRules:
    """Rules from an instance's GET /api/v2/instance (or v1) document; missing values keep the
    Mastodon defaults, so forks that report less still get sensible rules."""
    instance = instance or {}
    configuration = instance.get("configuration") or {}

    def setting(section: str, name: str) -> Any:
        value = (configuration.get(section) or {}).get(name)
        return DEFAULT_CONFIGURATION[section][name] if value is None else value

    # Some forks (Pleroma, older glitch-soc) report the limit as max_toot_chars instead.
    max_characters = int(instance.get("max_toot_chars") or setting("statuses", "max_characters"))
    url_length = int(setting("statuses", "characters_reserved_per_url"))
    mime_types = frozenset(setting("media_attachments", "supported_mime_types"))
    images = mime_types & _IMAGE_TYPES - {"image/gif"}
    max_items = int(setting("statuses", "max_media_attachments"))
    image_bytes = int(setting("media_attachments", "image_size_limit"))
    return NetworkRules(
        max_length=max_characters,
        unit=LengthUnit.GRAPHEMES,
        measure=partial(measure, url_length=url_length),
        text_required=False,
        links=LinkHandling(counted_as=url_length, preview_card=True),
        media=MediaRules(
            rules=(
                MediaRule(
                    MediaKind.IMAGE,
                    images,
                    max_bytes=image_bytes,
                    max_count=max_items,
                    max_pixels=int(setting("media_attachments", "image_matrix_limit")),
                ),
                MediaRule(
                    MediaKind.GIF,
                    mime_types & {"image/gif"},
                    max_bytes=image_bytes,
                    max_count=max_items,
                    max_pixels=int(setting("media_attachments", "image_matrix_limit")),
                ),
                MediaRule(
                    MediaKind.VIDEO,
                    mime_types & _VIDEO_TYPES,
                    max_bytes=int(setting("media_attachments", "video_size_limit")),
                    max_count=1,
                    max_pixels=int(setting("media_attachments", "video_matrix_limit")),
                    exclusive=True,
                ),
            ),
            max_items=max_items,
            alt_text=True,
            alt_text_max=int(setting("media_attachments", "description_limit")),
        ),
        poll=PollRules(
            min_options=2,
            max_options=int(setting("polls", "max_options")),
            option_max_length=int(setting("polls", "max_characters_per_option")),
            min_duration=timedelta(seconds=int(setting("polls", "min_expiration"))),
            max_duration=timedelta(seconds=int(setting("polls", "max_expiration"))),
        ),
        threads=True,
        first_comment=True,
        post_options=POST_OPTIONS,
        adjust=_with_content_warning,
    )


def _with_content_warning(rules: NetworkRules, options: Mapping[str, Any]) -> NetworkRules:
    # The content warning counts towards the limit, as Mastodon's own length validator does.
    warning = str(options.get("spoiler_text") or "")
    if not warning:
        return rules
    url_length = rules.links.counted_as or URL_LENGTH
    return replace(rules, measure=partial(measure, url_length=url_length, spoiler_text=warning))


# POST /api/v1/statuses `visibility`, `spoiler_text` and `sensitive` (docs.joinmastodon.org
# "statuses"); left out, the account's own default visibility applies.
POST_OPTIONS = (
    PostOption(
        "visibility",
        _("Visibility"),
        choices=(
            ("", _("The account's default")),
            ("public", _("Public")),
            ("unlisted", _("Quiet public (not in public timelines)")),
            ("private", _("Followers only")),
            ("direct", _("Mentioned people only")),
        ),
    ),
    PostOption(
        "spoiler_text",
        _("Content warning"),
        kind="text",
        max_length=500,
        help_text=_(
            "Shown instead of the post until the reader opens it; counts towards the limit."
        ),
    ),
    PostOption("sensitive", _("Mark the media as sensitive"), kind="bool", default=False),
)
RULES = rules_for_instance()


def with_limit(rules: NetworkRules, max_characters: int) -> NetworkRules:
    return replace(rules, max_length=max_characters)
