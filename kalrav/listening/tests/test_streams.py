"""Stream sources (sources/streams.py) with a stand-in public stream that behaves like the
weakest network that replays: it remembers posts by sequence number, replays after a cursor,
knows nothing of what the caller stored and may drop the connection."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import Author, Cursor, IncomingItem, ItemKind
from kalrav.connectors.errors import Transient
from kalrav.listening.models import Mention, Monitor, Source, SourceKind, SourceState
from kalrav.listening.sources import streams
from kalrav.listening.tasks import collect_due
from kalrav.listening.views import sources as page_module

pytestmark = pytest.mark.django_db(transaction=True)


class Network:
    """Posts by sequence number; `drop_after` ends a connection with an error after that many
    items, as a relay that goes away does."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.opened: list[Cursor | None] = []
        self.open_now = 0
        self.most_open = 0
        self.drop_after: int | None = None

    def post(self, text: str) -> None:
        self.posts.append(text)


class StandIn:
    def __init__(self, network: Network) -> None:
        self.network = network
        self.position: Cursor | None = None

    def close(self) -> None:
        pass

    async def public_stream(
        self, terms: Sequence[str], since: Cursor | None
    ) -> AsyncIterator[IncomingItem]:
        net = self.network
        net.opened.append(since)
        net.open_now += 1
        net.most_open = max(net.most_open, net.open_now)
        try:
            seq, sent = int(since.value) if since else 0, 0
            while True:
                if seq < len(net.posts):
                    if net.drop_after is not None and sent >= net.drop_after:
                        raise Transient("connection dropped")
                    seq += 1
                    self.position = Cursor(str(seq))
                    sent += 1
                    yield IncomingItem(
                        kind=ItemKind.MENTION,
                        remote_id=f"at://did:plc:fan/app.bsky.feed.post/{seq}",
                        author=Author(remote_id="did:plc:fan"),
                        text=net.posts[seq - 1],
                        created_at=datetime.now(UTC),
                        url=f"https://bsky.app/profile/did:plc:fan/post/{seq}",
                    )
                else:
                    await asyncio.sleep(0.02)
        finally:
            net.open_now -= 1

    def public_resume_from(self) -> Cursor | None:
        return self.position


@pytest.fixture
def network(monkeypatch) -> Network:
    net = Network()
    monkeypatch.setattr(streams.channels, "connector_for", lambda channel: StandIn(net))
    monkeypatch.setattr(streams, "FLUSH_SECONDS", 0.05)
    monkeypatch.setattr(streams, "TERMS_SECONDS", 0.2)
    return net


@pytest.fixture
def source(workspace) -> Source:
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
        config={"service_url": "https://pds.example", "handle": "brand.example"},
        credentials=sealed.seal({"app_password": "x"}),
    )  # fmt: skip
    Monitor.objects.create(workspace=workspace, name="Kettle", query="kettle")
    return Source.objects.create(workspace=workspace, kind=SourceKind.BLUESKY, channel=channel)


