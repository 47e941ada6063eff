"""The bell in the navigation: how many notifications wait for the signed-in member."""

from __future__ import annotations

from django import template

from kalrav.web import notifications

register = template.Library()


@register.simple_tag(takes_context=True)
def notifications_waiting(context) -> int:
    member = context.get("member")
    if member is None:
        return 0
    return notifications.unread_count(member)
