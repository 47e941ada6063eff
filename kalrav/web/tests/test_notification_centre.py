"""The notification centre: mentions, failed posts and approvals waiting, in one place."""

from __future__ import annotations

import re

import pytest

from kalrav.inbox.models import InboxNotification
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import conversations
from kalrav.publishing import approvals, posts
from kalrav.publishing.delivery.notifications import notify_failure
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


def _bell(page: str) -> str | None:
    found = re.search(r'notifications? waiting">(\d+)<', page)
    return found.group(1) if found else None


def test_mentions_failures_and_approvals_meet_in_one_centre(client, brand, members, workspace):
    manager, agent, owner = members["manager"], members["agent"], members["owner"]
    talk = conversation(brand, "m1", "Where is my order?")
    conversations.add_note(agent, Actor(user=agent.user), talk.pk, "@manager can you look?")
    assert InboxNotification.objects.filter(user=manager.user).count() == 1
    network = channel(workspace)
    failed = posts.create_post(
        owner, Actor(user=owner.user), title="T", text="Tea", channel_ids=[network.pk]
    )
    notify_failure(failed.variants.get(), "The network said no.")
    waiting = posts.create_post(
        owner, Actor(user=owner.user), title="W", text="Wait", channel_ids=[network.pk]
    )
    approvals.submit_for_approval(owner, Actor(user=owner.user), waiting.variants.get().pk)

    client.force_login(manager.user)
    home = client.get(f"/w/{workspace.slug}/calendar/").content.decode()
    assert _bell(home) == "3", "a mention, a failure and a post to approve"
    page = client.get(f"/w/{workspace.slug}/notifications/").content.decode()
    assert "can you look?" in page
    assert "The network said no." in page
    assert "1 variant is waiting for your approval" in page
    assert page.count('class="inbox-row unread"') == 2

    client.post(f"/w/{workspace.slug}/notifications/read/")
    page = client.get(f"/w/{workspace.slug}/notifications/").content.decode()
    assert page.count('class="inbox-row unread"') == 0
    assert _bell(page) == "1", "the post to approve counts until someone decides"


def test_only_ones_own_notifications(client, brand, members, workspace):
    manager, agent = members["manager"], members["agent"]
    talk = conversation(brand, "m2", "Hello")
    conversations.add_note(agent, Actor(user=agent.user), talk.pk, "no mention here")
    client.force_login(manager.user)
    page = client.get(f"/w/{workspace.slug}/notifications/").content.decode()
    assert "no mention here" not in page
    assert _bell(page) is None
