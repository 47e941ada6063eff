"""A Facebook Page's whole way in a real browser, against the stand-in Meta
(tests/peers/meta_standin.py): a manager continues on Facebook's Login dialog, picks the Page to
connect, publishes a post from the composer; a fan's comment arrives by a webhook signed with the
app secret, and the reply from the inbox reaches the comment once. Screenshots in English and
Bengali, at 1366 and 360 px."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Delivery, Message
from kalrav.publishing.models import Variant, VariantState
from tests.e2e.steps import sign_in
from tests.peers.meta_standin import PAGE_ID, MetaStandIn, serving, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("KALRAV_SHOTS") or "/tmp/kalrav-e2e-meta")
TEXT = "Our first flush Darjeeling is in the shop today."
COMMENT = "Do you ship the first flush to Kolkata?"
REPLY = "We do: it arrives in two days."


@pytest.fixture
def meta_standin(settings, live_server) -> Iterator[MetaStandIn]:
    with serving(MetaStandIn()) as standin:
        for name, value in settings_for(standin).items():
            setattr(settings, name, value)
        settings.BASE_URL = live_server.url  # where Facebook sends the person back
        yield standin


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_connect_a_page_publish_receive_a_signed_comment_and_reply(
    page, browser, live_server, members, workspace, meta_standin
):
    graph = meta_standin.graph
    manager = members["manager"].user
    sign_in(page, live_server, manager)

    # Connect: the Login dialog, then the choice of Pages.
    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/connect/facebook/")
    page.get_by_role("button", name="Sign in and connect").click()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    assert page.url.startswith(f"{meta_standin.url}/")
    _shot(page, "meta-dialog")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose Facebook accounts")).to_be_visible()
    _shot(page, "meta-pick-en")
    page.get_by_label("চা ঘর").uncheck()  # only Chai Corner
    page.get_by_role("button", name="Connect the ticked accounts").click()
    expect(page.get_by_text("1 channel connected.")).to_be_visible()
    channel = Channel.objects.get(workspace=workspace, network="facebook")
    assert (channel.state, channel.remote_id) == (ChannelState.ACTIVE, PAGE_ID)

    # Publish now from the composer: one post on the Page.
    page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    page.get_by_label("Title").fill("First flush")
    page.get_by_role("checkbox", name=channel.name).check()
    page.get_by_label("Master copy").fill(TEXT)
    page.get_by_label("Publish now").check()
    page.locator("form button[type=submit]", has_text="Publish now").click()
    expect(page.locator(".status-card .badge", has_text="Published")).to_be_visible(timeout=20_000)
    assert [post.get("message") for post in graph.feed] == [TEXT]
    post_id = graph.feed[0]["id"]
    variant = Variant.objects.get(channel=channel)
    assert (variant.state, variant.remote_id) == (VariantState.PUBLISHED, post_id)
    post_url = page.url
    _shot(page, "meta-published-en")

    # A fan comments; Meta's signed webhook brings it to the inbox. A forged one is refused.
    comment_id = meta_standin.comment(COMMENT, post_id=post_id)
    forged = meta_standin.deliver_comment(live_server.url, comment_id, secret="not-the-app's")
    assert forged.status_code == 403
    assert not Message.objects.exists()
    answer = meta_standin.deliver_comment(live_server.url, comment_id)
    assert answer.status_code == 200 and answer.json()["channels"] == 1, answer.text
    page.goto(f"{live_server.url}/w/{workspace.slug}/inbox/")
    row = page.locator("#inbox-rows .inbox-row", has_text="ship the first flush")
    expect(row).to_be_visible()
    _shot(page, "meta-inbox-en")

    # Reply from the inbox: one comment under the fan's, from the Page.
    row.locator("[data-row]").click()
    page.locator("#reply-form textarea").fill(REPLY)
    page.get_by_role("button", name="Send reply").click()
    sent = page.locator(".thread .bubble.out")
    expect(sent).to_have_count(1)
    expect(sent.locator(".badge")).to_have_text("Sent")
    conversation_url = page.url
    _shot(page, "meta-replied-en")
    replies = [c for c in graph.comments.values() if c["message"] == REPLY]
    assert len(replies) == 1
    assert replies[0]["from"]["id"] == PAGE_ID and replies[0]["post_id"] == post_id
    message = Message.objects.get(direction="out")
    assert message.delivery == Delivery.SENT and message.remote_id == replies[0]["id"]

    # The same pages in English and Bengali, wide and narrow.
    for language in ("en", "bn"):
        manager.language = language
        manager.save(update_fields=["language"])
        for width in (1366, 360):
            context = browser.new_context(viewport={"width": width, "height": 900})
            reader = context.new_page()
            sign_in(reader, live_server, manager)
            for name, url in (("post", post_url), ("reply", conversation_url)):
                reader.goto(url)
                expect(reader.locator("html")).to_have_attribute("lang", language)
                _shot(reader, f"meta-{name}-{language}-{width}")
            reader.goto("about:blank")
            context.close()
    page.goto("about:blank")  # stop the inbox list polling before the tables are emptied
    assert meta_standin.violations == []
