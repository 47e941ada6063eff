"""After one sign-in on a network that lists many accounts (OAuthConnectMany), a manager ticks
which become channels on the pick page; screenshots at 1280 and 360 px, in English and Bengali."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel
from kalrav.channels.oauth_views import PICK_KEY
from kalrav.connectors import registry

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KALRAV_SHOTS")  # a folder to keep screenshots in


def _accounts() -> list[dict]:
    return [
        {
            "remote_id": rid,
            "handle": handle,
            "display_name": name,
            "url": "",
            "avatar_url": "",
            "config": {"page_id": rid},
            "credentials": sealed.seal({"page_token": f"token-{rid}"}),
            "expires_at": "2027-02-05T08:00:00+00:00",
        }
        for rid, handle, name in (
            ("101", "chaicorner", "Chai Corner"),
            ("102", "", "চা ঘর — কলকাতা শাখার অফিসিয়াল পেজ"),
            ("103", "tsai", "Τσάι στην Αθήνα"),
        )
    ]


@pytest.fixture
def many_network():
    registry.reset(
        {
            **registry.CONNECTORS,
            "fakemany": "kalrav.channels.tests.test_oauth_many.FakeManyConnector",
        }
    )
    yield
    registry.reset()


@pytest.mark.parametrize("language", ["en", "bn"])
@pytest.mark.parametrize("width", [1280, 360])
def test_pick_accounts_after_one_sign_in(
    browser, live_server, members, workspace, many_network, language, width
):
    Channel.objects.create(workspace=workspace, network="fakemany", name="Τσάι", remote_id="103")
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/signin/")
        page.locator("input[type=email]").fill(members["manager"].user.email)
        page.locator("input[type=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/signin/" not in url)
        session_key = next(
            c["value"]
            for c in context.cookies()
            if c["name"] == django_settings.SESSION_COOKIE_NAME
        )
        session = SessionStore(session_key=session_key)
        session[PICK_KEY] = {
            "p1": {"ws": workspace.slug, "network": "fakemany", "accounts": _accounts()}
        }
        session.save()
        page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/sign-in/p1/")
        boxes = page.locator("input[name=account]")
        expect(boxes).to_have_count(3)
        expect(boxes.nth(2)).not_to_be_checked()  # already connected: offered, not ticked
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if SHOTS:
            shot = Path(SHOTS) / f"oauth_pick_{language}_{width}.png"
            page.screenshot(path=str(shot), full_page=True)
        boxes.nth(1).uncheck()
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: url.endswith("/settings/channels/"))
        names = set(Channel.objects.filter(workspace=workspace).values_list("remote_id", flat=True))
        assert names == {"101", "103"}
        # The channel's page says when access ends, loudly once it is a week away.
        channel = Channel.objects.get(workspace=workspace, remote_id="101")
        Channel.objects.filter(pk=channel.pk).update(
            credentials_expire_at=timezone.now() + timedelta(days=3)
        )
        page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/{channel.pk}/")
        expect(page.locator("#access-ends .badge")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if SHOTS:
            shot = Path(SHOTS) / f"channel_expiry_{language}_{width}.png"
            page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
