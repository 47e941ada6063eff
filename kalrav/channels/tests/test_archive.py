"""Removing a channel never erases what it published or what its audience said."""

from __future__ import annotations

from django.utils import timezone

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Conversation, Message
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.workspaces.audit import Actor


def _channel(workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Brand",
        credentials=sealed.seal({"app_password": "secret"}),
        state=ChannelState.ACTIVE,
    )


def test_a_channel_with_published_posts_is_archived_and_its_drafts_go(workspace, members):
    channel = _channel(workspace)
    post = Post.objects.create(workspace=workspace, text="Hello")
    published = Variant.objects.create(
        post=post,
        channel=channel,
        text="Hello",
        state=VariantState.PUBLISHED,
        published_at=timezone.now(),
        remote_id="at://x",
    )
    draft = Variant.objects.create(
        post=Post.objects.create(workspace=workspace, text="Later"), channel=channel, text="Later"
    )
    owner = members["owner"]
    services.remove_channel(owner, Actor(user=owner.user), channel.pk)

    assert not Channel.objects.filter(pk=channel.pk).exists(), "gone from every list"
    archived = Channel.everything.get(pk=channel.pk)
    assert archived.archived_at is not None and archived.credentials == ""
    published.refresh_from_db()
    assert published.channel.name == "Brand", "the published post still names its channel"
    assert not Variant.objects.filter(pk=draft.pk).exists()


def test_a_channel_with_conversations_is_archived(workspace, members):
    channel = _channel(workspace)
    Conversation.objects.create(workspace=workspace, channel=channel, kind="comment")
    owner = members["owner"]
    services.remove_channel(owner, Actor(user=owner.user), channel.pk)
    assert Conversation.objects.get().channel.archived_at is not None


def test_a_channel_without_history_is_deleted(workspace, members):
    channel = _channel(workspace)
    owner = members["owner"]
    services.remove_channel(owner, Actor(user=owner.user), channel.pk)
    assert not Channel.everything.filter(pk=channel.pk).exists()


def test_history_pages_still_show_a_removed_channel(workspace, members, member_client):
    """The response-time report (page, CSV, API), the conversation and the calendar and post
    pages keep working, and keep naming the channel, after it is removed."""
    channel = _channel(workspace)
    channel.name = "Old Brand Account"
    channel.save()
    received = timezone.now() - timezone.timedelta(days=1)
    conversation = Conversation.objects.create(
        workspace=workspace, channel=channel, kind="comment", received_at=received
    )
    Message.objects.create(
        conversation=conversation,
        channel=channel,
        kind="comment",
        text="Where is my tea?",
        created_at=received,
    )
    post = Post.objects.create(workspace=workspace, text="Hello")
    Variant.objects.create(
        post=post,
        channel=channel,
        text="Hello",
        state=VariantState.PUBLISHED,
        scheduled_at=received,
        published_at=received,
        remote_id="at://x",
    )
    owner = members["owner"]
    services.remove_channel(owner, Actor(user=owner.user), channel.pk)
    client = member_client("owner")
    slug = workspace.slug
    day = received.date().isoformat()

    for path, name in [
        (f"/w/{slug}/inbox/report/", "Bluesky"),
        (f"/w/{slug}/inbox/report.csv", "Bluesky"),
        (f"/api/v1/workspaces/{slug}/sla-report", "bluesky"),
        (f"/w/{slug}/inbox/{conversation.pk}/", "Old Brand Account"),
        (f"/w/{slug}/calendar/?view=list&date={day}", "Old Brand Account"),
        (f"/w/{slug}/posts/{post.pk}/", "Old Brand Account"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert name in response.content.decode(), path
