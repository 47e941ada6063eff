"""Public streams as listening sources, run by `kalrav listen` beside the inbox streams.

A source of kind bluesky or mastodon follows its channel's public stream (the connector's
`PublicStreamer`: Bluesky's Jetstream or firehose, Mastodon's public or hashtag streams) for
the words of the workspace's active monitors. Items are handed to intake in batches (every
half second or 200 items), which matches them and checks the alert rules on arrival.

One process follows a source at a time: it holds a one-minute lease on the source
(`claimed_until`) and renews it with every batch and every 15 seconds; the lease's own value
is the token, so a process that lost it (it stalled, another took over) notices at its next
renewal and lets go. The stream's position is kept in `Source.cursor` only after the items
before it are stored, so a restart resumes where the stored items end: nothing is skipped,
and what is replayed twice intake recognises. A failure backs off as a fetched source does
(health.py: 30 s doubling to 6 hours) and counts a reconnect; search polling of the same
channel (sources/network.py) stays the backstop for networks that cannot replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import Connector, Cursor, PublicStreamer, opened
from kalrav.connectors.errors import ConnectorError
from kalrav.listening.intake import Collected, take
from kalrav.listening.models import Source, SourceErrorKind, SourceKind, SourceState
from kalrav.listening.query import batch

from . import health, network

log = logging.getLogger("kalrav.listening.streams")

STREAM_KINDS = (SourceKind.BLUESKY, SourceKind.MASTODON)
LEASE = timedelta(seconds=60)
HEARTBEAT_SECONDS = 15.0
FLUSH_SECONDS = 0.5
FLUSH_ITEMS = 200
TERMS_SECONDS = 2.0  # a monitor added or changed is listened for this soon
RESCAN_SECONDS = 30.0
_ENDED = object()


def stream_sources() -> set[int]:
    return set(
        Source.objects.filter(kind__in=STREAM_KINDS, channel__state=ChannelState.ACTIVE)
        .exclude(state=SourceState.PAUSED)
        .values_list("pk", flat=True)
    )


def take_lease(source_id: int) -> datetime | None:
    """Hold the source for this process when no one holds it and its backoff is over; the
    value returned is the lease, needed to renew it. One UPDATE: two processes cannot both win."""
    now = timezone.now()
    until = now + LEASE
    won = (
        Source.objects.filter(pk=source_id, next_fetch_at__lte=now)
        .exclude(state=SourceState.PAUSED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=until)
    )
    return until if won else None


def release(source_id: int, held: datetime) -> None:
    Source.objects.filter(pk=source_id, claimed_until=held).update(claimed_until=None)


def seconds_until_free(source_id: int) -> float:
    """How long before the source may be claimed: its backoff or another holder's lease."""
    row = Source.objects.filter(pk=source_id).values("next_fetch_at", "claimed_until").first()
    if row is None:
        return RESCAN_SECONDS
    now = timezone.now()
    free_at = max(row["next_fetch_at"], row["claimed_until"] or now)
    return min(max((free_at - now).total_seconds(), 1.0), RESCAN_SECONDS)


def keep(
    source_id: int, held: datetime, items: list[Collected], position: str | None
) -> datetime | None:
    """Store a batch, then keep the position after it and renew the lease; None when the lease
    was lost (paused, or taken by another process after this one stalled)."""
    source = Source.objects.select_related("workspace").get(pk=source_id)
    if items:
        take(source.workspace, source, items)
    now = timezone.now()
    cursor = dict(source.cursor or {})
    if position is not None and position != cursor.get("position"):
        cursor.update(position=position, kept_at=now.isoformat())
    if items:
        cursor["last_item_at"] = now.isoformat()
    until = now + LEASE
    won = (
        Source.objects.filter(pk=source_id, claimed_until=held)
        .exclude(state=SourceState.PAUSED)
        .update(
            cursor=cursor,
            claimed_until=until,
            state=SourceState.OK,
            failures=0,
            error_kind="",
            last_error="",
            last_fetched_at=now,
            next_fetch_at=now,
        )
    )
    return until if won else None


