"""Missed targets: recorded once and only once, told to the right people, shown, sent out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
import time_machine
from django.core import mail

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.hooks import services as hooks
from kalrav.hooks.models import Delivery
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, InboxSettings, Team
from kalrav.inbox.sla import breaches
from kalrav.inbox.tasks import check_breaches
from kalrav.inbox.tests.fakes import FakeInboxConnector, item
from kalrav.inbox.work import conversations
from kalrav.workspaces.audit import Actor

ARRIVAL = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture
def channel(workspace):
    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": "kalrav.inbox.tests.fakes.FakeInboxConnector"}
    )
    FakeInboxConnector.replies, FakeInboxConnector.fail_with = [], None
    yield Channel.objects.create(
        workspace=workspace, network="fakeinbox", name="Brand", state=ChannelState.ACTIVE
    )
    registry.reset()


@pytest.fixture
def late(channel, workspace):
    InboxSettings.objects.update_or_create(
        workspace=workspace, defaults={"first_response_minutes": 15, "resolution_minutes": 120}
    )
    with time_machine.travel(ARRIVAL, tick=False):
        ingest(channel, [item("a", "Nobody answers me!")], via="poll")
    return Conversation.objects.get()


def test_a_breach_is_recorded_and_told_once_and_only_once(
    late, members, django_capture_on_commit_callbacks
):
    with time_machine.travel(ARRIVAL + timedelta(minutes=14), tick=False):
        assert breaches.check() == 0
    at = ARRIVAL + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert breaches.check(now=at) == 1
        assert breaches.check(now=at + timedelta(minutes=1)) == 0  # the next minute's run
        with time_machine.travel(at + timedelta(minutes=2), tick=False):
            assert check_breaches.call_local() == 0  # the periodic task itself
    late.refresh_from_db()
    assert late.first_response_breached_at == at
    assert late.resolution_breached_at is None
    # Nobody assigned and no team: the owner and the manager are told.
    assert sorted(m.to[0] for m in mail.outbox) == ["manager@example.test", "owner@example.test"]
    assert "First-response target missed" in mail.outbox[0].subject
    assert f"/inbox/{late.pk}/" in mail.outbox[0].body
    notes = list(late.notes.values_list("text", flat=True))
    assert sum("First-response target missed" in n for n in notes) == 1
    # Two hours of open time later, the resolution target is missed too, once.
    with django_capture_on_commit_callbacks(execute=True):
        assert breaches.check(now=ARRIVAL + timedelta(minutes=121)) == 1
        assert breaches.check(now=ARRIVAL + timedelta(minutes=200)) == 0
    late.refresh_from_db()
    assert late.resolution_breached_at is not None
    assert len(mail.outbox) == 4


def test_two_workers_racing_record_one_breach(late):
    at = ARRIVAL + timedelta(minutes=20)
    target = breaches.TARGETS[0]
    assert breaches.record(late.pk, target, at) == 1
    assert breaches.record(late.pk, target, at) == 0  # the other worker lost the UPDATE


def test_answered_resolved_and_spam_conversations_never_breach(late, members):

    owner = members["owner"]
    conversations.set_state(owner, Actor(user=owner.user), late.pk, "spam")
    assert breaches.check(now=ARRIVAL + timedelta(days=3)) == 0


def test_the_assignee_or_else_the_team_is_told(late, members, workspace):
    agent = members["agent"].user
    assert breaches.recipients(late) == sorted(
        [members["owner"].user_id, members["manager"].user_id]
    )
    support = Team.objects.create(workspace=workspace, name="Support")
    support.members.set([agent, members["editor"].user])  # an editor cannot see the inbox
    late.team = support
    assert breaches.recipients(late) == [agent.pk]
    late.assignee = members["manager"].user
    assert breaches.recipients(late) == [members["manager"].user_id]


@respx.mock
def test_a_breach_fires_the_sla_breached_webhook(late, members, django_capture_on_commit_callbacks):
    owner = members["owner"]
    endpoint, _secret = hooks.create_endpoint(
        owner, Actor(user=owner.user), url="https://93.184.215.14/sla", events=["sla.breached"]
    )
    route = respx.post("https://93.184.215.14/sla").mock(return_value=httpx.Response(200))
    with django_capture_on_commit_callbacks(execute=True):
        breaches.check(now=ARRIVAL + timedelta(minutes=30))
    assert route.call_count == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.payload["target"] == "first_response"
    assert delivery.payload["conversation"]["id"] == late.pk


def test_upgrading_does_not_flood_old_breaches(late):
    # What migration 0008 does for conversations already late: marked, nobody told.
    Conversation.objects.filter(pk=late.pk).update(first_response_breached_at=ARRIVAL)
    assert breaches.check(now=ARRIVAL + timedelta(minutes=30)) == 0
    assert mail.outbox == []
