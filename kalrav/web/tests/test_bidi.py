"""Text from a network or a user is isolated, so a right-to-left override cannot reorder the page
around it (finding 12 of issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Conversation, Message, SavedView, Team
from kalrav.publishing.models import Post, Variant

RLO = "\u202e"
NAME = f"Asha {RLO}gpj.exe"


def test_an_author_name_with_an_override_is_isolated_everywhere_it_shows(
    workspace, member_client, members
):
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name=f"Brand{RLO}x",
        handle=f"@brand{RLO}",
        state=ChannelState.ACTIVE,
    )
    conversation = Conversation.objects.create(
        workspace=workspace,
        channel=channel,
        kind="comment",
        author_name=NAME,
        author_handle=f"@asha{RLO}",
        excerpt=f"Hi {RLO}olleh",
    )
    Message.objects.create(
        conversation=conversation,
        channel=channel,
        kind="comment",
        author_name=NAME,
        text=f"Hi {RLO}olleh",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    Team.objects.create(workspace=workspace, name=f"Billing{RLO}")
    SavedView.objects.create(
        workspace=workspace, owner=members["owner"].user, name=f"Mine{RLO}", filters={}
    )
    post = Post.objects.create(workspace=workspace, text="Hello", title=f"Launch{RLO}")
    Variant.objects.create(post=post, channel=channel, text="Hello")
    client = member_client("owner")
    slug = workspace.slug

    listing = client.get(f"/w/{slug}/inbox/").content.decode()
    assert f"<bdi>{NAME}</bdi>" in listing
    assert f"<bdi>@asha{RLO}</bdi>" in listing
    assert f'dir="auto">Hi {RLO}olleh' in listing
    assert f"<bdi>Mine{RLO}</bdi>" in listing
    assert f"<bdi>Brand{RLO}x</bdi>" in listing

    page = client.get(f"/w/{slug}/inbox/{conversation.pk}/").content.decode()
    assert f"<bdi>{NAME}</bdi>" in page, "the message's author"
    assert f'<h1 dir="auto">{NAME}</h1>' in page
    assert f'<p class="pre" dir="auto">Hi {RLO}olleh</p>' in page
    # No piece of it is left bare outside an isolate, except in the page <title>.
    body = page.split("</title>", 1)[1]
    for piece in (NAME, f"@asha{RLO}", f"Brand{RLO}x"):
        bare = body.replace(f"<bdi>{piece}</bdi>", "").replace(f'dir="auto">{piece}<', "")
        assert piece not in bare.replace(f'dir="auto">{NAME}</h1>', ""), piece

    routing = client.get(f"/w/{slug}/inbox/routing/").content.decode()
    assert f"<bdi>Billing{RLO}</bdi>" in routing
    post_page = client.get(f"/w/{slug}/posts/{post.pk}/").content.decode()
    assert f"<bdi>Brand{RLO}x</bdi>" in post_page
