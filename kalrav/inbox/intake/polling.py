"""Polling: the backstop behind streams and pushes, asking each channel for what is new
since its saved cursor."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from kalrav.channels import services as channels
from kalrav.channels.models import Channel
from kalrav.connectors.base import Cursor, InboxReader, opened
from kalrav.connectors.errors import ConnectorError
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import (
    InboxCursor,
)


def poll_channel(channel_id: int) -> int:
    """Fetch what is new on a channel since the saved cursor; returns how many messages are new."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or not channel.can_work:
        return 0
    with opened(channels.connector_for(channel)) as connector:
        if not isinstance(connector, InboxReader):
            return 0
        cursor, _created = InboxCursor.objects.get_or_create(channel=channel)
        try:
            page = connector.fetch_inbox(Cursor(cursor.value) if cursor.value else None)
        except ConnectorError as error:
            channels.record_failure(channel.pk, error)
            return 0
    new = ingest(channel, page.items, via="poll")
    InboxCursor.objects.filter(pk=cursor.pk).update(
        value=page.cursor.value if page.cursor else cursor.value, polled_at=timezone.now()
    )
    channels.record_success(channel.pk, notice=page.notice)
    return len(new)


@db_task()
def poll_channel_task(channel_id: int) -> int:
    return poll_channel(channel_id)
