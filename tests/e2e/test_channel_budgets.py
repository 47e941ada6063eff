"""The demo's X channel in a browser: its "demo" badge on the channel list, and the rate budgets
table with its bars on the channel's page, fitting a 360 px phone, in English and Hindi.
Screenshots go to /tmp/kalrav-budgets for a person to look at."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from kalrav.channels.models import Channel, ChannelRateBudget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_EMAIL = "demo@kalrav.local"
DEMO_PASSWORD = "kalrav-demo"  # printed by `kalrav demo`, as README.md says
SHOTS = Path("/tmp/kalrav-budgets")
WIDER = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _sign_in(page, base: str, language: str) -> None:
    page.goto(f"{base}/accounts/signin/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    token = {c["name"]: c["value"] for c in page.context.cookies()}.get("csrftoken", "")
    page.context.request.post(
        f"{base}/i18n/language/",
        form={"language": language, "next": "/"},
        headers={"X-CSRFToken": token},
    )


@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_demo_x_channel_shows_its_badge_and_budgets(browser, live_server, language):
    call_command("demo", stdout=io.StringIO())
    x = Channel.objects.get(workspace__slug="shanti-tea", network="x")
    now = timezone.now()
    for name, left, limit in (
        ("GET /2/users/:id/mentions", 172, 180),
        ("POST /2/tweets", 3, 100),
        ("POST /2/tweets (24-hour, user)", 58, 100),
    ):
        ChannelRateBudget.objects.create(
            channel=x, name=name, remaining=left, limit=limit, resets_at=now + timedelta(hours=2)
        )
    SHOTS.mkdir(exist_ok=True)
    for width in (1280, 360):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        _sign_in(page, live_server.url, language)
        base = f"{live_server.url}/w/shanti-tea/settings/channels/"
        page.goto(base)
        assert (
            page.locator("td .badge").filter(has_text="डेमो" if language == "hi" else "demo").count()
            == 3
        )
        page.screenshot(path=str(SHOTS / f"list-{language}-{width}.png"), full_page=True)
        page.goto(f"{base}{x.pk}/")
        assert page.locator("table.rate-budgets meter").count() == 3
        assert page.locator("table.rate-budgets meter").nth(1).get_attribute("value") == "3"
        assert page.evaluate(WIDER) <= 0, "the page scrolls sideways"
        page.screenshot(path=str(SHOTS / f"detail-{language}-{width}.png"), full_page=True)
        context.close()
