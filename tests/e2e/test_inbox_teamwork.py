"""Two people on the inbox at once, in a real browser: each sees the other on a conversation,
"is replying" while the other types, and the list's rows are selected with the mouse and the
keyboard and resolved in one go."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.inbox.models import Conversation, ConversationState
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import problems
from tests.e2e.conftest import close_and_settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Two presence polls (every 5 s) and the request time.
POLL_WAIT_MS = 12_000

# Set KALRAV_SHOTS to a folder to keep screenshots of the pages.
SHOTS = os.environ.get("KALRAV_SHOTS")


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


def test_two_agents_see_each_other_on_a_conversation(browser, live_server, brand, members):
    found = conversation(brand, "e1", "My order #5512 never arrived. Awful service.")
    url = f"{live_server.url}/w/{found.workspace.slug}/inbox/{found.pk}/"
    contexts = [browser.new_context(viewport={"width": 1366, "height": 900}) for _ in range(2)]
    try:
        _two_agents(live_server, url, found, members, *(c.new_page() for c in contexts))
    finally:
        # Open pages keep polling; closed, they cannot reach the server during the next test.
        for context in contexts:
            close_and_settle(context)


def _two_agents(live_server, url, found, members, first, second):
    agent, manager = members["agent"].user, members["manager"].user
    _sign_in(first, live_server, agent)
    _sign_in(second, live_server, manager)
    first.goto(url)
    second.goto(url)
    expect(second.locator("#presence")).to_contain_text(f"{agent.display_name} is viewing this")
    first.locator("#reply-form textarea").type("Sorry, we are sending a new one")
    # The typist's page says so at once; the other page hears it at its next poll (every 5 s),
    # so waiting for 5 s alone raced the poll.
    expect(second.locator("#presence")).to_contain_text(
        f"{agent.display_name} is replying", timeout=POLL_WAIT_MS
    )
    first.locator("#reply-form textarea").fill("")
    second.locator("#reply-form textarea").fill("We are on it!")
    second.get_by_role("button", name="Send reply").click()
    expect(second.locator(".thread")).to_contain_text("We are on it!")
    expect(first.locator("#presence")).to_contain_text(
        f"{manager.display_name} replied after you opened this conversation", timeout=POLL_WAIT_MS
    )
    first.locator("#reply-form textarea").fill("A new cup is on its way.")
    first.get_by_role("button", name="Send reply").click()
    expect(first.locator(".collision")).to_contain_text("replied while you were writing")
    expect(first.locator(".collision")).to_contain_text("We are on it!")
    expect(first.locator("#reply-form textarea")).to_have_value("A new cup is on its way.")
    _shot(first, "conversation-collision")
    first.get_by_role("button", name="Send anyway").click()
    expect(first.locator(".thread")).to_contain_text("A new cup is on its way.")
    _shot(second, "conversation-presence")


@pytest.mark.parametrize("page", [{"width": 1366, "height": 900}], indirect=True)
def test_select_rows_and_resolve_them_from_the_keyboard(live_server, brand, members, page):
    rows = [
        conversation(brand, "k1", "Terrible service, my order is lost. Awful.", author="asha"),
        conversation(brand, "k2", "Do you deliver to Pune?", author="ravi"),
        conversation(brand, "k3", "The tea was cold and the cup broken. Terrible.", author="mira"),
        conversation(brand, "k4", "Thank you, wonderful tea!", author="lena"),
    ]
    _sign_in(page, live_server, members["agent"].user)
    page.goto(f"{live_server.url}/w/{brand.workspace.slug}/inbox/")
    open_problems = problems.count(brand.workspace_id, fresh=True)
    assert open_problems >= 2, "the two complaints at least"
    # Beside "Inbox": the new conversations, red while problems wait, which its title counts.
    expect(page.locator("nav.nav a[href$='/inbox/'] .nav-count")).to_have_attribute(
        "title", re.compile(rf" · {open_problems} open problems$")
    )
    expect(page.locator(".view-item").first).to_contain_text("Problems")
    boxes = page.locator("#inbox-rows [data-select]")
    expect(boxes).to_have_count(4)
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("[data-bulk-count]")).to_contain_text("3 selected")
    _shot(page, "inbox-selection")
    page.keyboard.press("Escape")
    expect(page.locator("[data-bulk-count]")).to_contain_text("Nothing selected")
    # j moves to a row, x selects it, e resolves what is selected.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("e")
    expect(page.locator(".toast")).to_contain_text("Resolved 2 conversations.")
    resolved = set(
        Conversation.objects.filter(state=ConversationState.RESOLVED).values_list("pk", flat=True)
    )
    assert len(resolved) == 2 and resolved <= {c.pk for c in rows}
    page.goto(f"{live_server.url}/w/{brand.workspace.slug}/inbox/?view=problems")
    _shot(page, "inbox-problems")
    page.goto("about:blank")  # stop polling before the database is emptied


@pytest.mark.parametrize("page", [{"width": 390, "height": 844}], indirect=True)
def test_the_inbox_on_a_phone(live_server, brand, members, page):
    conversation(brand, "f1", "Terrible service, my order is lost. Awful.")
    _sign_in(page, live_server, members["agent"].user)
    page.goto(f"{live_server.url}/w/{brand.workspace.slug}/inbox/")
    expect(page.locator(".view-item").first).to_be_visible()
    expect(page.locator("#inbox-rows .inbox-row")).to_have_count(1)
    _shot(page, "inbox-phone")
    page.goto("about:blank")
