"""What Instagram takes, each number beside the Meta reference page it comes from.

The composer shows these live (kalrav.connectors.rules.check reads the NetworkRules); the
connector adds the checks that depend on the format chosen for the variant (feed, reel, story),
which the composer's rules cannot see (`format_problems`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import regex
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.base import (
    LengthUnit,
    LinkHandling,
    MediaItem,
    MediaKind,
    MediaRule,
    MediaRules,
    NetworkRules,
    OutgoingPost,
    PostOption,
)
from kalrav.connectors.rules import Problem, measure_utf16

# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
# ("caption: Maximum 2200 characters, 30 hashtags, and 20 @ tags."). Meta does not say how it
# counts characters; UTF-16 code units count an emoji as two, so a caption that fits here fits
# whichever way Instagram counts.
MEDIA_REFERENCE = (
    "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/"
    "ig-user/media"
)
CAPTION_MAX = 2200
HASHTAGS_MAX = 30
MENTIONS_MAX = 20
# Same page, "Carousel posts": "Carousels are limited to 10 images, videos, or a mix of the two."
# A carousel needs at least 2 children (content-publishing guide, "Carousel posts").
CAROUSEL_MAX = 10
CAROUSEL_MIN = 2
# Same page, "Image specifications": JPEG only, 8 MB, aspect ratio within 4:5 to 1.91:1, width
# 320–1440 (scaled by Instagram, so not refused here). Kalrav's renditions turn a PNG into a
# JPEG copy for Instagram (publishing/media/renditions.py).
IMAGE_TYPES = frozenset({"image/jpeg"})
IMAGE_MAX_BYTES = 8 * 1024 * 1024
FEED_ASPECT = (4 / 5, 1.91)
# Same page, "Reel specifications": MOV or MP4, 3 seconds to 15 minutes, 300 MB maximum,
# aspect ratio 0.01:1 to 10:1 (9:16 recommended). Single feed videos are published as reels
# since July 2023 (content-publishing guide), so every video here is a reel or a story.
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
VIDEO_MAX_BYTES = 300 * 1024 * 1024
VIDEO_MIN_SECONDS = 3.0
VIDEO_MAX_SECONDS = 15 * 60.0
REEL_ASPECT = (0.01, 10.0)
# Same page, "Story specifications": video 3–60 seconds, 100 MB; images as for the feed but
# without the feed's aspect-ratio bounds (9:16 recommended).
STORY_VIDEO_MAX_SECONDS = 60.0
STORY_VIDEO_MAX_BYTES = 100 * 1024 * 1024

FORMATS = ("feed", "reel", "story")  # Variant.options["instagram_format"]; "feed" by default

_HASHTAG = regex.compile(r"(?<![\p{L}\p{M}\p{N}_&#])#[\p{L}\p{M}\p{N}_]+")
_MENTION = regex.compile(r"(?<![\p{L}\p{M}\p{N}_@.])@[A-Za-z0-9_.]{1,30}")


def hashtags(text: str) -> list[regex.Match]:
    return list(_HASHTAG.finditer(text))


def mentions(text: str) -> list[regex.Match]:
    return list(_MENTION.finditer(text))


def tag_limits(text: str) -> list[Problem]:
    """More than 30 hashtags or 20 @ tags: the problem marks the first one over the limit."""
    problems = []
    for found, limit, code, message in (
        (
            hashtags(text),
            HASHTAGS_MAX,
            "too_many_hashtags",
            _("Instagram takes at most %(max)d hashtags in a caption; this one has %(count)d."),
        ),
        (
            mentions(text),
            MENTIONS_MAX,
            "too_many_mentions",
            _("Instagram takes at most %(max)d @ mentions in a caption; this one has %(count)d."),
        ),
    ):
        if len(found) > limit:
            first_over = found[limit]
            problems.append(
                Problem(
                    code,
                    message % {"max": limit, "count": len(found)},
                    first_over.start(),
                    found[-1].end(),
                )
            )
    return problems


_FEED = NetworkRules(
    max_length=CAPTION_MAX,
    unit=LengthUnit.UTF16,
    measure=measure_utf16,
    text_required=False,  # a photo without a caption is a post
    media_required=True,
    # Links in captions are not clickable on Instagram; they count as written.
    links=LinkHandling(counted_as=None, preview_card=False, auto_linked=False),
    media=MediaRules(
        rules=(
            MediaRule(
                MediaKind.IMAGE,
                IMAGE_TYPES,
                max_bytes=IMAGE_MAX_BYTES,
                max_count=CAROUSEL_MAX,
                max_aspect_ratio=FEED_ASPECT[1],  # lets renditions pad a too-narrow image
                aspect_range=FEED_ASPECT,
            ),
            MediaRule(
                MediaKind.VIDEO,
                VIDEO_TYPES,
                max_bytes=VIDEO_MAX_BYTES,
                max_count=CAROUSEL_MAX,
                min_duration=VIDEO_MIN_SECONDS,
                max_duration=VIDEO_MAX_SECONDS,
                aspect_range=REEL_ASPECT,
            ),
        ),
        max_items=CAROUSEL_MAX,
        # alt_text exists for images only (since 24 March 2025, content-publishing guide); the
        # connector leaves it out for videos.
        alt_text=True,
    ),
    first_comment=True,
    checks=(tag_limits,),
)


def no_caption(text: str) -> list[Problem]:
    if not text.strip():
        return []
    return [
        Problem(
            "story_caption",
            _("Instagram shows no caption on a story: leave the text empty."),
            0,
            len(text),
        )
    ]


# A reel is one video (the feed's video rule); a story one photo (no feed aspect bounds) or one
# video of 3-60 s and up to 100 MB, without caption or comment (IG User Media reference).
_REEL = replace(
    _FEED,
    media=replace(_FEED.media, rules=(_FEED.media.rules[1],), max_items=1),
)
_STORY = replace(
    _FEED,
    media=MediaRules(
        rules=(
            MediaRule(MediaKind.IMAGE, IMAGE_TYPES, max_bytes=IMAGE_MAX_BYTES, max_count=1),
            MediaRule(
                MediaKind.VIDEO,
                VIDEO_TYPES,
                max_bytes=STORY_VIDEO_MAX_BYTES,
                max_count=1,
                min_duration=VIDEO_MIN_SECONDS,
                max_duration=STORY_VIDEO_MAX_SECONDS,
            ),
        ),
        max_items=1,
        # Meta takes no alt text on stories and reels; an asset's alt text, written for other
        # networks, is left out rather than refused (connector._media_fields).
        alt_text=True,
    ),
    first_comment=False,
    checks=(no_caption,),
)
FORMAT_OPTION = PostOption(
    "instagram_format",
    gettext_lazy("Format"),
    choices=(
        ("feed", gettext_lazy("Feed post (photos or a carousel)")),
        ("reel", gettext_lazy("Reel (one video)")),
        ("story", gettext_lazy("Story (one photo or video, no caption)")),
    ),
    default="feed",
)
# Meta's share_to_feed: a reel shows in the profile's grid as well as in the Reels tab unless the
# post asks otherwise (a value of False is not stored, so the option says the exception).
REELS_TAB_ONLY_OPTION = PostOption(
    "instagram_reels_tab_only",
    gettext_lazy("Reels tab only"),
    kind="bool",
    default=False,
    help_text=gettext_lazy("For a reel: keep it out of the profile's grid."),
)
RULES = replace(
    _FEED,
    by_option=("instagram_format", {"reel": _REEL, "story": _STORY}),
    post_options=(FORMAT_OPTION, REELS_TAB_ONLY_OPTION),
)


def format_of(post: OutgoingPost) -> str:
    chosen = str(post.options.get("instagram_format") or "feed")
    return chosen if chosen in FORMATS else ""


def format_problems(post: OutgoingPost) -> list[Problem]:
    """What no rules can say: a format Kalrav does not know, and the shape each format must
    have before a container is made (the rules for the format say the rest, in the composer)."""
    chosen = format_of(post)
    media: Sequence[MediaItem] = post.media
    if not chosen:
        return [
            Problem(
                "instagram_format",
                _("The Instagram format must be one of: %(choices)s.")
                % {"choices": ", ".join(FORMATS)},
                target="options.instagram_format",
            )
        ]
    if chosen == "reel" and (len(media) != 1 or media[0].kind != MediaKind.VIDEO):
        return [Problem("reel_media", _("A reel is exactly one video."), target="media")]
    if chosen == "story" and len(media) != 1:
        return [Problem("story_media", _("A story is exactly one photo or video."), target="media")]
    return []
