"""The analytics dashboard in a real browser: the charts draw (Chart.js under the page's
Content-Security-Policy), each with its table, at desktop and phone widths, in English and
Bengali, with no sideways scrolling on a phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.analytics.models import ChannelMetric
from kalrav.analytics.rollups import services as rollups
from kalrav.analytics.tests.figures import published, read
from kalrav.publishing.tests.helpers import channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/kalrav-analytics")
# What sticks out past the right edge, to name the culprit when a page is too wide.
WIDER_THAN_VIEW = """
() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length)
    .filter((e) => !e.closest(".table-wrap"))
    .slice(0, 8)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} right=${Math.round(e.getBoundingClientRect().right)}`);
}
"""
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 780}}


def _figures(workspace) -> None:
    now = timezone.now()
    bluesky = channel(workspace, name="Shanti on Bluesky")
    mastodon = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    for day in range(40):
        for n, ch in enumerate((bluesky, mastodon)):
            variant = published(ch, now - timedelta(days=day, hours=3 + n), tags=["chai"])
            read(variant, now, likes=20 + (day * 7 + n * 13) % 50, replies=day % 6,
                 views=900 + (day * 97) % 700)  # fmt: skip
        rollups.apply_channel_readings(
            ChannelMetric.objects.bulk_create(
                [ChannelMetric(channel=ch, metric="followers", value=1000 + 9 * (40 - day) + k,
                               measured_at=now - timedelta(days=day)) for k, ch in
                 enumerate((bluesky, mastodon))]
            )
        )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "bn"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_dashboard_draws_charts_with_tables(browser, live_server, members, workspace, language,
                                            size):  # fmt: skip
    _figures(workspace)
    owner = members["owner"].user
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.context.request.post(
        f"{live_server.url}/i18n/language/",
        form={"language": language, "next": "/"},
        headers={"X-CSRFToken": cookies.get("csrftoken", "")},
    )
    page.goto(f"{live_server.url}/w/{workspace.slug}/analytics/?period=28")
    canvases = page.locator("canvas[data-chart]")
    expect(canvases.first).to_be_visible()
    drawn = canvases.count()
    assert drawn >= 2  # figures over time and followers; clicks and responses when there are any
    # Chart.js drew: the canvas has pixels and the library's instance is attached.
    assert page.evaluate(
        "[...document.querySelectorAll('canvas[data-chart]')]"
        ".every(c => window.Chart && window.Chart.getChart(c) && c.width > 100)"
    )
    assert page.locator("details.chart-table table").count() == drawn
    page.locator("details.chart-table summary").first.click()
    expect(page.locator("details.chart-table table").first).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == language
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{language}-{size}.png"), full_page=True)
    wide = page.evaluate(WIDER_THAN_VIEW)
    assert not wide, wide
    assert not errors, errors
    context.close()
