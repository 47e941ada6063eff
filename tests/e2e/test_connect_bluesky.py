"""A manager connects a Bluesky account from the channels page, against Bluesky's reference
network on loopback, and sees the channel active with the account's handle."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels.models import Channel, ChannelState

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_connect_a_bluesky_channel_through_the_ui(
    page, live_server, members, workspace, bluesky_network, settings
):
    settings.ALLOW_PRIVATE_ADDRESSES = True  # the PDS runs on this machine's loopback
    account = bluesky_network.create_account("brand")
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(members["manager"].user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/")
    expect(page.get_by_text("Connect your first channel")).to_be_visible()
    page.locator("main").get_by_role("link", name="Bluesky").click()
    page.get_by_label("PDS address").fill(bluesky_network.pds_url)
    page.get_by_label("Handle").fill(account["handle"])
    page.get_by_label("App password").fill(account["password"])
    page.locator("main").get_by_role("button", name="Connect").click()

    expect(page.locator(".badge", has_text="Active")).to_be_visible(timeout=20_000)
    expect(page.get_by_text(account["handle"]).first).to_be_visible()
    channel = Channel.objects.get(workspace=workspace)
    assert channel.state == ChannelState.ACTIVE
    assert channel.remote_id == account["did"]
    assert account["password"] not in page.content()