class Follower:
    """`follow` in its own thread and event loop, as `kalrav listen` runs it."""

    def __init__(self, source_id: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.thread = threading.Thread(
            target=lambda: self.loop.run_until_complete(streams.follow(source_id, self.stop)),
            daemon=True,
        )
        self.thread.start()

    def halt(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("not there in time")


def test_items_reach_intake_in_batches_and_the_position_is_kept(network, source):
    for n in range(5):
        network.post(f"my kettle broke ({n})")
    follower = Follower(source.pk)
    try:
        until(lambda: Mention.objects.filter(source=source).count() == 5)
        until(lambda: Source.objects.get(pk=source.pk).cursor.get("position") == "5")
    finally:
        follower.halt()
    source.refresh_from_db()
    assert source.state == SourceState.OK and source.claimed_until is None
    assert source.cursor["last_item_at"] and source.cursor["kept_at"]
    assert Mention.objects.get(remote_id__endswith="/3").matches.count() == 1
    assert collect_due() == 0  # never fetched by the periodic task as well


def test_a_restart_resumes_from_the_kept_position_without_a_gap(network, source):
    for n in range(3):
        network.post(f"kettle one ({n})")
    first = Follower(source.pk)
    until(lambda: Source.objects.get(pk=source.pk).cursor.get("position") == "3")
    first.halt()
    for n in range(3):
        network.post(f"kettle while down ({n})")  # said while no process listened
    second = Follower(source.pk)
    try:
        until(lambda: Mention.objects.filter(source=source).count() == 6)
    finally:
        second.halt()
    assert network.opened == [None, Cursor("3")]
    remote = sorted(Mention.objects.values_list("remote_id", flat=True))
    assert remote == sorted(f"at://did:plc:fan/app.bsky.feed.post/{n}" for n in range(1, 7))


def test_a_dropped_connection_backs_off_and_counts_a_reconnect(network, source):
    network.drop_after = 2
    for n in range(4):
        network.post(f"kettle ({n})")
    follower = Follower(source.pk)
    try:
        failing = until(
            lambda: Source.objects.filter(pk=source.pk, state=SourceState.FAILING).first()
        )
        time.sleep(0.5)  # within the backoff: no second connection
        assert len(network.opened) == 1
    finally:
        follower.halt()
    assert failing.failures == 1 and "dropped" in failing.last_error
    assert failing.error_kind != ""  # a kind the sources page can translate
    assert failing.cursor["reconnects"] == 1
    wait = failing.next_fetch_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    assert Mention.objects.filter(source=source).count() == 2  # stored before the drop
    assert failing.cursor["position"] == "2"  # so the next connection resumes after them


def test_two_processes_never_follow_the_same_source(network, source):
    network.post("kettle")
    followers = [Follower(source.pk), Follower(source.pk)]
    try:
        until(lambda: Mention.objects.filter(source=source).count() == 1)
        time.sleep(0.5)
        assert network.most_open == 1 and len(network.opened) == 1
    finally:
        for follower in followers:
            follower.halt()


def test_a_process_that_lost_its_lease_lets_go(network, source):
    follower = Follower(source.pk)
    try:
        until(lambda: network.open_now == 1)
        # Another process took over after this one stalled past its lease.
        Source.objects.filter(pk=source.pk).update(
            claimed_until=timezone.now() + timedelta(minutes=5)
        )
        network.post("kettle after the takeover")
        until(lambda: network.open_now == 0)
    finally:
        follower.halt()


def test_the_sources_page_adds_a_stream_and_shows_its_health(member_client, workspace):
    manager = member_client("manager")
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
        config={"service_url": "https://pds.example", "handle": "brand.example"},
        credentials=sealed.seal({"app_password": "x"}),
    )  # fmt: skip
    page = reverse("listening:sources", kwargs={"ws": workspace.slug})
    add = reverse("listening:stream-add", kwargs={"ws": workspace.slug})
    assert "Listen to Bluesky's public stream" in manager.get(page).content.decode()
    html = manager.post(add, {"channel": channel.pk}, follow=True).content.decode()
    assert "Listening to the public stream of Brand" in html and "No item yet" in html
    source = Source.objects.get(kind=SourceKind.BLUESKY, channel=channel)
    assert "Listen to Bluesky's public stream" not in html  # offered once
    source.cursor = {
        "position": "firehose:42",
        "kept_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "last_item_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "reconnects": 2,
    }
    source.save()
    html = manager.get(page).content.decode()
    assert "Last item 3\xa0minutes ago" in html and "2 reconnects" in html
    assert "Resume position kept 3\xa0minutes ago" in html and "Live" in html
    other = member_client("agent")  # may view, not add
    assert other.post(add, {"channel": channel.pk}).status_code == 403


def test_without_words_to_listen_for_the_stream_is_not_opened(network, source):
    Monitor.objects.update(is_active=False)  # the prefilter would let the whole network in
    network.post("kettle")
    follower = Follower(source.pk)
    try:
        time.sleep(0.6)
        assert network.opened == []
        Monitor.objects.update(is_active=True)
        until(lambda: Mention.objects.filter(source=source).count() == 1)
    finally:
        follower.halt()


def test_the_sources_page_says_when_streams_are_read_without_the_compiled_reader(
    member_client, workspace, monkeypatch
):
    """A server installed without a C compiler reads streams about 40 times slower: the page
    with the stream says so, and says how to fix it; a page without a stream says nothing."""
    manager = member_client("manager")
    page = reverse("listening:sources", kwargs={"ws": workspace.slug})
    monkeypatch.setattr(page_module, "stream_reading_is_native", lambda: False)
    assert "compiled reader" not in manager.get(page).content.decode()
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
        config={"service_url": "https://pds.example", "handle": "brand.example"},
        credentials=sealed.seal({"app_password": "x"}),
    )  # fmt: skip
    streams.add_stream_source(workspace.pk, channel)
    html = manager.get(page).content.decode()
    assert "compiled reader" in html and "install gcc" in html
    monkeypatch.setattr(page_module, "stream_reading_is_native", lambda: True)
    assert "compiled reader" not in manager.get(page).content.decode()
