"""What a Matrix room accepts.

Matrix sets no limit on the length of a message. The one hard limit is on the whole event: the
spec (Client-Server API, "Size limits") says an event MUST NOT be larger than 65,536 bytes in the
federation format (with signatures and hashes) encoded as Canonical JSON, and Synapse refuses a
bigger one with 413 M_TOO_LARGE. The text counts twice in an event (`body` and the HTML
`formatted_body`, where escaping makes it grow), so a limit in characters cannot be stated; this
module measures the exact bytes of the content Kalrav sends (content.text_content) and keeps a
fixed reserve for the envelope the homeserver adds around it.
"""

from __future__ import annotations

from kalrav.connectors.base import (
    LengthUnit,
    LinkHandling,
    Measure,
    MediaKind,
    MediaRule,
    MediaRules,
    NetworkRules,
)
from kalrav.connectors.networks.matrix.content import canonical_size, text_content

MAX_EVENT_BYTES = 65_536
# The envelope around the content: room id and sender (up to 255 bytes each), up to 10
# prev_events and the auth_events (about 47 bytes per event id), hashes, the server's signature,
# depth, timestamps and type come to under 2.5 KB; a reply's m.relates_to adds under 400 bytes.
ENVELOPE_RESERVE = 4_096
MAX_CONTENT_BYTES = MAX_EVENT_BYTES - ENVELOPE_RESERVE

# Synapse's default max_upload_size; a homeserver may set its own (GET /_matrix/client/v1/media/config).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Matrix sends one event per image, so any number would go out; ten keeps a post a post.
MAX_IMAGES = 10

UNIT = LengthUnit.UTF8_BYTES


def content_bytes(text: str) -> int:
    return canonical_size(text_content(text))


def measure(text: str, limit: int) -> Measure:
    """Bytes of the message content for `text`; `overflow_at` is the first string index whose
    text no longer fits (the content grows with every added character, so a binary search on
    prefixes finds it)."""
    length = content_bytes(text)
    if length <= limit:
        return Measure(length=length, overflow_at=None)
    low, high = 0, len(text)  # text[:low] fits, text[:high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if content_bytes(text[:middle]) <= limit:
            low = middle
        else:
            high = middle
    return Measure(length=length, overflow_at=low)


_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})

RULES = NetworkRules(
    max_length=MAX_CONTENT_BYTES,
    unit=UNIT,
    measure=measure,
    text_required=False,  # an image alone makes a post
    links=LinkHandling(counted_as=None, preview_card=True, auto_linked=True),
    media=MediaRules(
        rules=(
            MediaRule(
                MediaKind.IMAGE, _IMAGE_TYPES, max_bytes=MAX_UPLOAD_BYTES, max_count=MAX_IMAGES
            ),
            MediaRule(
                MediaKind.GIF,
                frozenset({"image/gif"}),
                max_bytes=MAX_UPLOAD_BYTES,
                max_count=MAX_IMAGES,
            ),
        ),
        max_items=MAX_IMAGES,
        alt_text=True,
        # The alt text is the image event's `body`, so only the event limit bounds it.
        alt_text_max=None,
    ),
    threads=False,
    first_comment=False,
)