class CannotStream(ConnectorError):
    """The source cannot be streamed at all now; `kind` says why (health.kind_of)."""

    def __init__(self, kind: SourceErrorKind, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind


def count_reconnect(source_id: int, error: BaseException | None = None) -> None:
    """The stream ended or broke: one more reconnect; with an error, back off (health.py)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return
    source.cursor = {**(source.cursor or {}), "reconnects": reconnects(source) + 1}
    Source.objects.filter(pk=source_id).update(cursor=source.cursor)
    if error is not None:
        # A connector's message is safe to show; anything else only by its type's name.
        detail = str(error) if isinstance(error, ConnectorError) else type(error).__name__
        health.failed(source, health.kind_of(error), detail)


def reconnects(source: Source) -> int:
    value = (source.cursor or {}).get("reconnects", 0)
    return value if isinstance(value, int) else 0


def _open(source_id: int) -> tuple[Source, Connector, list[str]]:
    source = Source.objects.select_related("channel").get(pk=source_id)
    if source.channel is None or source.channel.state != ChannelState.ACTIVE:
        raise CannotStream(SourceErrorKind.CHANNEL_DOWN)
    terms = network.workspace_terms(source.workspace_id, stream=True)
    return source, channels.connector_for(source.channel), [term.lower() for term in terms]


def _terms(workspace_id: int) -> list[str]:
    return [term.lower() for term in network.workspace_terms(workspace_id, stream=True)]


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def follow(source_id: int, stop: asyncio.Event) -> None:
    """Follow one source's public stream until `stop`, claiming it first."""
    try:
        await _follow(source_id, stop)
    finally:
        await sync_to_async(_close_connection)()  # the one sync_to_async's thread used


def _close_connection() -> None:
    connection.close()


async def _follow(source_id: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        held = await sync_to_async(take_lease)(source_id)
        if held is None:
            await _pause(stop, await sync_to_async(seconds_until_free)(source_id))
            continue
        try:
            left = await _stream(source_id, held, stop)
        except Source.DoesNotExist:
            return
        except ConnectorError as error:
            await sync_to_async(count_reconnect)(source_id, error)
            continue
        except Exception as error:
            log.exception("listening stream of source %s broke", source_id)
            await sync_to_async(count_reconnect)(source_id, error)
            continue
        if left is not None:
            await sync_to_async(release)(source_id, left)
        if not stop.is_set() and left is not None:
            await sync_to_async(count_reconnect)(source_id)  # it ended by itself: open again


async def _stream(source_id: int, held: datetime, stop: asyncio.Event) -> datetime | None:
    """Run the stream while the lease holds; returns the lease to release (None: lost)."""
    source, connector, terms = await sync_to_async(_open)(source_id)
    loop = asyncio.get_running_loop()
    with opened(connector):
        if not isinstance(connector, PublicStreamer):
            raise CannotStream(SourceErrorKind.NO_STREAM, str(source.channel))
        idle_until = loop.time() + HEARTBEAT_SECONDS
        while not terms:  # no words to listen for: never let the whole network in
            if stop.is_set():
                return held
            await _pause(stop, TERMS_SECONDS)
            terms = await sync_to_async(_terms)(source.workspace_id)
            if loop.time() >= idle_until:  # keep the lease while waiting for words
                renewed = await sync_to_async(keep)(source_id, held, [], None)
                if renewed is None:
                    return None
                held, idle_until = renewed, loop.time() + HEARTBEAT_SECONDS
        kept = (source.cursor or {}).get("position")
        since = Cursor(kept) if isinstance(kept, str) and kept else None
        queue: asyncio.Queue[object] = asyncio.Queue(maxsize=FLUSH_ITEMS * 5)
        network_slug = source.channel.network if source.channel else source.kind

        async def produce() -> None:
            try:
                async for item in connector.public_stream(terms, since):
                    await queue.put((item, connector.public_resume_from()))
                await queue.put(_ENDED)
            except asyncio.CancelledError:
                raise
            except BaseException as error:  # handed to the consumer, which raises it
                await queue.put(error)

        producer = asyncio.create_task(produce(), name=f"listening-stream-{source_id}")
        batch: list[Collected] = []
        position: str | None = None
        flush_at: float | None = None
        heartbeat_at = loop.time() + HEARTBEAT_SECONDS
        terms_at = loop.time() + TERMS_SECONDS
        try:
            while True:
                wake = min(flush_at or heartbeat_at, heartbeat_at, terms_at)
                try:
                    got = await asyncio.wait_for(
                        queue.get(), timeout=min(max(wake - loop.time(), 0.0), 1.0)
                    )
                except TimeoutError:
                    got = None
                ended = got is _ENDED or stop.is_set()
                if isinstance(got, tuple):
                    item, resume = got
                    batch.append(network.collected(item, network_slug))
                    position = resume.value if isinstance(resume, Cursor) else position
                    flush_at = flush_at or loop.time() + FLUSH_SECONDS
                now = loop.time()
                due = batch and (len(batch) >= FLUSH_ITEMS or now >= (flush_at or now))
                if due or now >= heartbeat_at or ended or isinstance(got, BaseException):
                    renewed = await sync_to_async(keep)(source_id, held, batch, position)
                    batch, flush_at, heartbeat_at = [], None, loop.time() + HEARTBEAT_SECONDS
                    if renewed is None:
                        return None
                    held = renewed
                if isinstance(got, BaseException):
                    raise got
                if ended:
                    return held
                if now >= terms_at:
                    fresh = await sync_to_async(_terms)(source.workspace_id)
                    if not fresh:
                        return held  # every monitor paused: stop listening, wait for words
                    terms[:] = fresh  # the connector reads them in place
                    terms_at = loop.time() + TERMS_SECONDS
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)


async def run(stop: asyncio.Event, rescan: float = RESCAN_SECONDS) -> None:
    """Follow every stream source; the set is read again every `rescan` seconds, so a source
    added, paused or removed is picked up without a restart."""
    tasks: dict[int, asyncio.Task] = {}
    # Beside the first connections, not in the first batch: the batch matcher's tables.
    warming = asyncio.create_task(asyncio.to_thread(batch.prepare))
    while not stop.is_set():
        wanted = await sync_to_async(stream_sources)()
        for source_id in list(tasks):
            if source_id not in wanted or tasks[source_id].done():
                tasks.pop(source_id).cancel()
        for source_id in wanted - tasks.keys():
            tasks[source_id] = asyncio.create_task(
                follow(source_id, stop), name=f"listening-{source_id}"
            )
        await _pause(stop, rescan)
    await asyncio.gather(warming, *tasks.values(), return_exceptions=True)


# --- What the sources page shows and adds ------------------------------------------------------

KIND_OF_NETWORK = {"bluesky": SourceKind.BLUESKY, "mastodon": SourceKind.MASTODON}


@dataclass(frozen=True)
class StreamHealth:
    last_item_at: datetime | None
    kept_at: datetime | None  # when the resume position was last kept (its age)
    reconnects: int
    resumes: bool  # the network replays from a kept position


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def health_of(source: Source) -> StreamHealth:
    cursor = source.cursor or {}
    return StreamHealth(
        last_item_at=_moment(cursor.get("last_item_at")),
        kept_at=_moment(cursor.get("kept_at")),
        reconnects=reconnects(source),
        resumes=bool(cursor.get("position")),
    )


def streamable_channels(workspace_id: int) -> list[Channel]:
    """The workspace's channels with a public stream that listening does not follow yet."""
    followed = set(
        Source.objects.filter(workspace_id=workspace_id, kind__in=STREAM_KINDS).values_list(
            "channel_id", flat=True
        )
    )
    found = []
    for channel in Channel.objects.filter(
        workspace_id=workspace_id, network__in=KIND_OF_NETWORK
    ).exclude(pk__in=followed):
        try:
            streams_public = channels.network_info(channel.network).can(PublicStreamer)
        except ValidationError:
            continue
        if streams_public:
            found.append(channel)
    return found


def add_stream_source(workspace_id: int, channel: Channel) -> Source:
    source, _created = Source.objects.get_or_create(
        workspace_id=workspace_id,
        kind=KIND_OF_NETWORK[channel.network],
        channel=channel,
        defaults={"title": str(channel)},
    )
    return source
