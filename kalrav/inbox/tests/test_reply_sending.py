"""A reply goes out once: a random key stored before the send, a claim, an attempt record, and
no resend after an unknown outcome unless the network dedupes the key (issue 14, items 2, 4, 11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import IdempotentPublisher, InboxReader, ItemKind, PublishedRef
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Delivery, Message, SendAttempt
from kalrav.inbox.tests.fakes import item
from kalrav.inbox.work import replies
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


class CarelessNetwork:
    """Takes every reply it is sent, repeats included (no idempotency), like the weakest
    network; `fault` raises after the reply was taken, as a bug of Kalrav's own would."""

    slug = "careless"
    label = "Careless"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (InboxReader,)
    settings_fields = ()
    taken: list[tuple[str, str, str]] = []  # (text, key, language)
    fault: Exception | None = None
    during_send = None  # called inside the network call: another worker at that moment

    def __init__(self, context):
        self.context = context

    def fetch_inbox(self, since):
        raise NotImplementedError

    def reply(self, to, post, *, idempotency_key: str) -> PublishedRef:
        ref = self.take(post, idempotency_key)
        if CarelessNetwork.during_send is not None:
            CarelessNetwork.during_send()
        if CarelessNetwork.fault is not None:
            raise CarelessNetwork.fault
        return ref

    def take(self, post, key: str) -> PublishedRef:
        CarelessNetwork.taken.append((post.text, key, post.language))
        return PublishedRef(remote_id=f"r-{len(CarelessNetwork.taken)}", url="https://n.example/r")


class DedupingNetwork(CarelessNetwork):
    """Remembers keys for ever: a repeated key returns the reply made then."""

    slug = "deduping"
    capabilities = (InboxReader, IdempotentPublisher)
    made: dict[str, PublishedRef] = {}

    def idempotency_key_window(self):
        return None

    def take(self, post, key: str) -> PublishedRef:
        if key not in DedupingNetwork.made:
            DedupingNetwork.made[key] = super().take(post, key)
        return DedupingNetwork.made[key]


@pytest.fixture(autouse=True)
def networks():
    registry.reset(
        {
            **registry.CONNECTORS,
            "careless": f"{__name__}.CarelessNetwork",
            "deduping": f"{__name__}.DedupingNetwork",
        }
    )
    CarelessNetwork.taken, CarelessNetwork.fault, CarelessNetwork.during_send = [], None, None
    DedupingNetwork.made = {}
    yield
    registry.reset()


def _queued(workspace, members, network: str, text: str = "Yes, before 8 pm!") -> Message:
    channel = Channel.objects.create(
        workspace=workspace, network=network, name="Brand", state=ChannelState.ACTIVE
    )
    ingest(channel, [item("q1", "Do you deliver?", kind=ItemKind.MENTION)], via="poll")
    # Not run on commit: the test plays the worker.
    return replies.reply(members["agent"], Actor(), Conversation.objects.get().pk, text)


def test_the_key_is_random_and_stored_before_the_send(workspace, members):
    first = _queued(workspace, members, "careless")
    second = replies.reply(members["agent"], Actor(), first.conversation_id, "And Sundays too.")
    keys = [Message.objects.get(pk=m.pk).send_key for m in (first, second)]
    assert all(key.startswith("kalrav-reply-") and len(key) > 30 for key in keys)
    assert keys[0] != keys[1] and keys[0] != f"kalrav-reply-{first.pk}"
    assert CarelessNetwork.taken == []  # stored while nothing was sent yet
    replies.send_reply(first.pk)
    assert CarelessNetwork.taken[0][1] == keys[0]


def test_an_error_after_the_network_took_the_reply_does_not_send_it_again(workspace, members):
    sent = _queued(workspace, members, "careless")
    CarelessNetwork.fault = RuntimeError("database went away after the answer")
    replies.send_reply(sent.pk)
    CarelessNetwork.fault = None
    replies.send_reply(sent.pk)  # the retry
    sent.refresh_from_db()
    assert len(CarelessNetwork.taken) == 1
    assert sent.delivery == Delivery.FAILED and "cannot check" in sent.error
    assert list(SendAttempt.objects.values_list("outcome", flat=True)) == ["transient"]


