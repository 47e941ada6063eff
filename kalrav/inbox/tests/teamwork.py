"""Fixtures shared by the tests of working together on the inbox (presence, bulk actions,
mentions, saved views, problems, corrections): a channel on the fake network with a few
conversations in it."""

from __future__ import annotations

import pytest

from conftest import make_user
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import ItemKind
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation
from kalrav.inbox.tests.fakes import FakeInboxConnector, item
from kalrav.workspaces.models import Member


@pytest.fixture(name="fake_network")
def fake_network_fixture():
    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": "kalrav.inbox.tests.fakes.FakeInboxConnector"}
    )
    FakeInboxConnector.pages, FakeInboxConnector.seen_cursors, FakeInboxConnector.replies = (
        [],
        [],
        [],
    )
    FakeInboxConnector.fail_with = None
    yield FakeInboxConnector
    registry.reset()


@pytest.fixture(name="brand")
def brand_fixture(workspace, fake_network) -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="fakeinbox", name="Brand", state=ChannelState.ACTIVE
    )


def conversation(channel: Channel, remote_id: str, text: str, author: str = "asha") -> Conversation:
    ingest(channel, [item(remote_id, text, author=author, kind=ItemKind.MENTION)], via="poll")
    return Conversation.objects.get(channel=channel, root_remote_id=remote_id)


def make_member(workspace, email: str, role: str) -> Member:
    return Member.objects.create(workspace=workspace, user=make_user(email), role=role)
