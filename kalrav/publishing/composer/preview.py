"""A variant's text as the network will show it: links, mentions and hashtags highlighted, and the
part past the network's limit marked, so the writer sees where to cut."""

from __future__ import annotations

import regex
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from kalrav.connectors.rules import count_graphemes

_ENTITY = regex.compile(
    r"(?P<link>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<mention>(?<![\p{L}\p{N}_])@[\p{L}\p{N}_.\-]+(?:@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+)?)"
    r"|(?P<tag>(?<![\p{L}\p{M}\p{N}_&])#[\p{L}\p{M}\p{N}_]+)"
)

PALETTE = (
    "#3d4ed8",
    "#0f7a4a",
    "#b5470b",
    "#8e2a9c",
    "#0b6f8a",
    "#a3174b",
    "#5a6b00",
    "#6b4a2a",
)  # fmt: skip - each dark enough for white text (WCAG AA) and told apart by hue


def channel_colour(channel_id: int) -> str:
    return PALETTE[channel_id % len(PALETTE)]


def _entities(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _ENTITY.finditer(text):
        out.append(escape(text[position : match.start()]))
        kind = match.lastgroup
        out.append(format_html('<span class="ent {}">{}</span>', kind, match.group()))
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def highlight(text: str, overflow_at: int | None = None) -> SafeString:
    if overflow_at is None or overflow_at >= len(text):
        return mark_safe(_entities(text))
    return mark_safe(
        _entities(text[:overflow_at])
        + format_html('<mark class="over">{}</mark>', mark_safe(_entities(text[overflow_at:])))
    )


def character_span(text: str, start: int | None, end: int | None) -> tuple[int | None, int | None]:
    """First and last 1-based positions of text[start:end] as a reader counts (grapheme clusters),
    for messages like "characters 301–306"; Python's indices count code points, which a reader of
    Bengali or an emoji family would not recognise."""
    if start is None:
        return None, None
    first = count_graphemes(text[:start]) + 1
    last = count_graphemes(text[: end if end is not None else start + 1])
    return first, max(first, last)