def test_a_network_that_dedupes_is_sent_the_same_key_again(workspace, members):
    sent = _queued(workspace, members, "deduping")
    CarelessNetwork.fault = RuntimeError("after the answer")
    replies.send_reply(sent.pk)
    CarelessNetwork.fault = None
    replies.send_reply(sent.pk)
    sent.refresh_from_db()
    assert sent.delivery == Delivery.SENT and sent.remote_id == "r-1"
    assert len(CarelessNetwork.taken) == 1


def test_two_workers_never_both_send(workspace, members):
    sent = _queued(workspace, members, "careless")
    # A second worker runs the same task while the first waits for the network.
    CarelessNetwork.during_send = lambda: replies.send_reply(sent.pk)
    replies.send_reply(sent.pk)
    assert len(CarelessNetwork.taken) == 1
    assert Message.objects.get(pk=sent.pk).delivery == Delivery.SENT


def test_a_dead_workers_try_is_not_repeated_blind(workspace, members):
    sent = _queued(workspace, members, "careless")
    # The worker died inside the network call: its attempt still runs, its claim ran out.
    SendAttempt.objects.create(message=sent, action="reply", key=sent.send_key)
    Message.objects.filter(pk=sent.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    replies.send_reply(sent.pk)
    sent.refresh_from_db()
    assert CarelessNetwork.taken == []
    assert sent.delivery == Delivery.FAILED
    assert SendAttempt.objects.get().outcome == "unknown"


def test_a_live_claim_keeps_other_workers_out(workspace, members):
    sent = _queued(workspace, members, "careless")
    Message.objects.filter(pk=sent.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    replies.send_reply(sent.pk)
    assert CarelessNetwork.taken == []


def test_the_reply_carries_its_language(workspace, members):
    sent = _queued(workspace, members, "careless", text="हाँ, हम रात आठ बजे तक पहुँचाते हैं।")
    replies.send_reply(sent.pk)
    assert CarelessNetwork.taken[0][2] == "hi"
    assert Message.objects.get(pk=sent.pk).language == "hi"


def test_a_reply_whose_worker_died_is_resumed_and_reconciled(workspace, members):
    sent = _queued(workspace, members, "deduping")
    # The worker died after the network took the reply: the attempt runs, the claim ran out.
    DedupingNetwork(None).take(replies.OutgoingPost(text=sent.text), sent.send_key)
    SendAttempt.objects.create(message=sent, action="reply", key=sent.send_key)
    Message.objects.filter(pk=sent.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    replies.resume_stalled_replies.call_local()
    sent.refresh_from_db()
    assert sent.delivery == Delivery.SENT and sent.remote_id == "r-1"
    assert len(CarelessNetwork.taken) == 1
    assert list(SendAttempt.objects.values_list("outcome", flat=True)) == ["unknown", "sent"]


@pytest.mark.parametrize("state", [ChannelState.PAUSED, ChannelState.NEEDS_RECONNECT])
def test_a_channel_that_cannot_answer_refuses_the_reply_and_keeps_the_text(
    workspace, members, client, state
):
    first = _queued(workspace, members, "careless")
    Channel.objects.filter(pk=first.channel_id).update(state=state)
    with pytest.raises(ValidationError):
        replies.reply(members["agent"], Actor(), first.conversation_id, "Later maybe")
    client.force_login(members["agent"].user)
    page = client.post(
        f"/w/{workspace.slug}/inbox/{first.conversation_id}/reply/",
        {"text": "Our answer, kept"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Our answer, kept" in page and "Your text is kept." in page
    assert not Message.objects.filter(text="Our answer, kept").exists()


@pytest.mark.django_db(transaction=True)
def test_the_toast_says_what_happened_to_the_reply(workspace, members, client):
    first = _queued(workspace, members, "careless")
    client.force_login(members["agent"].user)
    CarelessNetwork.fault = None
    # The test settings run the send at once (Huey immediate): the reply is sent by the time
    # the page comes back, and the toast says so rather than "queued".
    answer = client.post(
        f"/w/{workspace.slug}/inbox/{first.conversation_id}/reply/",
        {"text": "Sent at once"},
        follow=True,
    ).content.decode()
    sent = Message.objects.get(text="Sent at once")
    assert sent.delivery == Delivery.SENT
    assert "Reply sent." in answer and "Reply queued" not in answer
