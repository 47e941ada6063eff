"""A connector's notice (Page.notice) is shown on a working channel, not as an error: X's
"direct messages need a higher access level" leaves the channel active."""

from __future__ import annotations

import pytest

from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import Cursor, InboxReader, Page
from kalrav.inbox.intake.polling import poll_channel

pytestmark = pytest.mark.django_db
NOTICE = "Direct messages need a higher X access level; mentions and replies still arrive."


class Noticing:
    slug = "noticing"

    def __init__(self, context) -> None:
        self.context = context

    def fetch_inbox(self, since: Cursor | None) -> Page:
        return Page((), Cursor("c1"), notice=NOTICE)

    def reply(self, to, post, *, idempotency_key):  # pragma: no cover - not used here
        raise NotImplementedError


def test_a_notice_is_the_channels_detail_and_the_channel_stays_active(workspace) -> None:
    assert isinstance(Noticing(None), InboxReader)
    known = registry.registered()
    registry.reset({**known, "noticing": f"{__name__}.Noticing"})
    try:
        channel = Channel.objects.create(
            workspace=workspace, network="noticing", name="N", state=ChannelState.ACTIVE
        )
        poll_channel(channel.pk)
        poll_channel(channel.pk)  # again: the same notice, still no error
    finally:
        registry.reset(known)
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE and channel.state_detail == NOTICE
    assert channel.last_error == "" and channel.last_error_at is None
    services.record_success(channel.pk)
    channel.refresh_from_db()
    assert channel.state_detail == ""
