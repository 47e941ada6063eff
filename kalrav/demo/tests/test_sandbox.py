"""The demo works end to end on its sandbox channel: signing in lands on the workspace with the
data, answering a conversation sends through the sandbox network, publishing goes out there, and
the best time to post has the history it needs."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from kalrav.accounts.models import User
from kalrav.channels.models import Channel, ChannelState
from kalrav.demo import seed
from kalrav.demo.workspaces import DEMO_EMAIL, DEMO_PASSWORD
from kalrav.inbox.intake.polling import poll_channel
from kalrav.inbox.models import Conversation, Delivery, Message
from kalrav.inbox.work import replies
from kalrav.publishing import scheduling
from kalrav.publishing.delivery.publisher import publish_variant
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.queues import best_time
from kalrav.sandbox.models import SandboxPost
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed.load()
    return Workspace.objects.get(slug="shanti-tea")


def _sandbox(tea) -> Channel:
    return Channel.objects.get(workspace=tea, network="sandbox")


def test_signing_in_to_the_demo_lands_where_the_data_is(client, tea):
    answer = client.post(
        "/accounts/signin/", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, follow=True
    )
    landed = answer.redirect_chain[-1][0]
    assert landed.startswith("/w/shanti-tea/"), answer.redirect_chain
    assert "Shanti Tea House" in answer.content.decode()


def test_the_demo_has_an_active_sandbox_channel_that_holds_the_inbox(tea):
    sandbox = _sandbox(tea)
    assert sandbox.state == ChannelState.ACTIVE
    assert Conversation.objects.get(workspace=tea, root_remote_id="demo-b3").channel == sandbox


def test_a_reply_in_the_demo_is_sent_via_the_sandbox(tea, django_capture_on_commit_callbacks):
    owner = Member.objects.get(workspace=tea, user__email=DEMO_EMAIL)
    conversation = Conversation.objects.get(workspace=tea, root_remote_id="demo-b3")
    with django_capture_on_commit_callbacks(execute=True):
        sent = replies.reply(owner, Actor(user=owner.user), conversation.pk, "Checking it now!")
    sent.refresh_from_db()
    assert sent.delivery == Delivery.SENT, sent.error
    on_network = SandboxPost.objects.get(remote_id=sent.remote_id)
    assert on_network.text == "Checking it now!"
    assert on_network.parent_remote_id == Message.objects.get(pk=sent.pk).parent_remote_id


def test_a_post_publishes_to_the_sandbox_and_its_audience_answers(tea):
    sandbox = _sandbox(tea)
    owner = Member.objects.get(workspace=tea, user__email=DEMO_EMAIL)
    variant = Variant.objects.filter(channel=sandbox, state=VariantState.SCHEDULED).first()
    assert variant is not None, "the demo schedules posts on the sandbox channel"
    scheduling.schedule_variant(
        owner, Actor(user=owner.user), variant.pk, timezone.now() + timedelta(seconds=1)
    )
    Variant.objects.filter(pk=variant.pk).update(scheduled_at=timezone.now())
    assert publish_variant(variant.pk) == VariantState.PUBLISHED
    variant.refresh_from_db()
    assert SandboxPost.objects.filter(remote_id=variant.remote_id).exists()
    # Its first reply is due a minute after it went out; the poll brings it to the inbox.
    SandboxPost.objects.filter(remote_id=variant.remote_id).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    assert poll_channel(sandbox.pk) >= 1
    assert Message.objects.filter(channel=sandbox, parent_remote_id=variant.remote_id).exists()


def test_best_time_has_enough_history_on_the_sandbox_channel(tea):
    found = best_time.compute(_sandbox(tea).pk, zoneinfo.ZoneInfo(tea.time_zone))
    assert found.enough, found.message


def test_running_the_demo_again_adds_nothing_to_the_sandbox(tea):
    counts = (SandboxPost.objects.count(), Message.objects.count(), Channel.objects.count())
    seed.load()
    assert (SandboxPost.objects.count(), Message.objects.count(), Channel.objects.count()) == counts


def test_an_older_demo_moves_its_inbox_to_the_sandbox(tea):
    """A demo loaded before the sandbox kept its conversations on a paused Bluesky channel."""
    sandbox = _sandbox(tea)
    old = Channel.objects.get(workspace=tea, network="bluesky")
    Conversation.objects.filter(channel=sandbox).update(channel=old)
    Message.objects.filter(channel=sandbox).update(channel=old)
    seed.load()
    assert not Conversation.objects.filter(channel=old).exists()
    assert Conversation.objects.get(workspace=tea, root_remote_id="demo-b3").channel == sandbox
    assert User.objects.filter(email=DEMO_EMAIL).count() == 1
