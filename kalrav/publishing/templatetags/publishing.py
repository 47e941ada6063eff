from __future__ import annotations

from django import template

from kalrav.publishing import approvals, states
from kalrav.publishing.composer import preview
from kalrav.workspaces.permissions import Perm

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


@register.inclusion_tag("publishing/_approvals_nav.html", takes_context=True)
def approvals_nav(context) -> dict:
    """The approvals queue under "Calendar" in the navigation, with how many variants wait: always
    for those who approve, for the rest of the team only while something waits."""
    member = context.get("member")
    if member is None or not member.can(Perm.CONTENT_VIEW):
        return {"show": False}
    waiting = approvals.awaiting_count(member.workspace_id)
    return {
        "show": bool(waiting) or member.can(Perm.CONTENT_APPROVE),
        "waiting": waiting,
        "workspace": member.workspace,
        "current": context.get("nav_page") == "approvals",
    }
