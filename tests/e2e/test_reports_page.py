"""The reports page in a real browser, in English and Bengali, at desktop and phone widths: the
on-demand form, the scheduled reports and the report itself (its SVG charts) fit the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.analytics.reports.models import ScheduledReport
from kalrav.analytics.reports.tests import sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/kalrav-reports")
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 780}}
WIDER_THAN_VIEW = (
    "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
    " document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className)"
    ".slice(0, 5)"
)


@pytest.mark.parametrize("language", ["en", "bn"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_reports_page_and_report(browser, live_server, members, workspace, language, size):
    sample.build(workspace)
    ScheduledReport.objects.create(
        workspace=workspace, name="Shanti weekly", frequency="weekly", language="bn",
        formats=["pdf", "xlsx"], recipients=["client@shanti.example"],
    )  # fmt: skip
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(members["owner"].user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    context.request.post(
        f"{live_server.url}/i18n/language/",
        form={"language": language, "next": "/"},
        headers={"X-CSRFToken": cookies.get("csrftoken", "")},
    )
    page.goto(f"{live_server.url}/w/{workspace.slug}/analytics/reports/")
    expect(page.get_by_text("Shanti weekly")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"reports-{language}-{size}.png"), full_page=True)
    assert not page.evaluate(WIDER_THAN_VIEW), page.evaluate(WIDER_THAN_VIEW)
    query = f"first={sample.FIRST}&last={sample.LAST}&language={language}&format=html"
    page.goto(f"{live_server.url}/w/{workspace.slug}/analytics/reports/download/?{query}")
    expect(page.locator("svg.chart").first).to_be_visible()
    assert page.locator("svg.chart rect").count() > 10
    page.screenshot(path=str(SHOTS / f"report-{language}-{size}.png"), full_page=True)
    context.close()
