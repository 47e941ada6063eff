"""Teams and hand-offs over the API: each team's targets and calendar, and handing a
conversation to a team (mounted beside the inbox router in kalrav/api_root.py)."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.inbox.models import Conversation, Handoff, Team
from kalrav.inbox.sla import forms
from kalrav.inbox.teams import handoff
from kalrav.inbox.teams import services as teams
from kalrav.workspaces.permissions import Perm

router = Router(tags=["inbox"])


class TeamOut(Schema):
    id: int
    name: str
    email: str
    first_response_minutes: int
    resolution_minutes: int
    time_zone: str
    business_hours: dict[str, list[list[str]]]
    holidays: list[str]
    member_ids: list[int]
    handoff_endpoint_id: int | None


class TeamPatch(Schema):
    name: str | None = None
    email: str | None = None
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    time_zone: str | None = None
    business_hours: dict[str, list[list[str]]] | None = None
    holidays: list[str] | None = None
    member_ids: list[int] | None = None
    handoff_endpoint_id: int | None = None


class HandoffIn(Schema):
    team_id: int


class HandoffOut(Schema):
    id: int
    team_id: int | None
    team_name: str
    via: str
    target: str
    state: str
    reason: str
    ticket_id: str
    ticket_url: str
    error: str
    created_at: datetime
    sent_at: datetime | None


def _team_out(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "email": team.email,
        "first_response_minutes": team.first_response_minutes,
        "resolution_minutes": team.resolution_minutes,
        "time_zone": team.time_zone,
        "business_hours": team.business_hours,
        "holidays": team.holidays,
        "member_ids": sorted(team.members.values_list("pk", flat=True)),
        "handoff_endpoint_id": team.handoff_endpoint_id,
    }


@router.get("/{ws}/teams", response={200: list[TeamOut], **ERRORS})
@requires(Perm.INBOX_VIEW)
def list_teams(request: ApiRequest, ws: str):
    member = request.member
    return [_team_out(t) for t in Team.objects.filter(workspace=member.workspace)]


@router.patch(
    "/{ws}/teams/{team_id}",
    response={200: TeamOut, **ERRORS},
)
@requires(Perm.WORKSPACE_EDIT)
def update_team(request: ApiRequest, ws: str, team_id: int, payload: TeamPatch):
    """Empty `time_zone` and `business_hours` mean the workspace's; holidays add to its own."""
    from django.core.exceptions import ValidationError

    who = caller(request)
    member = request.member
    data = payload.model_dump(exclude_unset=True)
    extra: dict = {}
    if "member_ids" in data:
        extra["member_ids"] = data.pop("member_ids") or []
    if "handoff_endpoint_id" in data:
        extra["handoff_endpoint_id"] = data.pop("handoff_endpoint_id")
    hours, holidays = forms.check_hours(
        data.pop("business_hours", None), data.pop("holidays", None)
    )
    if hours is not None:
        data["business_hours"] = hours
    if holidays is not None:
        data["holidays"] = holidays
    for name in ("first_response_minutes", "resolution_minutes"):
        if name in data and (data[name] is None or not 1 <= data[name] <= 90 * 24 * 60):
            raise ValidationError({name: "Give a number of minutes from 1 to 129600."})
    return _team_out(teams.update_team(member, who.actor, team_id, **extra, **data))


@router.get(
    "/{ws}/conversations/{conversation_id}/handoffs",
    response={200: list[HandoffOut], **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def list_handoffs(request: ApiRequest, ws: str, conversation_id: int):
    member = request.member
    conversation = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    return list(conversation.handoffs.all())


@router.post(
    "/{ws}/conversations/{conversation_id}/handoffs",
    response={202: list[HandoffOut], **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def create_handoff(request: ApiRequest, ws: str, conversation_id: int, payload: HandoffIn):
    """Hand off to a team by its email and its helpdesk webhook; the ticket the helpdesk
    answers with appears on the hand-off."""
    who = caller(request)
    member = request.member
    before = set(
        Handoff.objects.filter(conversation_id=conversation_id).values_list("pk", flat=True)
    )
    handoff.hand_off(member, who.actor, conversation_id, payload.team_id)
    made = Handoff.objects.filter(conversation_id=conversation_id).exclude(pk__in=before)
    return Status(202, list(made))


@router.post(
    "/{ws}/handoffs/{handoff_id}/retry",
    response={202: HandoffOut, **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def retry_handoff(request: ApiRequest, ws: str, handoff_id: int):
    who = caller(request)
    found = handoff.retry(request.member, who.actor, handoff_id)
    found.refresh_from_db()
    return Status(202, found)
