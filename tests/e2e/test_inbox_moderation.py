"""Liking and deleting a comment on its network from the conversation page, in a real browser:
the buttons swap in place, deleting asks first, and a refusal shows the network's words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.connectors.errors import Rejected
from kalrav.inbox.models import Message
from kalrav.inbox.tests.moderation_fakes import (  # noqa: F401 - fixture
    network_fixture,
    thread_on,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KALRAV_SHOTS")  # a folder to keep screenshots in


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


@pytest.mark.parametrize(
    "page", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}], indirect=True
)
def test_like_then_delete_a_comment(page, live_server, workspace, members, network):
    conversation, message = thread_on(workspace, "fakemod")
    _sign_in(page, live_server, members["manager"].user)
    page.goto(f"{live_server.url}/w/{workspace.slug}/inbox/{conversation.pk}/")
    bar = page.locator(f"#message-actions-{message.pk}")
    expect(bar.get_by_role("button", name="Hide reply")).to_have_count(0)  # Fakebook cannot hide
    _shot(page, f"moderation-{page.viewport_size['width']}-before")
    bar.get_by_role("button", name="Like").click()
    expect(bar).to_contain_text("Liked")
    expect(bar.get_by_role("button", name="Unlike")).to_be_visible()
    assert [name for name, _item, _key in network.calls] == ["like"]

    network.fail_with = Rejected("Bad Request: message can't be deleted")
    bar.get_by_text("Delete…").click()
    expect(bar).to_contain_text("cannot be undone")
    bar.get_by_role("button", name="Delete on the network").click()
    expect(bar.get_by_role("alert")).to_contain_text("message can't be deleted")
    _shot(page, f"moderation-{page.viewport_size['width']}-refused")

    network.fail_with = None
    bar.get_by_text("Delete…").click()
    bar.get_by_role("button", name="Delete on the network").click()
    expect(bar).to_contain_text("Deleted on the network")
    expect(bar.get_by_role("button")).to_have_count(0)
    expect(page.locator(".thread")).to_contain_text("Your delivery is a scam")  # our copy stays
    assert Message.objects.get(pk=message.pk).deleted_at is not None
    _shot(page, f"moderation-{page.viewport_size['width']}-deleted")
