"""The composer people trust, in a real browser: a file chosen is previewed before anything is
sent, then stored and attached; the date and time are chosen in the composer itself and the post
is scheduled in the workspace's zone; on the calendar the whole post moves by drag and drop and
"Undo" puts it back; the approvals queue approves in bulk. At 1366 px and at 360 px, where no page
may scroll sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels.models import Channel, ChannelState
from kalrav.publishing import approvals, posts
from kalrav.publishing.models import MediaAsset, Post, VariantState
from kalrav.publishing.tests.helpers import png_bytes
from kalrav.workspaces.audit import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 780}


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.fixture
def two_channels(workspace):
    return [
        Channel.objects.create(
            workspace=workspace,
            network=network,
            name=name,
            handle=handle,
            state=ChannelState.ACTIVE,
        )
        for network, name, handle in (
            ("bluesky", "Tea on Bluesky", "tea.bsky.social"),
            ("mastodon", "Tea on Mastodon", "@tea@m.example"),
        )
    ]


@pytest.mark.parametrize("page", [WIDE, PHONE], indirect=True, ids=["wide", "phone"])
def test_schedule_from_the_composer_then_drag_the_post_and_undo(
    page, live_server, members, workspace, two_channels, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    _sign_in(page, live_server, members["editor"].user)
    page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    page.get_by_label("Title").fill("Darjeeling first flush")
    page.get_by_role("checkbox", name="Tea on Bluesky").check()
    page.get_by_role("checkbox", name="Tea on Mastodon").check()
    page.get_by_label("Master copy").fill("First flush is here.")

    # A chosen file is previewed at once, before anything is sent.
    page.get_by_label("Upload images or video").set_input_files(
        {"name": "cup.png", "mimeType": "image/png", "buffer": png_bytes(64, 48)}
    )
    preview = page.locator("[data-upload-previews] img")
    expect(preview).to_have_count(1)
    expect(page.locator("[data-upload-previews]")).to_contain_text("cup.png")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 64

    # The date and time only show for "Schedule at a date and time"; the zone is named.
    when_date = page.get_by_label("Date", exact=True)
    expect(when_date).to_be_hidden()
    page.get_by_label("Schedule at a date and time").check()
    expect(when_date).to_be_visible()
    expect(page.locator("#composer-when")).to_contain_text("Asia/Kolkata")
    when_date.fill("2099-06-15")
    page.get_by_label("Time", exact=True).fill("09:30")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Schedule", exact=True).click()

    expect(page.get_by_text(re.compile(r"Scheduled: Tea on Bluesky .*09:30"))).to_be_visible()
    expect(page.locator(".status-card .badge", has_text="Scheduled")).to_have_count(2)
    _no_sideways_scroll(page)
    post = Post.objects.get()
    asset = MediaAsset.objects.get()
    assert asset.original_name == "cup.png"
    assert {v.ordered_media()[0].pk for v in post.variants.all()} == {asset.pk}

    # On the calendar (its week view, which fits a phone) the whole post moves.
    page.goto(f"{live_server.url}/w/{workspace.slug}/calendar/?view=week&date=2099-06-15")
    day = page.locator('[data-day="2099-06-15"]')
    expect(day.locator(".chip")).to_have_count(2)
    day.locator(".chip").first.drag_to(page.locator('[data-day="2099-06-17"]'))
    toast = page.locator(".toast", has_text=re.compile(r"Moved to 17 June? 2099"))
    expect(toast).to_contain_text("with its 2 variants")
    expect(page.locator('[data-day="2099-06-17"] .chip')).to_have_count(2)
    expect(day.locator(".chip")).to_have_count(0)
    assert {v.scheduled_at.day for v in post.variants.all()} == {17}

    toast.get_by_role("button", name="Undo").click()
    expect(page.locator(".toast", has_text="Moved back.")).to_be_visible()
    expect(day.locator(".chip")).to_have_count(2)
    expect(page.locator('[data-day="2099-06-17"] .chip')).to_have_count(0)
    assert {(v.state, v.scheduled_at.day) for v in post.variants.all()} == {
        (VariantState.SCHEDULED, 15)
    }


@pytest.mark.parametrize("page", [WIDE, PHONE], indirect=True, ids=["wide", "phone"])
def test_the_approvals_queue_approves_in_bulk(page, live_server, members, workspace, two_channels):
    editor = members["editor"]
    for title in ("Monsoon", "Darjeeling"):
        post = posts.create_post(
            editor,
            Actor(user=editor.user),
            title=title,
            text=f"{title} is here",
            channel_ids=[c.pk for c in two_channels],
        )
        approvals.submit_post(editor, Actor(user=editor.user), post.pk)
    _sign_in(page, live_server, members["manager"].user)
    page.goto(f"{live_server.url}/w/{workspace.slug}/calendar/")
    if page.viewport_size["width"] < 700:
        page.locator("label[for=nav-toggle]").click()
    link = page.get_by_role("link", name=re.compile("Approvals"))
    expect(link).to_contain_text("4")
    link.click()
    expect(page.get_by_role("heading", name="Approvals queue")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_label("Tick every variant on this page").check()
    page.get_by_role("button", name="Approve the ticked").click()
    expect(page.get_by_text("4 variants approved.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for approval")).to_be_visible()
    assert set(Post.objects.values_list("variants__state", flat=True)) == {VariantState.APPROVED}
