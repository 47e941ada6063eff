"""A spike alert in a real browser: the spike arrives while the team works, the notification
bell counts it, its entry opens the crisis page with the spike's mentions and their sentiment;
the monitor's dashboard draws its charts with their tables. English and Hindi, desktop and
phone, with no sideways scrolling."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.listening.alerts.arrival import on_mentions_stored
from kalrav.listening.alerts.models import AlertRule
from kalrav.listening.models import Monitor
from kalrav.listening.tests.factories import bulk, mention

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/kalrav-listening-alerts")
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 780}}
NOTIFICATIONS = {"en": "Notifications", "hi": "सूचनाएँ"}


def _sign_in(page, base, user, language):
    page.goto(f"{base}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.context.request.post(
        f"{base}/i18n/language/",
        form={"language": language, "next": "/"},
        headers={"X-CSRFToken": cookies.get("csrftoken", "")},
    )


def _no_sideways_scroll(page):
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 1, f"{wide}px sideways scroll"


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_spike_alert_reaches_the_bell_and_opens_the_crisis_page(
    browser, live_server, members, workspace, language, size
):
    monitor = Monitor.objects.create(workspace=workspace, name="Shanti Tea", query="shanti")
    AlertRule.objects.create(workspace=workspace, monitor=monitor, kind="spike")
    now = timezone.now()
    bulk(monitor, [now - timedelta(hours=h) for h in range(1, 24 * 14, 3)], text="shanti tea")
    agent = members["agent"].user
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server.url, agent, language)
    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/alerts/")
    bell = page.locator("a[href$='/notifications/']").first
    expect(bell.locator(".nav-count")).to_have_count(0)

    # The spike: a burst of complaints in English and Hindi, as intake stores them.
    texts = [f"Shanti tea tasted of soap, batch {i}" for i in range(8)]
    texts += [f"शांति चाय shanti में मिलावट {i} #शांतिचाय" for i in range(6)]
    ids = [
        mention(
            monitor,
            timezone.now() - timedelta(seconds=5 * i),
            text=text,
            sentiment="negative" if i % 3 else "neutral",
            language="hi" if "शांति" in text else "en",
        ).pk
        for i, text in enumerate(texts)
    ]
    assert len(on_mentions_stored(workspace.pk, ids)) == 1

    page.reload()
    expect(bell.locator(".nav-count")).to_have_text("1")
    if size == "phone":
        page.locator("label[for=nav-toggle]").first.click()  # the menu folds away on a phone
    bell.click()
    expect(page.locator("h1")).to_have_text(NOTIFICATIONS[language])
    page.locator("a[href*='/listening/alerts/']").filter(has_text="Shanti Tea").first.click()
    expect(page.locator("h1")).to_contain_text("Shanti Tea")
    items = page.locator(".crisis-mentions .mention")
    expect(items).to_have_count(len(texts))
    expect(page.get_by_text("शांति चाय shanti में मिलावट 3 #शांतिचाय")).to_be_visible()
    expect(page.locator(".crisis-mentions .badge.bad").first).to_be_visible()
    _no_sideways_scroll(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"crisis-{language}-{size}.png"), full_page=True)

    # Resolving it from the page.
    page.locator("button[name=state][value=resolved]").click()
    expect(page.locator(".page-head .badge.ok")).to_be_visible()

    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/{monitor.pk}/dashboard/?days=30")
    canvases = page.locator("canvas[data-chart]")
    expect(canvases.first).to_be_visible()
    assert page.evaluate(
        "[...document.querySelectorAll('canvas[data-chart]')]"
        ".every(c => window.Chart && window.Chart.getChart(c) && c.width > 100)"
    )
    assert page.locator("details.chart-table table").count() == canvases.count() == 7
    assert page.evaluate("document.documentElement.lang") == language
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"dashboard-{language}-{size}.png"), full_page=True)
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("language", ["en", "gu"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_alerts_trends_and_share_of_voice_pages(
    browser, live_server, members, workspace, language, size
):
    brand = Monitor.objects.create(workspace=workspace, name="Shanti Tea", query="shanti")
    rival = Monitor.objects.create(
        workspace=workspace, name="Rival Chai", query="rival", kind="competitor"
    )
    now = timezone.now()
    week = [now - timedelta(days=d, hours=2) for d in range(1, 8) for _ in range(4)]
    bulk(brand, week, text="shanti tea morning")
    bulk(brand, week[:14], text="શાંતિ ચા સવાર shanti", language="gu")
    bulk(rival, week[:10], text="rival chai")
    today = [now - timedelta(hours=h) for h in range(1, 8)]
    bulk(brand, today, text="shanti tea #diwalioffer", language="en")
    bulk(brand, today, text="શાંતિ ચા દિવાળી ઓફર shanti", language="gu")
    AlertRule.objects.create(
        workspace=workspace, monitor=brand, kind="negative_share", emails="desk@example.test"
    )
    owner = members["owner"].user
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server.url, owner, language)
    SHOTS.mkdir(exist_ok=True)
    base = f"{live_server.url}/w/{workspace.slug}/listening"

    page.goto(f"{base}/alerts/")
    expect(page.locator("form.rule-form select[name=kind]")).to_be_visible()
    expect(page.locator("table").filter(has_text="Shanti Tea")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"alerts-{language}-{size}.png"), full_page=True)

    page.goto(f"{base}/trends/")
    terms = page.locator(".trend .term")
    expect(terms.filter(has_text="#diwalioffer")).to_be_visible()
    expect(terms.filter(has_text="દિવાળી")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"trends-{language}-{size}.png"), full_page=True)

    page.goto(f"{base}/share-of-voice/?days=30")
    expect(page.locator("canvas[data-chart]").first).to_be_visible()
    assert page.locator("canvas[data-chart]").count() == 2
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"share-{language}-{size}.png"), full_page=True)
    assert not errors, errors
    context.close()
