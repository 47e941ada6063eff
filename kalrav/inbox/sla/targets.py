"""Response-time targets of a conversation: which calendar and minutes apply, when each is due,
how long the answer and the resolution took, and whether a breach is near.

A conversation with a team counts on the team's calendar (its own hours and time zone, or the
workspace's when it has none; its holidays on top of the workspace's) and the team's minutes;
without a team, on the workspace's. The dues are set when the conversation arrives and again
whenever its team changes, always from the moment it arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kalrav.inbox.models import Conversation, InboxSettings, Team
from kalrav.inbox.sla import calendar as sla
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# Warn when less than this share of a target's business time is left (80% of it spent).
WARN_LEFT_SHARE = 0.2


def calendar_for(settings: InboxSettings, team: Team | None) -> sla.BusinessCalendar:
    if team is None:
        return settings.calendar()
    return sla.BusinessCalendar.from_settings(
        team.time_zone or settings.workspace.time_zone,
        team.business_hours if any(team.business_hours.values()) else settings.business_hours,
        sorted({*settings.holidays, *team.holidays}),
    )


def minutes_for(settings: InboxSettings, team: Team | None) -> tuple[int, int]:
    """(first response, resolution) target minutes."""
    source = team if team is not None else settings
    return source.first_response_minutes, source.resolution_minutes


def apply_dues(conversation: Conversation, settings: InboxSettings | None = None) -> None:
    """Set the conversation's dues for its current team (not saved: the caller saves)."""
    settings = settings or InboxSettings.for_workspace(conversation.workspace_id)
    team = conversation.team
    calendar = calendar_for(settings, team)
    first, resolution = minutes_for(settings, team)
    if conversation.first_response_at is None:
        conversation.first_response_due = sla.deadline(conversation.received_at, first, calendar)
    if conversation.resolved_at is None:
        conversation.resolution_due = sla.deadline(conversation.received_at, resolution, calendar)


def _durations(conversation: Conversation, end: datetime) -> tuple[float, float]:
    settings = InboxSettings.for_workspace(conversation.workspace_id)
    calendar = calendar_for(settings, conversation.team)
    wall = (end - conversation.received_at).total_seconds() / 60
    return sla.open_minutes_between(conversation.received_at, end, calendar), max(wall, 0.0)


def record_first_response(conversation_id: int, at: datetime) -> bool:
    """The first answer reached the network: set it once, with how long it took."""
    conversation = Conversation.objects.select_related("team").get(pk=conversation_id)
    if conversation.first_response_at is not None:
        return False
    business, wall = _durations(conversation, at)
    with transaction.atomic():
        return bool(
            Conversation.objects.filter(pk=conversation_id, first_response_at=None).update(
                first_response_at=at,
                first_response_business_minutes=business,
                first_response_wall_minutes=wall,
            )
        )


def mark_resolved(conversation: Conversation, at: datetime | None) -> None:
    """Set or clear the resolution time and its measurements (not saved: the caller saves)."""
    conversation.resolved_at = at
    if at is None:
        conversation.resolution_business_minutes = conversation.resolution_wall_minutes = None
        return
    business, wall = _durations(conversation, at)
    conversation.resolution_business_minutes, conversation.resolution_wall_minutes = business, wall


@dataclass(frozen=True)
class Status:
    """What the inbox row shows about the nearest target."""

    target: str  # "first_response" or "resolution"
    due: datetime
    breached: bool
    at_risk: bool


def status(
    conversation: Conversation,
    settings: InboxSettings,
    teams: dict[int, Team],
    now: datetime | None = None,
) -> Status | None:
    """The target the conversation is waiting on (the answer first, then the resolution)."""
    if conversation.state in ("resolved", "spam"):
        return None
    now = now or timezone.now()
    team = teams.get(conversation.team_id) if conversation.team_id else None
    first, resolution = minutes_for(settings, team)
    if conversation.first_response_at is None and conversation.first_response_due:
        target, due, minutes = "first_response", conversation.first_response_due, first
    elif conversation.resolution_due:
        target, due, minutes = "resolution", conversation.resolution_due, resolution
    else:
        return None
    if due <= now:
        return Status(target, due, True, False)
    left = sla.open_minutes_between(now, due, calendar_for(settings, team))
    return Status(target, due, False, left <= minutes * WARN_LEFT_SHARE)


def mark_rows(rows, now: datetime | None = None) -> None:
    """Attach `sla` (a Status or None) to each conversation of a page of the inbox list."""
    rows = list(rows)
    if not rows:
        return
    settings = InboxSettings.for_workspace(rows[0].workspace_id)
    team_ids = {row.team_id for row in rows if row.team_id}
    teams = {team.pk: team for team in Team.objects.filter(pk__in=team_ids)}
    now = now or timezone.now()
    for row in rows:
        row.sla = status(row, settings, teams, now)


@transaction.atomic
def update_settings(
    member: Member,
    actor: Actor,
    *,
    first_response_minutes: int,
    business_hours: dict,
    holidays: list[str],
    resolution_minutes: int | None = None,
) -> InboxSettings:
    member.require(Perm.WORKSPACE_EDIT)
    settings, _created = InboxSettings.objects.select_for_update().get_or_create(
        workspace_id=member.workspace_id
    )
    fields = ("first_response_minutes", "resolution_minutes", "business_hours", "holidays")
    before = audit.snapshot(settings, fields)
    if resolution_minutes is not None:
        settings.resolution_minutes = resolution_minutes
    settings.first_response_minutes, settings.business_hours, settings.holidays = (
        first_response_minutes,
        business_hours,
        holidays,
    )
    settings.save()
    changes = audit.diff(before, audit.snapshot(settings, fields))
    if changes:
        audit.record(member.workspace, actor, "inbox.settings", settings, changes)
    return settings
