"""Writing a post for two networks in a real browser: the length check follows the typing, the
post is scheduled, and it appears on the calendar on its day, in the workspace's time."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels.models import Channel, ChannelState

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

    # Drag one variant to another day: it keeps its time.
    day.locator(".chip").first.drag_to(page.locator('[data-day="2099-06-18"]'))
    moved = page.locator('[data-day="2099-06-18"] .chip')
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text("09:30")
    expect(page.locator(".toast")).to_contain_text(re.compile("Moved to 18 June 2099"))
