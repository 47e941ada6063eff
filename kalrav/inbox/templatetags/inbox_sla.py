"""The conversation page's panel of response-time targets and hand-offs."""

from __future__ import annotations

from django import template
from django.db.models import Q

from kalrav.inbox.models import Conversation, InboxSettings, Team
from kalrav.inbox.sla import targets
from kalrav.inbox.sla.report import duration_text

register = template.Library()


@register.inclusion_tag("inbox/_sla_panel.html", takes_context=True)
def sla_panel(context, conversation: Conversation) -> dict:
    settings = InboxSettings.for_workspace(conversation.workspace_id)
    team = conversation.team
    first, resolution = targets.minutes_for(settings, team)
    teams = {team.pk: team} if team else {}
    return {
        "conversation": conversation,
        "workspace": context.get("workspace"),
        "can": context.get("can"),
        "csrf_token": context.get("csrf_token"),
        "status": targets.status(conversation, settings, teams),
        "first_minutes": first,
        "resolution_minutes": resolution,
        "handoffs": conversation.handoffs.all(),
        "handoff_teams": Team.objects.filter(workspace_id=conversation.workspace_id)
        .filter(~Q(email="") | Q(handoff_endpoint__isnull=False))
        .order_by("name"),
    }


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


@register.filter
def times(figures, metric: str) -> str:
    """'median / p90' of one metric of a report row, as readable durations."""
    median, p90 = figures.time(metric, "median"), figures.time(metric, "p90")
    if median is None:
        return "—"
    return f"{duration_text(median)} / {duration_text(p90)}"


@register.filter
def minutes_text(minutes: int | None) -> str:
    return duration_text(minutes)
