"""Response-time targets over the API: the workspace's and each team's targets and calendars,
the SLA report (JSON and CSV), and hand-offs of a conversation."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.http import HttpResponse
from ninja import Query, Router, Schema

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.inbox.models import InboxSettings
from kalrav.inbox.sla import forms, targets
from kalrav.inbox.sla import report as sla_report
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


@router.get(
    "/{ws}/inbox-targets",
    response={200: TargetsOut, **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def get_targets(request: ApiRequest, ws: str):
    member = request.member
    return _targets(InboxSettings.for_workspace(member.workspace_id))


@router.patch(
    "/{ws}/inbox-targets",
    response={200: TargetsOut, **ERRORS},
)
@requires(Perm.WORKSPACE_EDIT)
def update_targets(request: ApiRequest, ws: str, payload: TargetsPatch):
    """Minutes are counted in business hours; hours as {"mon": [["09:00", "18:00"]]}."""
    from django.core.exceptions import ValidationError

    who = caller(request)
    member = request.member
    current = InboxSettings.for_workspace(member.workspace_id)
    hours, holidays = forms.check_hours(payload.business_hours, payload.holidays)
    for name in ("first_response_minutes", "resolution_minutes"):
        value = getattr(payload, name)
        if value is not None and not 1 <= value <= 90 * 24 * 60:
            raise ValidationError({name: "Give a number of minutes from 1 to 129600."})
    saved = targets.update_settings(
        member,
        who.actor,
        first_response_minutes=payload.first_response_minutes or current.first_response_minutes,
        resolution_minutes=payload.resolution_minutes or current.resolution_minutes,
        business_hours=hours if hours is not None else current.business_hours,
        holidays=holidays if holidays is not None else current.holidays,
    )
    return _targets(saved)


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
)
@requires(Perm.INBOX_REPORT)
def report(request: ApiRequest, ws: str, period: Query[RangeIn]):
    """Conversations received from `start` to `end` (dates in the workspace's time zone, both
    included; default the last 28 days). Business minutes are what the targets count; wall-clock
    minutes are elapsed time. Percentiles are nearest-rank, to the whole minute."""
    member = request.member
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
)
@requires(Perm.INBOX_REPORT)
def report_csv(request: ApiRequest, ws: str, period: Query[RangeIn]):
    """The same report as CSV: one row per group of each dimension, and one for all."""
    member = request.member
    found = sla_report.build(member.workspace, period.start, period.end)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(sla_report.csv_rows(found))
    return HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
