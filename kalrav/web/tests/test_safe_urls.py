"""Addresses from a network become links only when they are http(s) (finding 5 of issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import Author, IncomingItem, ItemKind, PublishedRef
from kalrav.inbox.models import Conversation, Message
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.safe_urls import web_url

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "http:///no-host",
]


@pytest.mark.parametrize("address", HOSTILE)
def test_only_web_addresses_pass(address):
    assert web_url(address) == ""


def test_web_addresses_are_kept():
    assert web_url("https://bsky.app/profile/a/post/1") == "https://bsky.app/profile/a/post/1"
    assert web_url("HTTP://example.test/x") == "HTTP://example.test/x"


def test_what_a_connector_returns_is_cleaned_on_arrival():
    author = Author("did:x", url="javascript:alert(1)", avatar_url="data:image/svg+xml,<svg/>")
    assert (author.url, author.avatar_url) == ("", "")
    item = IncomingItem(
        ItemKind.COMMENT, "1", author, "hi", datetime(2026, 1, 1, tzinfo=UTC), url="data:,x"
    )
    assert item.url == ""
    assert PublishedRef("at://x", url="javascript:alert(1)").url == ""
    assert PublishedRef("at://x", url="https://bsky.app/p/1").url == "https://bsky.app/p/1"


def test_pages_do_not_link_a_stored_hostile_address(workspace, member_client):
    """Rows stored before the check (or by a path that skipped it) are still not linked."""
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE
    )
    conversation = Conversation.objects.create(
        workspace=workspace,
        channel=channel,
        kind="comment",
        author_url="javascript:alert(3)",
    )
    Message.objects.create(
        conversation=conversation,
        channel=channel,
        kind="comment",
        text="hello",
        url="javascript:alert(1)",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    post = Post.objects.create(workspace=workspace, text="Hello")
    Variant.objects.create(
        post=post,
        channel=channel,
        text="Hello",
        state=VariantState.PUBLISHED,
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        remote_id="at://x",
        remote_url="data:text/html,<script>alert(2)</script>",
    )
    client = member_client("owner")
    for path in (
        f"/w/{workspace.slug}/inbox/{conversation.pk}/",
        f"/w/{workspace.slug}/posts/{post.pk}/",
    ):
        page = client.get(path)
        assert page.status_code == 200
        text = page.content.decode().lower()
        assert "javascript:" not in text and "data:text/html" not in text, path
