"""Where the firehose resumes: after the items handed out, never past one still queued, and,
when the SDK client reconnects by itself, after the last event it read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from kalrav.connectors.base import Author, IncomingItem, ItemKind
from kalrav.connectors.networks.bluesky import stream
from kalrav.connectors.networks.bluesky.stream import FirehoseStream

COMMIT = "com.atproto.sync.subscribeRepos#commit"


def _item(name: str) -> IncomingItem:
    return IncomingItem(
        kind=ItemKind.REPLY,
        remote_id=f"at://did:plc:fan/app.bsky.feed.post/{name}",
        author=Author("did:plc:fan", "fan.test"),
        text=name,
        created_at=datetime(2026, 12, 7, tzinfo=UTC),
    )


# Three events read at once: a commit with two replies to us, one about someone else, one more.
EVENTS = [
    SimpleNamespace(py_type=COMMIT, seq=5, found=[_item("a"), _item("b")]),
    SimpleNamespace(py_type=COMMIT, seq=6, found=[]),
    SimpleNamespace(py_type=COMMIT, seq=7, found=[_item("c")]),
]


class ReadAheadClient:
    """The SDK client's shape: it reads every event it can before Kalrav takes the first item,
    and keeps the parameters it reconnects with."""

    made: list[ReadAheadClient] = []

    def __init__(self, *, params, base_uri, recv_timeout):
        self.params = params
        self._stopped = asyncio.Event()
        ReadAheadClient.made.append(self)

    def update_params(self, params):
        self.params = dict(params)

    async def start(self, on_message):
        for event in EVENTS:
            await on_message(event)
        await self._stopped.wait()

    async def stop(self):
        self._stopped.set()


@pytest.fixture(autouse=True)
def decoded(monkeypatch):
    monkeypatch.setattr(stream, "parse_subscribe_repos_message", lambda frame: frame)
    monkeypatch.setattr(stream, "items_from_commit", lambda commit, did: commit.found)
    ReadAheadClient.made = []


def test_the_position_follows_the_items_taken_not_the_events_read():
    firehose = FirehoseStream(
        "http://pds.test", "did:plc:brand", cursor=4, client_factory=ReadAheadClient
    )

    async def take():
        seen = []
        items = firehose.items()
        async for item in items:
            seen.append((item.text, firehose.position))
            if len(seen) == 3:
                break
        await items.aclose()
        return seen

    seen = asyncio.run(take())
    # Stopped after "a", resuming after event 4 replays event 5 and so "b"; after "b", event 5
    # is done; after "c", event 7.
    assert seen == [("a", 4), ("b", 5), ("c", 7)]


def test_the_sdk_reconnects_after_the_last_event_read():
    firehose = FirehoseStream("http://pds.test", "did:plc:brand", client_factory=ReadAheadClient)

    async def first():
        items = firehose.items()
        item = await anext(items)
        await items.aclose()
        return item

    asyncio.run(first())
    assert ReadAheadClient.made[0].params == {"cursor": 7}
