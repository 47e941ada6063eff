"""Response-time targets over the API: the workspace's and each team's targets and calendars,
the SLA report (JSON and CSV), and hand-offs of a conversation."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from kalrav.api.auth import caller
from kalrav.api.schemas import ERRORS, perm
from kalrav.inbox import handoff, services, sla_report, teams
from kalrav.inbox.models import Conversation, Handoff, InboxSettings, Team
from kalrav.workspaces.permissions import Perm

router = Router(tags=["inbox"])


class TargetsOut(Schema):
    first_response_minutes: int
    resolution_minutes: int
    business_hours: dict[str, list[list[str]]]
    holidays: list[str]


class TargetsPatch(Schema):
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    business_hours: dict[str, list[list[str]]] | None = None
    holidays: list[str] | None = None


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


class TimesOut(Schema):
    median: int | None
    p90: int | None


class FiguresOut(Schema):
    key: str
    label: str
    received: int
    answered: int
    first_within: int
    first_missed: int
    first_share_within: float | None
    resolved: int
    resolution_within: int
    resolution_missed: int
    resolution_share_within: float | None
    first_response_business_minutes: TimesOut
    first_response_wall_minutes: TimesOut
    resolution_business_minutes: TimesOut
    resolution_wall_minutes: TimesOut


class ReportOut(Schema):
    start: date
    end: date
    time_zone: str
    overall: FiguresOut
    team: list[FiguresOut]
    member: list[FiguresOut]
    network: list[FiguresOut]
    week: list[FiguresOut]


class RangeIn(Schema):
    start: date | None = None
    end: date | None = None


def _targets(found: InboxSettings) -> dict:
    return {
        "first_response_minutes": found.first_response_minutes,
        "resolution_minutes": found.resolution_minutes,
        "business_hours": found.business_hours,
        "holidays": found.holidays,
    }


def _check_hours(hours: dict | None, holidays: list[str] | None) -> tuple[dict | None, list | None]:
    """The same checks as the settings page, through its form."""
    from django.core.exceptions import ValidationError

    from kalrav.inbox.forms import InboxSettingsForm

    if hours is None and holidays is None:
        return None, None
    text = "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in windows)
        for day, windows in (hours or {}).items()
        if windows
    )
    form = InboxSettingsForm(
        {
            "first_response_minutes": 1,
            "business_hours": text,
            "holidays": "\n".join(holidays or []),
        }
    )
    if not form.is_valid():
        raise ValidationError({k: v for k, v in form.errors.items()})
    return (
        form.cleaned_data["business_hours"] if hours is not None else None,
        form.cleaned_data["holidays"] if holidays is not None else None,
    )


@router.get(
    "/{ws}/inbox-targets",
    response={200: TargetsOut, **ERRORS},
    openapi_extra=perm(Perm.INBOX_VIEW),
)
def get_targets(request: HttpRequest, ws: str):
    member = caller(request).member(ws, Perm.INBOX_VIEW)
    return _targets(InboxSettings.for_workspace(member.workspace_id))


@router.patch(
    "/{ws}/inbox-targets",
    response={200: TargetsOut, **ERRORS},
    openapi_extra=perm(Perm.WORKSPACE_EDIT),
)
def update_targets(request: HttpRequest, ws: str, payload: TargetsPatch):
    """Minutes are counted in business hours; hours as {"mon": [["09:00", "18:00"]]}."""
    from django.core.exceptions import ValidationError

    who = caller(request)
    member = who.member(ws, Perm.WORKSPACE_EDIT)
    current = InboxSettings.for_workspace(member.workspace_id)
    hours, holidays = _check_hours(payload.business_hours, payload.holidays)
    for name in ("first_response_minutes", "resolution_minutes"):
        value = getattr(payload, name)
        if value is not None and not 1 <= value <= 90 * 24 * 60:
            raise ValidationError({name: "Give a number of minutes from 1 to 129600."})
    saved = services.update_settings(
        member,
        who.actor,
        first_response_minutes=payload.first_response_minutes or current.first_response_minutes,
        resolution_minutes=payload.resolution_minutes or current.resolution_minutes,
        business_hours=hours if hours is not None else current.business_hours,
        holidays=holidays if holidays is not None else current.holidays,
    )
    return _targets(saved)


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


@router.get(
    "/{ws}/teams", response={200: list[TeamOut], **ERRORS}, openapi_extra=perm(Perm.INBOX_VIEW)
)
def list_teams(request: HttpRequest, ws: str):
    member = caller(request).member(ws, Perm.INBOX_VIEW)
    return [_team_out(t) for t in Team.objects.filter(workspace=member.workspace)]


@router.patch(
    "/{ws}/teams/{team_id}",
    response={200: TeamOut, **ERRORS},
    openapi_extra=perm(Perm.WORKSPACE_EDIT),
)
def update_team(request: HttpRequest, ws: str, team_id: int, payload: TeamPatch):
    """Empty `time_zone` and `business_hours` mean the workspace's; holidays add to its own."""
    from django.core.exceptions import ValidationError

    who = caller(request)
    member = who.member(ws, Perm.WORKSPACE_EDIT)
    data = payload.model_dump(exclude_unset=True)
    extra: dict = {}
    if "member_ids" in data:
        extra["member_ids"] = data.pop("member_ids") or []
    if "handoff_endpoint_id" in data:
        extra["handoff_endpoint_id"] = data.pop("handoff_endpoint_id")
    hours, holidays = _check_hours(data.pop("business_hours", None), data.pop("holidays", None))
    if hours is not None:
        data["business_hours"] = hours
    if holidays is not None:
        data["holidays"] = holidays
    for name in ("first_response_minutes", "resolution_minutes"):
        if name in data and (data[name] is None or not 1 <= data[name] <= 90 * 24 * 60):
            raise ValidationError({name: "Give a number of minutes from 1 to 129600."})
    return _team_out(teams.update_team(member, who.actor, team_id, **extra, **data))


