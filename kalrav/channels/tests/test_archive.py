"""Removing a channel never erases what it published or what its audience said."""

from __future__ import annotations

from django.utils import timezone

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Conversation
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
