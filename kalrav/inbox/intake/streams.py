"""New items by stream, for channels whose network has one: run by `kalrav listen`.

One task per streaming channel; the set of channels is read again every half minute, so a
channel connected, paused or removed is picked up without a restart. A broken stream is retried
with backoff and its error shown on the channel; polling stays the backstop either way.

A stream the network can replay (ResumableStreamer) resumes from the position kept after the
last item stored, so what was said during a gap (an outage, a restart) arrives by the stream.
The position is kept only after the item is stored: a crash in between replays the item, which
ingest recognises, instead of skipping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from django.db import connection

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import (
    Connector,
    Cursor,
    IncomingItem,
    ResumableStreamer,
    Streamer,
    opened,
)
from kalrav.connectors.errors import ConnectorError, RateLimited
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import InboxCursor

log = logging.getLogger("kalrav.inbox.intake.streams")
RESCAN_SECONDS = 30.0
MAX_BACKOFF = 300.0


def _streaming_channels() -> set[int]:
    active = Channel.objects.filter(state=ChannelState.ACTIVE)
    return {c.pk for c in active if channels.network_info(c.network).can(Streamer)}


def _connector(channel_id: int) -> tuple[Channel, Connector]:
    channel = Channel.objects.get(pk=channel_id)
    return channel, channels.connector_for(channel)


def _kept_position(channel_id: int) -> Cursor | None:
    kept = InboxCursor.objects.filter(channel_id=channel_id).values_list(
        "stream_position", flat=True
    )
    position = kept.first()
    return Cursor(position) if position else None


def _store(channel: Channel, item: IncomingItem, position: Cursor | None) -> None:
    """Store the item, then keep where the stream resumes after it. One call, so that a stream
    cancelled meanwhile (its channel paused or failing) cannot store the one without the other:
    sync_to_async's thread finishes what it started."""
    ingest(channel, [item], via="stream")
    if position is not None:
        InboxCursor.objects.update_or_create(
            channel_id=channel.pk, defaults={"stream_position": position.value}
        )


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def follow(channel_id: int, stop: asyncio.Event) -> None:
    """Keep one channel's stream open until `stop`, storing each item as it arrives."""
    try:
        await _follow(channel_id, stop)
    finally:
        # The database connection lives in the thread sync_to_async used; give it back.
        await sync_to_async(_close_connection)()


def _close_connection() -> None:
    # `connection` is looked up in the thread that runs this, the one whose connection it is;
    # `sync_to_async(connection.close)` would bind the caller's (the event loop thread's).
    connection.close()


async def _follow(channel_id: int, stop: asyncio.Event) -> None:
    backoff = 1.0
    while not stop.is_set():
        try:
            channel, connector = await sync_to_async(_connector)(channel_id)
            with opened(connector):
                if not isinstance(connector, Streamer):
                    return  # its network no longer streams
                since = None
                if isinstance(connector, ResumableStreamer):
                    since = await sync_to_async(_kept_position)(channel_id)
                async for item in connector.stream(since):
                    position = (
                        connector.resume_from()
                        if isinstance(connector, ResumableStreamer)
                        else None
                    )
                    await sync_to_async(_store)(channel, item, position)
                    backoff = 1.0
                    if stop.is_set():
                        return
        except Channel.DoesNotExist:
            return
        except RateLimited as error:
            await sync_to_async(channels.record_failure)(channel_id, error)
            backoff = max(backoff, error.retry_after or 60.0)
        except ConnectorError as error:
            await sync_to_async(channels.record_failure)(channel_id, error)
        except Exception:
            log.exception("stream of channel %s broke", channel_id)
        await _pause(stop, backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)


async def run(stop: asyncio.Event) -> None:
    tasks: dict[int, asyncio.Task] = {}
    while not stop.is_set():
        wanted = await sync_to_async(_streaming_channels)()
        for channel_id in list(tasks):
            if channel_id not in wanted or tasks[channel_id].done():
                tasks.pop(channel_id).cancel()
        for channel_id in wanted - tasks.keys():
            tasks[channel_id] = asyncio.create_task(
                follow(channel_id, stop), name=f"stream-{channel_id}"
            )
        await _pause(stop, RESCAN_SECONDS)
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)