def _times(item: sla_report.Figures, metric: str) -> dict:
    return {"median": item.time(metric, "median"), "p90": item.time(metric, "p90")}


def _figures(item: sla_report.Figures) -> dict:
    return {
        "key": item.key,
        "label": item.label,
        "received": item.received,
        "answered": item.answered,
        "first_within": item.first_within,
        "first_missed": item.first_missed,
        "first_share_within": item.first_share,
        "resolved": item.resolved,
        "resolution_within": item.resolution_within,
        "resolution_missed": item.resolution_missed,
        "resolution_share_within": item.resolution_share,
        "first_response_business_minutes": _times(item, "first_business"),
        "first_response_wall_minutes": _times(item, "first_wall"),
        "resolution_business_minutes": _times(item, "resolution_business"),
        "resolution_wall_minutes": _times(item, "resolution_wall"),
    }


@router.get(
    "/{ws}/sla-report",
    response={200: ReportOut, **ERRORS},
    openapi_extra=perm(Perm.INBOX_REPORT),
)
def report(request: HttpRequest, ws: str, period: Query[RangeIn]):
    """Conversations received from `start` to `end` (dates in the workspace's time zone, both
    included; default the last 28 days). Business minutes are what the targets count; wall-clock
    minutes are elapsed time. Percentiles are nearest-rank, to the whole minute."""
    member = caller(request).member(ws, Perm.INBOX_REPORT)
    found = sla_report.build(member.workspace, period.start, period.end)
    return {
        "start": found.start,
        "end": found.end,
        "time_zone": found.time_zone,
        "overall": _figures(found.overall),
        **{d: [_figures(i) for i in found.groups[d]] for d in sla_report.DIMENSIONS},
    }


@router.get(
    "/{ws}/sla-report.csv",
    response={200: None, **ERRORS},
    openapi_extra=perm(Perm.INBOX_REPORT),
)
def report_csv(request: HttpRequest, ws: str, period: Query[RangeIn]):
    """The same report as CSV: one row per group of each dimension, and one for all."""
    member = caller(request).member(ws, Perm.INBOX_REPORT)
    found = sla_report.build(member.workspace, period.start, period.end)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(sla_report.csv_rows(found))
    return HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")


@router.get(
    "/{ws}/conversations/{conversation_id}/handoffs",
    response={200: list[HandoffOut], **ERRORS},
    openapi_extra=perm(Perm.INBOX_VIEW),
)
def list_handoffs(request: HttpRequest, ws: str, conversation_id: int):
    member = caller(request).member(ws, Perm.INBOX_VIEW)
    conversation = get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    return list(conversation.handoffs.all())


@router.post(
    "/{ws}/conversations/{conversation_id}/handoffs",
    response={202: list[HandoffOut], **ERRORS},
    openapi_extra=perm(Perm.INBOX_REPLY),
)
def create_handoff(request: HttpRequest, ws: str, conversation_id: int, payload: HandoffIn):
    """Hand off to a team by its email and its helpdesk webhook; the ticket the helpdesk
    answers with appears on the hand-off."""
    who = caller(request)
    member = who.member(ws, Perm.INBOX_REPLY)
    before = set(
        Handoff.objects.filter(conversation_id=conversation_id).values_list("pk", flat=True)
    )
    handoff.hand_off(member, who.actor, conversation_id, payload.team_id)
    made = Handoff.objects.filter(conversation_id=conversation_id).exclude(pk__in=before)
    return Status(202, list(made))


@router.post(
    "/{ws}/handoffs/{handoff_id}/retry",
    response={202: HandoffOut, **ERRORS},
    openapi_extra=perm(Perm.INBOX_REPLY),
)
def retry_handoff(request: HttpRequest, ws: str, handoff_id: int):
    who = caller(request)
    found = handoff.retry(who.member(ws, Perm.INBOX_REPLY), who.actor, handoff_id)
    found.refresh_from_db()
    return Status(202, found)
