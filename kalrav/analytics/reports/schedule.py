"""Sending scheduled reports, each period once.

A report is due on its day (a weekday, or a day of the month) in the workspace's time zone, for
the week or the month that ended the day before; a server that was down catches up on the next
run. A worker claims a report for a period with one conditional UPDATE of `last_period`: only one
of two workers that race sees its UPDATE change a row, so two workers never send the same
period twice. If sending fails, the claim is given back and the next run tries again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kalrav.analytics.reports import documents
from kalrav.analytics.reports.figures import Period, compute
from kalrav.analytics.reports.models import Frequency, ScheduledReport


def _latest(report: ScheduledReport, now: datetime) -> tuple[date, Period]:
    """The report's latest send day at `now` and the period it covers."""
    zone = report.workspace.time_zone
    today = now.astimezone(ZoneInfo(zone)).date()
    if report.frequency == Frequency.WEEKLY:
        send_day = today - timedelta(days=(today.weekday() - report.weekday) % 7)
        return send_day, Period(send_day - timedelta(days=7), send_day - timedelta(days=1), zone)
    month_start = today.replace(day=1)
    send_day = month_start.replace(day=report.day)
    if send_day > today:  # this month's day is still to come: the last one was a month ago
        send_day = (month_start - timedelta(days=1)).replace(day=report.day)
    last = send_day.replace(day=1) - timedelta(days=1)
    return send_day, Period(last.replace(day=1), last, zone)


def last_full_period(report: ScheduledReport, now: datetime) -> Period:
    """What "send now" sends: the period of the latest send day, sent or not."""
    return _latest(report, now)[1]


def period_due(report: ScheduledReport, now: datetime) -> Period | None:
    """The period the report owes at `now`, or None when it sent it already."""
    send_day, period = _latest(report, now)
    created = report.created_at.astimezone(ZoneInfo(report.workspace.time_zone)).date()
    if send_day < created or report.last_period == period.first:
        return None  # a report made after its day starts with the next period
    return period


def claim(report: ScheduledReport, period: Period, now: datetime) -> bool:
    return bool(
        ScheduledReport.objects.filter(pk=report.pk)
        .filter(Q(last_period__isnull=True) | ~Q(last_period=period.first))
        .update(last_period=period.first, last_sent_at=now)
    )


def send(report: ScheduledReport, period: Period) -> None:
    """Build the report's files and mail them to its recipients (no claim: `send now`)."""
    workspace = report.workspace
    channel_ids = list(report.channels.values_list("pk", flat=True))
    figures = compute(workspace, period, channel_ids or None)
    kinds = [k for k in report.formats if k != "pdf" or not documents.pdf_unavailable()]
    with translation.override(report.language):
        subject = _("%(report)s: %(brand)s, %(first)s to %(last)s") % {
            "report": report.name,
            "brand": workspace.name,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        }
        body = _(
            "The report %(report)s for %(brand)s is attached (%(formats)s). It was sent by "
            "Kalrav because this address is on the report's list."
        ) % {"report": report.name, "brand": workspace.name, "formats": ", ".join(kinds)}
    message = EmailMessage(subject, body, None, list(report.recipients))
    for kind in kinds:
        message.attach(
            documents.file_name(figures, kind),
            documents.render(figures, report.language, kind),
            documents.CONTENT_TYPES[kind],
        )
    message.send()


def send_due(now: datetime | None = None) -> int:
    """One run: every report whose period is due and that this worker claims; returns how
    many were sent."""
    now = now or timezone.now()
    sent = 0
    for report in ScheduledReport.objects.select_related("workspace"):
        period = period_due(report, now)
        if period is None or not claim(report, period, now):
            continue
        try:
            send(report, period)
        except Exception:
            # Give the claim back so the next run tries again; the error reaches the task log.
            ScheduledReport.objects.filter(pk=report.pk, last_period=period.first).update(
                last_period=report.last_period, last_sent_at=report.last_sent_at
            )
            raise
        sent += 1
    return sent


def preview_period(today: date, frequency: str, zone: str) -> Period:
    """The period an on-demand report offers first: the last full week or month."""
    if frequency == Frequency.MONTHLY:
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, zone)
    return Period(today - timedelta(days=7), today - timedelta(days=1), zone)
