"""An X channel's whole way in a real browser, against the stand-in X (tests/peers/x_standin.py),
which checks every request against X's OpenAPI description: a manager signs in with X on its
authorize page and comes back to a connected channel, publishes a post from the composer, a
fan's mention reaches the inbox by polling, and the reply from the inbox arrives on X once.
Screenshots in English and Hindi, at 1366 and 360 px."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.intake.polling import poll_channel
from kalrav.inbox.models import Delivery, Message
from kalrav.publishing.models import Variant, VariantState
from tests.e2e.steps import sign_in
from tests.peers.x_standin import OWN_ID, XStandIn, serving, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("KALRAV_SHOTS") or "/tmp/kalrav-e2e-x")
TEXT = "First flush Darjeeling is in: https://chai.example/first-flush?tin=100g&leaf=whole"
MENTION = "@chaicorner Is the first flush also sold in 250 g tins?"
REPLY = "Yes! 250 g tins leave on Friday."
POLL_SECONDS = 20  # the stand-in's mentions budget spreads polls a few seconds apart


@pytest.fixture
def x_standin(settings, live_server) -> Iterator[XStandIn]:
    with serving(XStandIn()) as standin:
        for name, value in settings_for(standin).items():
            setattr(settings, name, value)
        settings.BASE_URL = live_server.url  # where X sends the person back
        yield standin


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _poll_until_new(channel: Channel) -> None:
    """What the periodic inbox poll does, until the mention is in (the cursor may say the next
    poll is not due yet: the connector spreads polls over X's rate-limit window)."""
    deadline = time.monotonic() + POLL_SECONDS
    while poll_channel(channel.pk) == 0:
        assert time.monotonic() < deadline, "the mention never reached the inbox"
        time.sleep(0.5)


def test_connect_publish_receive_and_reply_on_x(
    page, browser, live_server, members, workspace, x_standin
):
    manager = members["manager"].user
    sign_in(page, live_server, manager)

    # Connect: Kalrav sends the manager to X's authorize page and X sends them back.
    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/connect/x/")
    expect(page.get_by_role("heading", name="Sign in with X")).to_be_visible()
    page.get_by_role("button", name="Sign in and connect").click()
    expect(page.get_by_role("button", name="Authorize app")).to_be_visible()
    assert page.url.startswith(f"{x_standin.url}/i/oauth2/authorize?")
    _shot(page, "x-authorize")
    page.get_by_role("button", name="Authorize app").click()
    expect(page.get_by_text("chaicorner is connected.")).to_be_visible()
    channel = Channel.objects.get(workspace=workspace, network="x")
    assert (channel.state, channel.remote_id, channel.handle) == (
        ChannelState.ACTIVE,
        OWN_ID,
        "chaicorner",
    )
    assert x_standin.refresh, "X issued a refresh token (offline.access was asked for)"
    _shot(page, "x-connected-en")

    # Publish now from the composer.
    page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    page.get_by_label("Title").fill("First flush")
    page.get_by_role("checkbox", name=channel.name).check()
    page.get_by_label("Master copy").fill(TEXT)
    page.get_by_label("Publish now").check()
    page.locator("form button[type=submit]", has_text="Publish now").click()
    expect(page.locator(".status-card .badge", has_text="Published")).to_be_visible(timeout=20_000)
    variant = Variant.objects.get(channel=channel)
    assert x_standin.posts_by_text() == {TEXT: 1}
    post_id = x_standin.tweets[0]["id"]
    assert (variant.state, variant.remote_id) == (VariantState.PUBLISHED, post_id)
    post_url = page.url
    _shot(page, "x-published-en")

    # A fan answers the post; the inbox poll brings the mention in.
    mention_id = x_standin.mention(MENTION, reply_to=post_id, author="asha_reads")
    _poll_until_new(channel)
    page.goto(f"{live_server.url}/w/{workspace.slug}/inbox/")
    row = page.locator("#inbox-rows .inbox-row", has_text="first flush also sold")
    expect(row).to_be_visible()
    _shot(page, "x-inbox-en")

    # Reply from the inbox: it goes to X as an answer to the mention, once.
    row.locator("[data-row]").click()
    page.locator("#reply-form textarea").fill(REPLY)
    page.get_by_role("button", name="Send reply").click()
    sent = page.locator(".thread .bubble.out")
    expect(sent).to_have_count(1)
    expect(sent.locator(".badge")).to_have_text("Sent")
    conversation_url = page.url
    _shot(page, "x-replied-en")
    replies = x_standin.replies_to(mention_id)
    assert [reply["sent"] for reply in replies] == [REPLY]
    assert x_standin.posts_by_text() == {TEXT: 1, REPLY: 1}
    message = Message.objects.get(direction="out")
    assert message.delivery == Delivery.SENT and message.remote_id == replies[0]["id"]

    # The same pages in English and Hindi, wide and narrow.
    channel_url = f"{live_server.url}/w/{workspace.slug}/settings/channels/{channel.pk}/"
    pages = (("channel", channel_url), ("post", post_url), ("reply", conversation_url))
    for language in ("en", "hi"):
        manager.language = language
        manager.save(update_fields=["language"])
        for width in (1366, 360):
            context = browser.new_context(viewport={"width": width, "height": 900})
            reader = context.new_page()
            sign_in(reader, live_server, manager)
            for name, url in pages:
                reader.goto(url)
                expect(reader.locator("html")).to_have_attribute("lang", language)
                _shot(reader, f"x-{name}-{language}-{width}")
            reader.goto("about:blank")
            context.close()
    page.goto("about:blank")  # stop the inbox list polling before the tables are emptied
    assert x_standin.violations == []
