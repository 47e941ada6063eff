"""Writing a post for two networks in a real browser: the length check follows the typing, the
post is scheduled, and it appears on the calendar on its day, in the workspace's time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.publishing.delivery import sweep
from kalrav.publishing.models import WorkspacePublishingSettings
from tests.peers.fake_network_server import FakeNetwork, LoopbackConnector

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_compose_two_variants_fix_the_length_schedule_and_see_it(
    page, live_server, members, workspace
):
    bluesky = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Tea on Bluesky",
        handle="tea.bsky.social",
        state=ChannelState.ACTIVE,
    )
    mastodon = Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        name="Tea on Mastodon",
        handle="@tea@m.example",
        state=ChannelState.ACTIVE,
    )
    _sign_in(page, live_server, members["editor"].user)

    page.get_by_role("link", name="Calendar").click()
    expect(page.get_by_text("Plan your first post")).to_be_visible()
    page.get_by_role("link", name="Write a post").first.click()

    page.get_by_label("Title").fill("Darjeeling first flush")
    page.get_by_role("checkbox", name="Tea on Bluesky").check()
    page.get_by_role("checkbox", name="Tea on Mastodon").check()
    page.get_by_label("Master copy").press_sequentially("First flush is here. ")

    sky_text = page.get_by_label("Text for Tea on Bluesky")
    sky_check = page.locator(f"#check-{bluesky.pk}")
    masto_check = page.locator(f"#check-{mastodon.pk}")
    # Both variants follow the master copy until rewritten, and each is checked.
    expect(page.get_by_label("Text for Tea on Mastodon")).to_have_value("First flush is here. ")
    expect(sky_check).to_contain_text("21 / 300")
    expect(masto_check).to_contain_text("21 / 500")

    # Past Bluesky's 300 characters, the problem shows with its place; Mastodon's 500 still fit.
    sky_text.fill("First flush is here. " + "চা " * 140)
    sky_text.press("End")
    expect(sky_check.locator("[data-code=too_long]")).to_be_visible()
    expect(sky_check.locator("[data-code=too_long]")).to_contain_text("Too long by 1")
    expect(sky_check.locator("mark.over")).to_be_visible()
    sky_text.press("Backspace")  # the trailing space: exactly at the limit now
    expect(sky_check.locator("[data-code=too_long]")).to_have_count(0)
    expect(sky_check).to_contain_text("300 / 300")
    expect(sky_check).to_contain_text("would accept this")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Darjeeling first flush")).to_be_visible()
    page.get_by_label("Schedule every variant at").fill("2099-06-15T09:30")
    page.get_by_role("button", name="Schedule all").click()
    expect(page.get_by_text("Every variant is scheduled.")).to_be_visible()
    expect(page.locator(".status-card .badge", has_text="Scheduled")).to_have_count(2)

    page.goto(f"{live_server.url}/w/{workspace.slug}/calendar/?date=2099-06-01")
    day = page.locator('[data-day="2099-06-15"]')
    expect(day.locator(".chip")).to_have_count(2)
    expect(day.locator(".chip").first).to_contain_text("09:30")
    expect(day).to_contain_text("Darjeeling first flush")
    expect(page.get_by_text("Times in Asia/Kolkata")).to_be_visible()

    # Drag the post to another day: both its variants go, and keep their time.
    day.locator(".chip").first.drag_to(page.locator('[data-day="2099-06-18"]'))
    moved = page.locator('[data-day="2099-06-18"] .chip')
    expect(moved).to_have_count(2)
    expect(moved.first).to_contain_text("09:30")
    expect(page.locator(".toast").first).to_contain_text(re.compile("Moved to 18 June? 2099"))


# --- The whole way: compose, approve, schedule, drag, publish -------------------------------------


class LoopbackSky(LoopbackConnector):
    """The loopback network with Bluesky's rules (300 graphemes), so the two variants are held
    to different limits as they would be on two real networks."""

    slug = "loopsky"
    label = "Loopback Sky"
    rules = registry.get("bluesky").rules


@pytest.fixture
def loopback_network():
    registry.reset(
        {
            **registry.CONNECTORS,
            "loopnet": "tests.peers.fake_network_server.LoopbackConnector",
            "loopsky": f"{__name__}.LoopbackSky",
        }
    )
    with FakeNetwork(latency=0.01) as network:
        yield network
    registry.reset()


def test_compose_approve_schedule_drag_and_watch_it_publish(
    browser, live_server, members, workspace, loopback_network
):
    """The Proof sentence of the publishing issue, in a workspace that requires approval: an
    editor writes two variants (the length error comes and goes while typing) and asks for
    approval; a manager approves; the editor schedules and drags one variant to another day;
    when the time comes the due sweep (what Huey runs every minute) publishes both through a
    network on loopback, and the post page shows them published with their links."""
    WorkspacePublishingSettings.objects.update_or_create(
        workspace=workspace, defaults={"require_approval": True}
    )
    config = {"server_url": loopback_network.url}
    sky = Channel.objects.create(
        workspace=workspace,
        network="loopsky",
        name="Tea on Sky",
        config=config,
        state=ChannelState.ACTIVE,
    )
    Channel.objects.create(
        workspace=workspace,
        network="loopnet",
        name="Tea on Net",
        config=config,
        state=ChannelState.ACTIVE,
    )
    editor = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    manager = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(editor, live_server, members["editor"].user)
    _sign_in(manager, live_server, members["manager"].user)

    # The editor writes the post; the Sky variant goes over its 300 and back.
    editor.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    editor.get_by_label("Title").fill("Second flush")
    editor.get_by_role("checkbox", name="Tea on Sky").check()
    editor.get_by_role("checkbox", name="Tea on Net").check()
    editor.get_by_label("Master copy").press_sequentially("Second flush is in. ")
    sky_text = editor.get_by_label("Text for Tea on Sky")
    sky_check = editor.locator(f"#check-{sky.pk}")
    expect(sky_check).to_contain_text("20 / 300")
    sky_text.fill("Second flush is in. " + "চা " * 140)  # 20 + 280 = 300
    sky_text.press("End")
    sky_text.press_sequentially("!")
    expect(sky_check.locator("[data-code=too_long]")).to_contain_text("Too long by 1")
    sky_text.press("Backspace")
    expect(sky_check.locator("[data-code=too_long]")).to_have_count(0)
    expect(sky_check).to_contain_text("300 / 300")
    # A thread part is checked live like the text: Sky's limit again.
    sky_card = editor.locator(f"[data-variant='{sky.pk}']")
    sky_card.get_by_role("button", name="Add a post to the thread").click()
    sky_card.get_by_label("Post 2").fill("x" * 301)
    expect(sky_check).to_contain_text("Post 2: Too long by 1")
    sky_card.get_by_label("Post 2").fill("More about the garden.")
    expect(sky_check).to_contain_text("Post 2: 22 / 300")
    expect(sky_check).not_to_contain_text("Too long")
    editor.screenshot(path="/tmp/kalrav-e2e-composer.png", full_page=True)
    editor.get_by_role("button", name="Save draft").click()
    expect(editor.get_by_role("heading", name="Second flush")).to_be_visible()
    # Unapproved, it cannot be scheduled: the workspace asks for approval first.
    editor.get_by_role("button", name="Ask for approval on all").click()
    expect(editor.get_by_text("Sent for approval.")).to_be_visible()
    expect(editor.locator(".status-card .badge", has_text="Waiting for approval")).to_have_count(2)
    post_url = editor.url

    # The manager approves both variants.
    manager.goto(post_url)
    for _variant in range(2):
        manager.get_by_role("button", name="Approve", exact=True).first.click()
        expect(manager.get_by_text("Approved.", exact=True)).to_be_visible()
    expect(manager.locator(".status-card .badge", has_text="Approved")).to_have_count(2)

    # The editor schedules them and drags the post to another day; it keeps its time.
    editor.goto(post_url)
    editor.get_by_label("Schedule every variant at").fill("2099-06-15T09:30")
    editor.get_by_role("button", name="Schedule all").click()
    expect(editor.get_by_text("Every variant is scheduled.")).to_be_visible()
    editor.goto(f"{live_server.url}/w/{workspace.slug}/calendar/?date=2099-06-01")
    day = editor.locator('[data-day="2099-06-15"]')
    expect(day.locator(".chip")).to_have_count(2)
    day.locator(".chip").first.drag_to(editor.locator('[data-day="2099-06-18"]'))
    expect(editor.locator(".toast")).to_contain_text(re.compile("Moved to 18 June? 2099"))
    expect(editor.locator('[data-day="2099-06-18"] .chip')).to_have_count(2)
    assert loopback_network.posts == {}  # nothing goes out before its time

    # The clock reaches 18 June 2099, 09:35 in Kolkata: the sweep publishes both, once each.
    with time_machine.travel(datetime(2099, 6, 18, 4, 5, tzinfo=UTC), tick=False):
        assert sweep.sweep() == 2
    assert len(loopback_network.posts) == 2
    assert set(loopback_network.requests.values()) == {1}

    editor.goto(post_url)
    expect(editor.locator(".status-card .badge", has_text="Published")).to_have_count(2)
    links = editor.get_by_role("link", name="Open on the network")
    expect(links).to_have_count(2)
    hrefs = {links.nth(n).get_attribute("href") for n in range(2)}
    assert hrefs == {post["url"] for post in loopback_network.posts.values()}
    editor.goto(f"{live_server.url}/w/{workspace.slug}/calendar/?date=2099-06-01")
    expect(editor.locator(".chip.state-published")).to_have_count(2)
    editor.screenshot(path="/tmp/kalrav-e2e-published-calendar.png")
