"""A stream picks up where it stopped: what was said during a gap arrives by the stream."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator

import pytest

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import Cursor, IncomingItem, ResumableStreamer, Streamer
from kalrav.connectors.errors import Transient
from kalrav.inbox.intake import streams
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import InboxCursor, Message
from kalrav.inbox.tests.fakes import item

pytestmark = pytest.mark.django_db(transaction=True)


class ReplayingNetwork:
    """A network whose stream replays from a sequence number, as a firehose does: `log` is
    everything said, in order; without a position the stream starts at the present. After what
    it has, the connection drops (Transient), as a server going away does."""

    slug = "replaying"
    label = "Replaying"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (Streamer, ResumableStreamer)
    settings_fields = ()
    log: list[IncomingItem] = []
    asked: list[Cursor | None] = []
    stop: asyncio.Event | None = None

    def __init__(self, context):
        self.context = context
        self.position: Cursor | None = None

    async def stream(self, since: Cursor | None) -> AsyncIterator[IncomingItem]:
        ReplayingNetwork.asked.append(since)
        start = int(since.value) if since else len(self.log)
        for seq in range(start, len(self.log)):
            self.position = Cursor(str(seq + 1))
            yield self.log[seq]
        assert ReplayingNetwork.stop is not None
        ReplayingNetwork.stop.set()  # the test has seen what it needs; let follow() return
        raise Transient("the server closed the connection")

    def resume_from(self) -> Cursor | None:
        return self.position


@pytest.fixture
def network():
    registry.reset({**registry.CONNECTORS, "replaying": f"{__name__}.ReplayingNetwork"})
    ReplayingNetwork.log, ReplayingNetwork.asked = [], []
    yield ReplayingNetwork
    registry.reset()


def _follow(channel: Channel) -> None:
    async def run() -> None:
        ReplayingNetwork.stop = asyncio.Event()
        await streams.follow(channel.pk, ReplayingNetwork.stop)

    asyncio.run(run())


def test_the_stream_resumes_from_the_kept_position(workspace, network):
    channel = Channel.objects.create(
        workspace=workspace, network="replaying", name="Brand", state=ChannelState.ACTIVE
    )
    network.log = [item("a1", "first"), item("a2", "second")]
    InboxCursor.objects.create(channel=channel, value="poll-token", stream_position="2")
    # Said while the stream was down, after the position kept for the last item stored.
    network.log += [item("a3", "during the outage"), item("a4", "still down")]

    _follow(channel)

    assert network.asked[0] == Cursor("2")
    stored = Message.objects.filter(channel=channel, via="stream")
    assert sorted(stored.values_list("text", flat=True)) == ["during the outage", "still down"]
    kept = InboxCursor.objects.get(channel=channel)
    assert (kept.stream_position, kept.value) == ("4", "poll-token")  # polling's own is untouched


def test_a_first_stream_keeps_its_position_for_next_time(workspace, network):
    channel = Channel.objects.create(
        workspace=workspace, network="replaying", name="Brand", state=ChannelState.ACTIVE
    )
    network.log = [item("b1", "old")]
    InboxCursor.objects.create(channel=channel, stream_position="0")
    _follow(channel)
    assert InboxCursor.objects.get(channel=channel).stream_position == "1"
    network.log.append(item("b2", "new"))
    _follow(channel)
    assert network.asked == [Cursor("0"), Cursor("1")]
    assert Message.objects.filter(channel=channel, via="stream").count() == 2


def test_a_stream_cancelled_while_storing_still_keeps_the_position(workspace, network, monkeypatch):
    """The listener cancels a channel's stream as soon as the channel stops being active, which
    may be while an item is being stored (the first one waits seconds for the sentiment models).
    The item and its position are kept together, or the next stream would miss what follows."""
    channel = Channel.objects.create(
        workspace=workspace, network="replaying", name="Brand", state=ChannelState.ACTIVE
    )
    InboxCursor.objects.create(channel=channel, stream_position="0")
    network.log = [item("c1", "slow to classify")]
    stored = threading.Event()

    def slow_ingest(channel, items, *, via):
        found = ingest(channel, items, via=via)
        stored.set()
        time.sleep(0.5)  # as the first message after a start does
        return found

    monkeypatch.setattr(streams, "ingest", slow_ingest)

    async def run() -> None:
        stop = asyncio.Event()
        ReplayingNetwork.stop = asyncio.Event()  # the fake's; this test stops by cancelling
        following = asyncio.create_task(streams.follow(channel.pk, stop))
        await asyncio.to_thread(stored.wait, 10)
        following.cancel()  # what streams.run does to a channel no longer active
        with contextlib.suppress(asyncio.CancelledError):
            await following

    asyncio.run(run())
    time.sleep(1.0)  # the store that was under way finishes in its own thread
    assert InboxCursor.objects.get(channel=channel).stream_position == "1"
