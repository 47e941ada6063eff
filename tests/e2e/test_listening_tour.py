"""Every listening page as a user sees it, in the five languages, on a wide screen and on a phone:
one tab row, nothing wider than the screen, no script errors, the tabs translated. The
screenshots land in /tmp/kalrav-listening-tour (or KALRAV_SHOTS) to be looked at."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels.models import Channel
from kalrav.listening import services
from kalrav.listening.alerts.arrival import on_mentions_stored
from kalrav.listening.alerts.models import Alert, AlertRule
from kalrav.listening.models import Mention, Monitor
from kalrav.listening.tests.factories import bulk, mention

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("KALRAV_SHOTS") or "/tmp/kalrav-listening-tour")
LANGUAGES = ["en", "bn", "hi", "gu", "el"]
WIDTHS = [1280, 360]
ENGLISH_TABS = ["Monitors", "Mentions", "Share of voice", "Trends", "Alerts", "Sources"]


def _data(workspace) -> dict[str, str]:
    """A brand and a competitor with two weeks of mentions in several languages, a burst that
    fired an alert on a monitor too new for a seasonal baseline, and a web mention in the inbox."""
    brand = Monitor.objects.create(workspace=workspace, name="Shanti Tea", query="shanti OR शांति")
    rival = Monitor.objects.create(
        workspace=workspace, name="Rival Chai", query="rival", kind="competitor"
    )
    now = timezone.now()
    week = [now - timedelta(days=d, hours=h) for d in range(1, 5) for h in (2, 15)]
    bulk(brand, week, text="shanti tea morning", sentiment="positive")
    bulk(brand, week[:4], text="শান্তি চা সকাল shanti", language="bn")
    bulk(brand, week[:4], text="શાંતિ ચા સવાર shanti", language="gu", sentiment="negative")
    bulk(rival, week[:6], text="rival chai")
    today = [now - timedelta(hours=h) for h in range(1, 6)]
    bulk(brand, today, text="shanti tea #diwalioffer")
    bulk(brand, today, text="शांति चाय दिवाली ऑफ़र shanti", language="hi")
    bulk(brand, today, text="τσάι shanti προσφορά", language="el")
    AlertRule.objects.create(workspace=workspace, monitor=brand, kind="spike")
    burst = [
        mention(
            brand,
            now - timedelta(seconds=20 * i),
            text=f"Shanti tea tasted of soap, batch {i}",
            sentiment="negative",
            network="web" if i % 2 else "bluesky",
        ).pk
        for i in range(12)
    ]
    on_mentions_stored(workspace.pk, burst)
    alert = Alert.objects.get()
    Channel.objects.create(workspace=workspace, network="bluesky", name="Shanti Tea")
    web = Mention.objects.get(pk=burst[1])
    Mention.objects.filter(pk=web.pk).update(
        title="Shanti Tea recalls a batch after complaints", author_name="Daily Chai News"
    )
    conversation = services.send_to_inbox(Mention.objects.get(pk=web.pk))
    ws = f"/w/{workspace.slug}"
    return {
        "monitors": f"{ws}/listening/",
        "monitor-form": f"{ws}/listening/monitors/{brand.pk}/",
        "mentions": f"{ws}/listening/mentions/",
        "mention": f"{ws}/listening/mentions/{web.pk}/",
        "dashboard": f"{ws}/listening/{brand.pk}/dashboard/?days=30",
        "share-of-voice": f"{ws}/listening/share-of-voice/?days=30",
        "trends": f"{ws}/listening/trends/",
        "alerts": f"{ws}/listening/alerts/",
        "crisis": f"{ws}/listening/alerts/{alert.pk}/",
        "inbox-web-mention": f"{ws}/inbox/{conversation.pk}/",
    }


def _set_language(page, base: str, language: str) -> None:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.context.request.post(
        f"{base}/i18n/language/",
        form={"language": language, "next": "/"},
        headers={"X-CSRFToken": cookies.get("csrftoken", "")},
    )


def test_every_listening_page_in_every_language(browser, live_server, members, workspace):
    pages = _data(workspace)
    owner = members["owner"].user
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/w/**")
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for language in LANGUAGES:
        _set_language(page, live_server.url, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                page.goto(f"{live_server.url}{path}")
                assert page.evaluate("document.documentElement.lang") == language
                if name == "monitor-form":
                    expect(page.locator("[data-preview=count]")).to_be_visible()
                if name != "inbox-web-mention":
                    tabs = page.locator("nav.listening-tabs")
                    expect(tabs).to_have_count(1)
                    if language != "en":
                        shown = tabs.inner_text()
                        left = [t for t in ENGLISH_TABS if t in shown]
                        if left:
                            problems.append(f"{name} {language}: untranslated tabs {left}")
                wide = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if wide > 1:
                    problems.append(f"{name} {language} {width}: {wide}px sideways scroll")
                page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
    context.close()
    assert not problems, problems
    assert not errors, errors
