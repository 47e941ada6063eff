from __future__ import annotations

from django import template

from kalrav.publishing import states
from kalrav.publishing.composer import preview

register = template.Library()


@register.filter
def channel_colour(channel_id: int) -> str:
    return preview.channel_colour(int(channel_id))


@register.filter
def state_badge(state: str) -> str:
    return states.BADGE.get(state, "")  # type: ignore[call-overload]


@register.simple_tag
def highlighted(text: str, overflow_at: int | None = None):
    return preview.highlight(text, overflow_at)
