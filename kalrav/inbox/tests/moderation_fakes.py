"""Networks that like, hide and delete as a test tells them, recording what they were asked."""

from __future__ import annotations

import pytest

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import ItemKind, ItemRef, Moderation, Moderator, ReplyHider
from kalrav.connectors.errors import ConnectorError
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Message
from kalrav.inbox.tests.fakes import item

HERE = "kalrav.inbox.tests.moderation_fakes"


class FakeModerator:
    """Likes and deletes anything but what the test forbids; hides nothing."""

    slug = "fakemod"
    label = "Fakebook"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (Moderator,)
    settings_fields = ()
    calls: list[tuple[str, ItemRef, str]] = []
    fail_with: ConnectorError | None = None
    allowed = frozenset({Moderation.LIKE, Moderation.UNLIKE, Moderation.DELETE})

    def __init__(self, context):
        self.context = context

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        return self.allowed

    def _call(self, name: str, item: ItemRef, key: str) -> None:
        FakeModerator.calls.append((name, item, key))
        if FakeModerator.fail_with is not None:
            raise FakeModerator.fail_with

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        self._call("like", item, idempotency_key)
        return f"like-of-{item.remote_id}"

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._call("unlike", item, idempotency_key)

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._call("delete_item", item, idempotency_key)


class FakeHider(FakeModerator):
    slug = "fakehide"
    capabilities = (Moderator, ReplyHider)
    allowed = frozenset(Moderation)

    def hide(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._call("hide", item, idempotency_key)

    def unhide(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._call("unhide", item, idempotency_key)


class FakeBoaster(FakeModerator):
    """Says it hides, but is no ReplyHider."""

    slug = "fakeboast"
    allowed = frozenset(Moderation)


@pytest.fixture(name="network")
def network_fixture():
    registry.reset(
        {
            **registry.CONNECTORS,
            "fakemod": f"{HERE}.FakeModerator",
            "fakehide": f"{HERE}.FakeHider",
            "fakeboast": f"{HERE}.FakeBoaster",
        }
    )
    FakeModerator.calls, FakeModerator.fail_with = [], None
    yield FakeModerator
    registry.reset()


def thread_on(workspace, network_slug: str) -> tuple[Conversation, Message]:
    """The brand's post on a channel of the fake network and a fan's angry reply to it."""
    channel = Channel.objects.create(
        workspace=workspace,
        network=network_slug,
        name="Brand",
        state=ChannelState.ACTIVE,
        remote_id="did:brand",
    )
    ingest(
        channel,
        [
            item("post-1", "New masala chai is here", kind=ItemKind.COMMENT, author="brand"),
            item("r-1", "Your delivery is a scam", root="post-1", parent="post-1"),
        ],
        via="poll",
    )
    conversation = Conversation.objects.get(channel=channel)
    return conversation, conversation.messages.get(remote_id="r-1")
