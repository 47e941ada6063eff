"""The Instagram connect page's two ways in (Continue with Facebook, Continue with Instagram) and
an OAuth channel's Reconnect card (Sign in again, no token to paste), at 1280 and 360 px, in
English and Hindi. Screenshots go to KALRAV_SHOTS when set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KALRAV_SHOTS")

WORDS = {
    "en": ("Continue with Facebook", "Continue with Instagram", "Sign in again"),
    "hi": ("Facebook के साथ जारी रखें", "Instagram के साथ जारी रखें", "फिर से साइन इन करें"),
}


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("width", [1280, 360])
def test_instagram_ways_in_and_the_reconnect_card(
    browser, live_server, members, workspace, settings, language, width
):
    settings.INSTAGRAM_APP_ID, settings.INSTAGRAM_APP_SECRET = "990602627938098", "ig-secret"
    channel = Channel.objects.create(
        workspace=workspace,
        network="x",
        name="chai_corner",
        handle="chai_corner",
        remote_id="2244994945",
        config={"user_id": "2244994945"},
        credentials=sealed.seal({"session": "old"}),
        state=ChannelState.NEEDS_RECONNECT,
        state_detail="The access token was revoked",
    )
    facebook, instagram, again = WORDS[language]
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

        page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/connect/instagram/")
        expect(page.get_by_role("button", name=facebook)).to_be_visible()
        expect(page.get_by_role("button", name=instagram)).to_be_visible()
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, "the page scrolls sideways"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=f"{SHOTS}/instagram-connect-{language}-{width}.png", full_page=True
            )

        page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/{channel.pk}/")
        card = page.locator("#sign-in-again")
        expect(card.get_by_role("button", name=again)).to_be_visible()
        expect(page.locator("input[name=refresh_token]")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if SHOTS:
            card.scroll_into_view_if_needed()
            page.screenshot(path=f"{SHOTS}/reconnect-{language}-{width}.png", full_page=True)
    finally:
        context.close()
