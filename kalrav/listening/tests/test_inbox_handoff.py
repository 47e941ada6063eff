"""A mention sent to the inbox becomes inbox work; one found on the web can never be answered
through a channel (it only holds it), while a network's own post keeps the normal reply path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Conversation, ConversationState, Delivery, Direction, Message
from kalrav.inbox.tests.test_reply_sending import CarelessNetwork, networks  # noqa: F401
from kalrav.inbox.work import conversations, replies
from kalrav.listening import services
from kalrav.listening.models import Mention
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


def _mention(workspace, *, network: str, remote_id: str = "", n: int = 1) -> Mention:
    return Mention.objects.create(
        workspace=workspace,
        network=network,
        remote_id=remote_id,
        url=f"https://news.example/story-{n}",
        url_key=f"key{n}",
        text_key=f"text{n}",
        author_name="A. Reporter",
        title="Acme Tea recalls a batch",
        text="Customers say the tea tasted awful and the delivery was late.",
        language="en",
        sentiment="negative",
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def channel(workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="careless", name="Brand", state=ChannelState.ACTIVE
    )


def test_a_web_mention_cannot_be_answered_through_any_channel(workspace, members, channel):
    mention = _mention(workspace, network="web")
    conversation = services.send_to_inbox(mention)
    assert conversation.answer_on_source is True
    assert conversation.kind == "mention" and conversation.sentiment == "negative"
    with pytest.raises(ValidationError) as refused:
        replies.reply(members["agent"], Actor(), conversation.pk, "Sorry to hear that!")
    assert "answer it on the source site" in " ".join(refused.value.messages)
    with translation.override("el"), pytest.raises(ValidationError) as in_greek:
        replies.reply(members["agent"], Actor(), conversation.pk, "Sorry!")
    assert "source site" not in " ".join(in_greek.value.messages)
    assert not Message.objects.filter(direction=Direction.OUT).exists()
    # A reply that got queued anyway (an old task, a bug elsewhere) fails without a send.
    queued = Message.objects.create(
        conversation=conversation,
        channel=channel,
        kind="reply",
        direction=Direction.OUT,
        delivery=Delivery.SENDING,
        text="Sorry!",
        parent_remote_id=conversation.root_remote_id,
        created_at=timezone.now(),
        via="kalrav",
        send_key="kalrav-reply-test",
    )
    replies.send_reply(queued.pk)
    queued.refresh_from_db()
    assert queued.delivery == Delivery.FAILED and "source site" in queued.error
    assert replies.queue_automatic_reply(conversation, "We are closed.") is None
    assert CarelessNetwork.taken == []


def test_a_network_mention_keeps_the_normal_reply_path(workspace, members, channel):
    mention = _mention(workspace, network="careless", remote_id="post-7")
    conversation = services.send_to_inbox(mention)
    assert conversation.answer_on_source is False
    sent = replies.reply(members["agent"], Actor(), conversation.pk, "Thanks for telling us.")
    replies.send_reply(sent.pk)
    sent.refresh_from_db()
    assert sent.delivery == Delivery.SENT
    assert [text for text, _key, _language in CarelessNetwork.taken] == ["Thanks for telling us."]


def test_a_network_mention_without_its_channel_is_answered_on_the_source(
    workspace, members, channel
):
    conversation = services.send_to_inbox(_mention(workspace, network="mastodon", remote_id="9"))
    assert conversation.channel == channel and conversation.answer_on_source is True


def test_sent_twice_stays_one_conversation(workspace, channel):
    mention = _mention(workspace, network="web")
    first = services.send_to_inbox(mention)
    Mention.objects.filter(pk=mention.pk).update(conversation=None)
    again = services.send_to_inbox(Mention.objects.get(pk=mention.pk))
    assert first.pk == again.pk
    assert Conversation.objects.count() == 1 and Message.objects.count() == 1


def test_marking_answered_on_the_source_resolves_and_counts(
    workspace, members, channel, member_client
):
    conversation = services.send_to_inbox(_mention(workspace, network="web"))
    client = member_client("agent")
    page = client.get(
        reverse(
            "inbox:conversation", kwargs={"ws": workspace.slug, "conversation_id": conversation.pk}
        )
    ).content.decode()
    reply_url = reverse(
        "inbox:reply", kwargs={"ws": workspace.slug, "conversation_id": conversation.pk}
    )
    assert "https://news.example/story-1" in page and reply_url not in page
    listed = client.get(reverse("inbox:list", kwargs={"ws": workspace.slug})).content.decode()
    assert "Found by listening" in listed
    client.post(
        reverse("inbox:answered", kwargs={"ws": workspace.slug, "conversation_id": conversation.pk})
    )
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.RESOLVED
    assert conversation.first_response_at is not None and conversation.resolved_at is not None
    assert CarelessNetwork.taken == []


def test_a_network_conversation_is_not_marked_answered_elsewhere(workspace, members, channel):
    conversation = services.send_to_inbox(_mention(workspace, network="careless", remote_id="p"))
    with pytest.raises(ValidationError):
        conversations.mark_answered_on_source(members["agent"], Actor(), conversation.pk)


def test_a_long_source_address_reaches_the_inbox_whole(workspace, members, channel, member_client):
    url = "https://news.example/story?" + "&".join(f"p{i}=v" for i in range(200))
    url = url[:900]
    assert len(url) == 900
    mention = _mention(workspace, network="web")
    Mention.objects.filter(pk=mention.pk).update(url=url)
    conversation = services.send_to_inbox(Mention.objects.get(pk=mention.pk))
    assert Message.objects.get(conversation=conversation).url == url
    page = member_client("agent").get(
        reverse(
            "inbox:conversation", kwargs={"ws": workspace.slug, "conversation_id": conversation.pk}
        )
    )
    # The "Open the source" link carries the whole address (escaped "&" in the HTML).
    assert url.replace("&", "&amp;") in page.content.decode()
