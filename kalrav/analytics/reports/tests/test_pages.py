"""The reports page: a report on demand in each format, scheduled reports made and sent, and a
server without Pango that still offers CSV and XLSX."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from kalrav.analytics.reports import documents
from kalrav.analytics.reports.models import ScheduledReport
from kalrav.analytics.reports.tests import sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, members, workspace):
    sample.build(workspace)
    client.force_login(members["owner"].user)
    return reverse("analytics:reports", kwargs={"ws": workspace.slug})


def _query(fmt: str, language: str = "en") -> dict:
    return {"first": sample.FIRST.isoformat(), "last": sample.LAST.isoformat(),
            "language": language, "format": fmt}  # fmt: skip


def test_a_report_on_demand_in_each_format(client, page, workspace):
    download = reverse("analytics:report-download", kwargs={"ws": workspace.slug})
    assert "A report now" in client.get(page).content.decode()
    shown = client.get(download, _query("html", "gu")).content.decode()
    assert 'class="chart"' in shown and workspace.name in shown and "<polyline" in shown
    csv = client.get(download, _query("csv"))
    assert csv["Content-Type"].startswith("text/csv") and "attachment" in csv["Content-Disposition"]
    xlsx = client.get(download, _query("xlsx"))
    assert xlsx.content[:2] == b"PK"
    if not documents.pdf_unavailable():
        assert client.get(download, _query("pdf")).content[:5] == b"%PDF-"
    backwards = {
        **_query("csv"),
        "first": sample.LAST.isoformat(),
        "last": sample.FIRST.isoformat(),
    }
    assert client.get(download, backwards).status_code == 302


def test_without_pango_the_page_says_why_and_csv_still_works(client, page, workspace, monkeypatch):
    monkeypatch.setattr(documents, "pdf_unavailable", lambda: "cannot load library 'pango-1.0'")
    text = client.get(page).content.decode()
    assert "PDF is unavailable on this server" in text and "pango-1.0" in text
    download = reverse("analytics:report-download", kwargs={"ws": workspace.slug})
    assert client.get(download, _query("pdf")).status_code == 302
    assert client.get(download, _query("csv")).status_code == 200


def test_a_scheduled_report_is_made_listed_and_sent_now(client, page, workspace):
    create = reverse("analytics:report-create", kwargs={"ws": workspace.slug})
    response = client.post(create, {"name": "For the client", "frequency": "monthly",
                                    "weekday": "0", "day": "2", "language": "bn",
                                    "formats": ["csv", "xlsx"],
                                    "recipients": "boss@client.test"})  # fmt: skip
    assert response.status_code == 302
    report = ScheduledReport.objects.get(workspace=workspace)
    assert (report.frequency, report.language, report.recipients) == (
        "monthly",
        "bn",
        ["boss@client.test"],
    )
    assert "For the client" in client.get(page).content.decode()
    send = reverse("analytics:report-send", kwargs={"ws": workspace.slug, "report_id": report.pk})
    client.post(send)
    [message] = mail.outbox
    assert message.to == ["boss@client.test"] and len(message.attachments) == 2
    delete = reverse(
        "analytics:report-delete", kwargs={"ws": workspace.slug, "report_id": report.pk}
    )
    client.post(delete)
    assert not ScheduledReport.objects.exists()
