"""Scheduled reports go out once per period, as attachments, even with two workers racing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import connection

from kalrav.analytics.reports import documents, schedule
from kalrav.analytics.reports.forms import ScheduledReportForm
from kalrav.analytics.reports.models import ScheduledReport
from kalrav.analytics.reports.tests import sample

MONDAY_MORNING = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)  # 08:30 in Kolkata


def _report(workspace, **extra) -> ScheduledReport:
    values = {
        "workspace": workspace, "name": "Client weekly", "frequency": "weekly", "weekday": 0,
        "language": "hi", "formats": ["pdf", "xlsx"], "recipients": ["a@client.test", "b@client.test"],
        **extra,
    }  # fmt: skip
    report = ScheduledReport.objects.create(**values)
    ScheduledReport.objects.filter(pk=report.pk).update(
        created_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    return ScheduledReport.objects.select_related("workspace").get(pk=report.pk)


@pytest.mark.django_db
def test_a_weekly_report_goes_out_once_for_the_week_before_its_day(workspace):
    sample.build(workspace)
    report = _report(workspace)
    assert schedule.send_due(MONDAY_MORNING) == 1
    assert schedule.send_due(MONDAY_MORNING.replace(hour=9)) == 0  # same period: nothing
    [message] = mail.outbox
    assert message.to == ["a@client.test", "b@client.test"]
    names = [name for name, _content, _type in message.attachments]
    assert names == [f"{workspace.slug}-2026-11-09-2026-11-15.{k}" for k in report.formats
                     if k != "pdf" or not documents.pdf_unavailable()]  # fmt: skip
    if not documents.pdf_unavailable():
        assert message.attachments[0][1][:5] == b"%PDF-"
    assert "Client weekly" in message.subject
    # The next Monday, the next week.
    assert schedule.send_due(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)) == 1
    report.refresh_from_db()
    assert report.last_period.isoformat() == "2026-11-16"


@pytest.mark.django_db
def test_monthly_reports_cover_the_month_before_their_day(workspace):
    report = _report(workspace, frequency="monthly", day=3, formats=["csv"])
    assert schedule.period_due(report, datetime(2026, 12, 2, 12, tzinfo=UTC)) == schedule.Period(
        sample.FIRST.replace(month=10, day=1), sample.FIRST.replace(month=10, day=31),
        workspace.time_zone,
    )  # fmt: skip
    period = schedule.period_due(report, datetime(2026, 12, 3, 12, tzinfo=UTC))
    assert (period.first.isoformat(), period.last.isoformat()) == ("2026-11-01", "2026-11-30")


@pytest.mark.django_db
def test_a_failed_send_gives_the_claim_back(workspace, monkeypatch):
    report = _report(workspace, formats=["csv"])

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(schedule.EmailMessage, "send", refuse)
    with pytest.raises(ConnectionRefusedError):
        schedule.send_due(MONDAY_MORNING)
    report.refresh_from_db()
    assert report.last_period is None
    monkeypatch.undo()
    assert schedule.send_due(MONDAY_MORNING) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_once(workspace, monkeypatch):
    _report(workspace, formats=["csv"])
    real_claim = schedule.claim
    both_ready = threading.Barrier(2, timeout=20)

    def racing_claim(report, period, now):
        both_ready.wait()  # both have found the report due before either claims it
        return real_claim(report, period, now)

    monkeypatch.setattr(schedule, "claim", racing_claim)
    sent: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            sent.append(schedule.send_due(MONDAY_MORNING))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(sent) == [0, 1]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_recipients_must_be_email_addresses(workspace):
    data = {"name": "W", "frequency": "weekly", "weekday": "0", "day": "1", "language": "bn",
            "formats": ["pdf"], "recipients": "a@client.test\nnot an address"}  # fmt: skip
    form = ScheduledReportForm(data, workspace=workspace)
    assert not form.is_valid() and "not an address" in str(form.errors["recipients"])
    data["recipients"] = "a@client.test, b@client.test"
    form = ScheduledReportForm(data, workspace=workspace)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["recipients"] == ["a@client.test", "b@client.test"]
