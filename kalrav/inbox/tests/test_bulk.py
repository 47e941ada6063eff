"""Bulk actions on the list: one change to many conversations of this workspace, all or nothing,
with an audit entry on each conversation."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Conversation, ConversationState, Priority
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import bulk
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry, Member


@pytest.fixture
def three(brand):
    return [
        conversation(brand, "b1", "Where is my order?", author="asha"),
        conversation(brand, "b2", "The tea was cold", author="ravi"),
        conversation(brand, "b3", "Do you deliver to Pune?", author="mira"),
    ]


@pytest.fixture
def foreign(outsider, fake_network):
    other = Member.objects.get(user=outsider).workspace
    channel = Channel.objects.create(
        workspace=other, network="fakeinbox", name="Other", state=ChannelState.ACTIVE
    )
    return conversation(channel, "x1", "Not yours")


def test_bulk_changes_only_this_workspaces_conversations(three, foreign, members):
    agent = members["agent"]
    ids = [c.pk for c in three[:2]] + [foreign.pk]
    changed = bulk.bulk_update(agent, Actor(user=agent.user), ids, "state", "resolved")
    assert changed == [three[0].pk, three[1].pk]
    states = dict(Conversation.objects.values_list("pk", "state"))
    assert states[three[0].pk] == states[three[1].pk] == ConversationState.RESOLVED
    assert states[three[2].pk] != ConversationState.RESOLVED
    assert states[foreign.pk] == ConversationState.NEW, "another workspace is never touched"
    entries = AuditEntry.objects.filter(action="conversation.state")
    assert sorted(int(e.object_id) for e in entries) == [three[0].pk, three[1].pk]
    assert all(e.workspace_id == agent.workspace_id for e in entries)


@pytest.mark.parametrize(
    ("action", "value", "check"),
    [
        ("assign", "AGENT", lambda c, m: c.assignee_id == m["agent"].user_id),
        ("tag", "Delivery", lambda c, m: "delivery" in c.tags),
        ("priority", str(Priority.URGENT), lambda c, m: c.priority == Priority.URGENT),
        ("state", "spam", lambda c, m: c.state == ConversationState.SPAM),
    ],
)
def test_each_action(three, members, action, value, check):
    agent = members["agent"]
    value = str(agent.user_id) if value == "AGENT" else value
    bulk.bulk_update(agent, Actor(user=agent.user), [c.pk for c in three], action, value)
    for found in Conversation.objects.filter(pk__in=[c.pk for c in three]):
        assert check(found, members)
    assert AuditEntry.objects.filter(action__startswith="conversation.").count() == 3


def test_a_bad_value_changes_nothing(three, members, outsider):
    agent = members["agent"]
    with pytest.raises(ValidationError):
        bulk.bulk_update(
            agent, Actor(user=agent.user), [c.pk for c in three], "assign", outsider.pk
        )
    with pytest.raises(ValidationError):
        bulk.bulk_update(agent, Actor(user=agent.user), [c.pk for c in three], "explode", "")
    with pytest.raises(ValidationError):
        bulk.bulk_update(agent, Actor(user=agent.user), [], "state", "resolved")
    assert not Conversation.objects.filter(assignee__isnull=False).exists()
    assert not AuditEntry.objects.filter(action__startswith="conversation.").exists()


def test_all_or_nothing(three, members):
    """A conversation that cannot take the change stops the whole bulk: none is changed."""
    agent = members["agent"]
    full = Conversation.objects.get(pk=three[2].pk)
    full.tags = [f"t{i}" for i in range(20)]
    full.save()
    with pytest.raises(ValidationError):
        bulk.bulk_update(agent, Actor(user=agent.user), [c.pk for c in three], "tag", "late")
    assert not Conversation.objects.filter(tags__icontains='"late"').exists()


def test_roles_without_the_inbox_cannot(three, members):
    analyst = members["analyst"]
    with pytest.raises(PermissionDenied):
        bulk.bulk_update(analyst, Actor(user=analyst.user), [three[0].pk], "state", "resolved")


def test_the_list_selects_and_resolves(client, three, members, workspace):
    client.force_login(members["agent"].user)
    page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert page.count('name="ids"') == 3 and 'form="bulk-form"' in page
    assert "Select all on this page" in page
    assert f'href="/w/{workspace.slug}/inbox/{three[0].pk}/" data-row' in page
    response = client.post(
        f"/w/{workspace.slug}/inbox/bulk/",
        {
            "ids": [three[0].pk, three[1].pk],
            "action": "resolve",
            "next": f"/w/{workspace.slug}/inbox/?sentiment=negative",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/w/{workspace.slug}/inbox/?sentiment=negative"
    assert "Resolved 2 conversations." in response.content.decode()
    assert Conversation.objects.filter(state=ConversationState.RESOLVED).count() == 2
    mine = client.post(
        f"/w/{workspace.slug}/inbox/bulk/",
        {"ids": [three[2].pk], "action": "mine", "next": "https://evil.example/"},
    )
    assert mine["Location"] == f"/w/{workspace.slug}/inbox/", "never sent elsewhere"
    assert Conversation.objects.get(pk=three[2].pk).assignee == members["agent"].user


def test_the_api_applies_a_bulk_change(client, three, members, workspace):
    from kalrav.api import tokens

    agent = members["agent"]
    _record, token = tokens.create_token(agent, Actor(user=agent.user), name="bot", role="agent")

    def call(body):
        return client.post(
            f"/api/v1/workspaces/{workspace.slug}/conversations-bulk",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    done = call({"ids": [c.pk for c in three], "action": "priority", "value": 3})
    assert done.status_code == 200 and done.json()["updated"] == [c.pk for c in three]
    assert set(Conversation.objects.values_list("priority", flat=True)) == {Priority.URGENT}
    refused = call({"ids": [three[0].pk], "action": "priority", "value": 9})
    assert refused.status_code == 400 and refused.json()["problems"][0]["field"] == "value"
