"""What a Facebook Page post may hold, with the reference page each number comes from.

Text: a Page post's message is counted in UTF-16 units up to 63,206 (the limit Facebook's composer
and the Graph API enforce; https://developers.facebook.com/docs/graph-api/reference/page/feed/
takes `message` without documenting a smaller one). A link in the text gets a preview card
built by Facebook from the page's Open Graph tags.

Photos: https://developers.facebook.com/docs/graph-api/reference/page/photos/ "JPEG, BMP, PNG,
GIF, TIFF", at most 10 MB each; a post carries at most 10 (`attached_media`,
https://developers.facebook.com/docs/pages-api/posts/#publish-a-multi-photo-post is written for
"up to" that many and Meta's own composer stops there).

Video: https://developers.facebook.com/docs/video-api/guides/publishing/ resumable upload, up to
10 GB and 240 minutes, alone in its post.

Reels (the "reel" option): https://developers.facebook.com/docs/video-api/guides/reels-publishing/
"Video specifications": MP4, 9:16, at least 540x960, 3 to 90 seconds, 24-60 fps. The duration and
ratio are checked by `reel_problems` when the option is on.

Hashtags and mentions: Facebook documents no limit on either; Kalrav adds none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

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
    PostOption,
    Problem,
)
from kalrav.connectors.rules import measure_utf16

MAX_LENGTH = 63_206
MAX_PHOTOS = 10
PHOTO_BYTES = 10 * 1024 * 1024
VIDEO_BYTES = 10 * 1024 * 1024 * 1024
VIDEO_SECONDS = 240 * 60.0
REEL_MIN_SECONDS = 3.0
REEL_MAX_SECONDS = 90.0
REEL_MIN_WIDTH, REEL_MIN_HEIGHT = 540, 960
REEL_RATIO = 9 / 16
REEL_RATIO_TOLERANCE = 0.02  # a few pixels of encoder rounding
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})

RULES = NetworkRules(
    max_length=MAX_LENGTH,
    unit=LengthUnit.UTF16,
    measure=measure_utf16,
    text_required=False,  # photos or a video may go without words
    links=LinkHandling(preview_card=True),
    media=MediaRules(
        rules=(
            MediaRule(MediaKind.IMAGE, PHOTO_TYPES, max_bytes=PHOTO_BYTES, max_count=MAX_PHOTOS),
            MediaRule(
                MediaKind.GIF,
                frozenset({"image/gif"}),
                max_bytes=PHOTO_BYTES,
                max_count=MAX_PHOTOS,
            ),
            MediaRule(
                MediaKind.VIDEO,
                VIDEO_TYPES,
                max_bytes=VIDEO_BYTES,
                max_count=1,
                max_duration=VIDEO_SECONDS,
                exclusive=True,
            ),
        ),
        max_items=MAX_PHOTOS,
        alt_text=False,  # the Graph API has no alt-text field for Page photos
    ),
    first_comment=True,
)

# A reel (the "reel" option) is one MP4 or MOV video of 3 to 90 seconds; `reel_problems` adds
# the size and ratio, which the composer learns once the video is picked.
_REEL = replace(
    RULES,
    media=MediaRules(
        rules=(
            MediaRule(
                MediaKind.VIDEO,
                VIDEO_TYPES,
                max_bytes=VIDEO_BYTES,
                max_count=1,
                min_duration=REEL_MIN_SECONDS,
                max_duration=REEL_MAX_SECONDS,
            ),
        ),
        max_items=1,
        alt_text=False,
    ),
    media_required=True,
)
RULES = replace(
    RULES,
    # by_option reads the value as text: the "reel" option's true is "True".
    by_option=("reel", {"True": _REEL}),
    post_options=(
        PostOption(
            "reel",
            gettext_lazy("Publish as a reel"),
            kind="bool",
            default=False,
            help_text=gettext_lazy("One vertical video of 3 to 90 seconds."),
        ),
        PostOption(
            "link",
            gettext_lazy("Link for the preview card"),
            kind="text",
            max_length=2000,
            help_text=gettext_lazy(
                "Empty: the first link in the text. Posts with photos show none."
            ),
        ),
    ),
)


def reel_problems(media: Sequence[MediaItem]) -> list[Problem]:
    """A reel is one vertical video of 3 to 90 seconds (reels-publishing "Video specifications")."""
    videos = [item for item in media if item.kind == MediaKind.VIDEO]
    if len(videos) != 1 or len(media) != 1:
        return [Problem("reel_video", _("A reel is exactly one video."), target="media")]
    video = videos[0]
    problems = []
    if video.duration is not None and not (REEL_MIN_SECONDS <= video.duration <= REEL_MAX_SECONDS):
        problems.append(
            Problem(
                "reel_duration",
                _("A Facebook reel lasts %(min)d to %(max)d seconds.")
                % {"min": REEL_MIN_SECONDS, "max": REEL_MAX_SECONDS},
                target="media[0]",
            )
        )
    if video.width and video.height:
        if video.width < REEL_MIN_WIDTH or video.height < REEL_MIN_HEIGHT:
            problems.append(
                Problem(
                    "reel_size",
                    _("A Facebook reel is at least %(width)d×%(height)d pixels.")
                    % {"width": REEL_MIN_WIDTH, "height": REEL_MIN_HEIGHT},
                    target="media[0]",
                )
            )
        if abs(video.width / video.height - REEL_RATIO) > REEL_RATIO_TOLERANCE:
            problems.append(
                Problem(
                    "reel_ratio",
                    _("A Facebook reel is vertical, 9:16."),
                    target="media[0]",
                )
            )
    return problems
