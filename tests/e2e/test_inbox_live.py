"""A comment's whole life in the inbox, in a real browser: it appears in the open list without a
reload, an agent takes it, answers with a saved reply that greets the person by name, and
resolves it. The reply leaves through the channel's connector (a fake that records what it was
asked to send), so the test sees exactly what the network would have received."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, ConversationState, Delivery
from kalrav.inbox.teams import services as teams
from kalrav.inbox.tests.fakes import item
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    fake_network_fixture,
)
from kalrav.inbox.work import replies
from kalrav.workspaces.audit import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KALRAV_SHOTS")  # a folder to keep screenshots in

# The list asks for its rows every 10 s (hx-trigger="every 10s" in inbox/inbox.html); a new
# comment must show within one period plus the request, or it is not live.
REFRESH_SECONDS = 10
LIVE_TIMEOUT_MS = (REFRESH_SECONDS + 15) * 1000  # one poll, with room for a busy CI machine

COMMENT = "The lid of my masala chai tin came off in the parcel. Can you send a new one?"
SAVED = "Hi {first_name}, sorry about the tin! A new one leaves today; reply here if it does not."
FILLED = "Hi Priya, sorry about the tin! A new one leaves today; reply here if it does not."


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_new_comment_appears_live_and_is_answered_and_resolved(
    page, live_server, workspace, members, brand, fake_network
):
    owner, agent = members["owner"], members["agent"]
    replies.save_reply_template(
        owner, Actor(user=owner.user), title="Replacement on its way", text=SAVED
    )
    team = teams.create_team(
        owner,
        Actor(user=owner.user),
        name="Support",
        email="support@acme.test",
        first_response_minutes=30,
    )
    inbox_url = f"{live_server.url}/w/{workspace.slug}/inbox/"
    rows = page.locator("#inbox-rows")

    _sign_in(page, live_server, agent.user)
    page.goto(inbox_url)
    expect(rows).to_contain_text("Nothing waiting")
    # Survives only as long as the document does: a reload would wipe it.
    page.evaluate("window.__sameDocument = true")

    # What the stream does for each item it receives (kalrav.inbox.intake.streams), from another thread.
    comment = item("c-1", COMMENT, root="post-1", parent="post-1", author="priya")
    started = time.monotonic()
    assert len(ingest(brand, [comment], via="stream")) == 1
    row = rows.locator(".inbox-row", has_text="Priya Roy")
    expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    waited = time.monotonic() - started
    print(f"\nnew comment visible in the open list after {waited:.1f} s (htmx polling)")
    assert page.evaluate("window.__sameDocument === true"), "the list was reloaded"
    expect(row).to_contain_text("masala chai tin")
    expect(row).to_contain_text("New")
    _shot(page, "live-arrived")

    row.locator("[data-row]").click()
    expect(page.get_by_role("heading", name="Priya Roy")).to_be_visible()
    conversation = Conversation.objects.get(channel=brand, root_remote_id="post-1")
    assert page.url.endswith(f"/inbox/{conversation.pk}/")

    # Take it: the selects submit themselves on change (app.js, deferred: let it load first)
    # and the page comes back.
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.locator("#assignee").select_option(label=agent.user.display_name)
    expect(page.locator(".toast")).to_contain_text("Assignment saved.")
    with page.expect_navigation():
        page.locator("#team").select_option(label="Support")
    expect(page.locator("#assignee")).to_have_value(str(agent.user.pk))
    expect(page.locator("#team")).to_have_value(str(team.pk))
    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.team_id) == (agent.user.pk, team.pk)
    assert conversation.state == ConversationState.OPEN

    page.get_by_label("Saved reply").select_option(label="Replacement on its way")
    box = page.locator("#reply-form textarea")
    expect(box).to_have_value(FILLED)
    _shot(page, "live-saved-reply")
    assert fake_network.replies == [], "nothing leaves before Send"
    page.get_by_role("button", name="Send reply").click()
    sent = page.locator(".thread .bubble.out")
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text(FILLED)
    expect(sent.locator(".badge")).to_have_text("Sent")

    assert [(to, text) for to, text, _key in fake_network.replies] == [("c-1", FILLED)]
    reply = conversation.messages.get(direction="out")
    assert reply.delivery == Delivery.SENT and reply.remote_id == "sent-1"
    # The key was random and stored before the send, not derived from the row's number.
    assert fake_network.replies[0][2] == reply.send_key != f"kalrav-reply-{reply.pk}"

    with page.expect_navigation():
        page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator(".page-head p .badge").first).to_have_text("Resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    _shot(page, "live-resolved")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.RESOLVED
    assert len(fake_network.replies) == 1, "resolving sends nothing more"

    page.goto(inbox_url)  # "To do" is the list's default
    expect(rows).to_contain_text("Nothing waiting")
    expect(rows.locator(".inbox-row")).to_have_count(0)
    page.goto(f"{inbox_url}?state=resolved")
    expect(rows.locator(".inbox-row", has_text="Priya Roy")).to_contain_text("Resolved")
    page.goto("about:blank")  # stop polling before the database is emptied
