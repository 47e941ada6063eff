"""A moderation action is sent under a claim with an attempt record, and retried only with its
own key, never blind (issue 14, item 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kalrav.connectors.errors import Transient
from kalrav.inbox.models import Message, SendAttempt
from kalrav.inbox.tests.moderation_fakes import (  # noqa: F401 - fixture
    FakeModerator,
    network_fixture,
    thread_on,
)
from kalrav.inbox.work import moderation
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(workspace, network):
    return thread_on(workspace, "fakemod")[1]


def _asked(member, message) -> str:
    """Request a like; return the key its task was queued with (the task itself not run)."""
    moderation.like_message(member, Actor(), message.pk)
    return f"kalrav-like-{message.pk}-test"


def test_two_workers_never_both_send_the_action(message, members, network, monkeypatch):
    key = _asked(members["agent"], message)
    original = FakeModerator._call

    def meanwhile_another_worker_runs_the_task(self, name, item, k):
        original(self, name, item, k)
        moderation.apply(message.pk, "like", key)

    monkeypatch.setattr(FakeModerator, "_call", meanwhile_another_worker_runs_the_task)
    moderation.apply(message.pk, "like", key)
    assert [c[0] for c in network.calls] == ["like"]
    assert Message.objects.get(pk=message.pk).liked_at is not None


def test_every_try_is_recorded_before_the_network_is_called(message, members, network):
    key = _asked(members["agent"], message)
    network.fail_with = Transient("timed out")
    moderation.apply(message.pk, "like", key)
    attempt = SendAttempt.objects.get()
    assert (attempt.action, attempt.key, attempt.outcome) == ("like", key, "transient")
    pending = Message.objects.get(pk=message.pk)
    assert pending.moderation_pending == "like", "still asked for: a retry is scheduled"
    assert pending.claimed_until is None, "the claim is given back for the retry"


def test_a_retry_after_an_unknown_outcome_uses_the_same_key(message, members, network):
    key = _asked(members["agent"], message)
    # A worker died inside the network call: its attempt still runs, its claim ran out.
    SendAttempt.objects.create(message=message, action="like", key=key)
    Message.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    moderation.apply(message.pk, "like", key)
    assert [(c[0], c[2]) for c in network.calls] == [("like", key)]
    outcomes = list(SendAttempt.objects.values_list("outcome", flat=True))
    assert outcomes == ["unknown", "sent"]


def test_a_live_claim_keeps_the_task_out(message, members, network):
    key = _asked(members["agent"], message)
    Message.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=1)
    )
    moderation.apply(message.pk, "like", key)
    assert network.calls == []


def test_a_fault_after_the_network_acted_is_not_a_failure_shown_as_final(message, members, network):
    key = _asked(members["agent"], message)
    network.fail_with = RuntimeError("bug after the answer")  # type: ignore[assignment]
    moderation.apply(message.pk, "like", key)
    assert Message.objects.get(pk=message.pk).moderation_pending == "like"
    network.fail_with = None
    moderation.apply(message.pk, "like", key)  # the scheduled retry
    assert [c[2] for c in network.calls] == [key, key]
    assert Message.objects.get(pk=message.pk).liked_at is not None


def test_tries_end_in_a_visible_failure(message, members, network):
    key = _asked(members["agent"], message)
    network.fail_with = Transient("down")
    for _try in range(6):
        moderation.apply(message.pk, "like", key)
    failed = Message.objects.get(pk=message.pk)
    assert failed.moderation_pending == "" and failed.moderation_error == "down"
    assert len(network.calls) == 4


def test_an_action_whose_worker_died_is_resumed_with_its_key(message, members, network):
    key = _asked(members["agent"], message)
    SendAttempt.objects.create(message=message, action="like", key=key)
    Message.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    moderation.resume_stalled_actions.call_local()
    assert [(c[0], c[2]) for c in network.calls] == [("like", key)]
    assert Message.objects.get(pk=message.pk).liked_at is not None
