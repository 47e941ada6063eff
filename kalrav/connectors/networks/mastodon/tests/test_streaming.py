"""The user stream: SSE parsing and what becomes an inbox item, on a faked event stream."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from kalrav.connectors.base import ItemKind
from kalrav.connectors.errors import AuthExpired
from kalrav.connectors.networks.mastodon import streaming
from kalrav.connectors.networks.mastodon.tests import payloads
from kalrav.connectors.networks.mastodon.tests.conftest import TOKEN

STREAM = "https://streaming.social.example/api/v1/streaming/user"
FAN = payloads.account(payloads.FAN_ID, "fan")


def sse(*events: tuple[str, dict]) -> bytes:
    lines = [":)\n", ":thump\n\n"]  # Mastodon's greeting and heartbeat are comments
    for name, payload in events:
        lines.append(f"event: {name}\ndata: {json.dumps(payload)}\n\n")
    return "".join(lines).encode()


async def collect(connector, limit: int = 10) -> list:
    found = []
    async for item in connector.stream(None):
        found.append(item)
        if len(found) >= limit:
            break
    return found


def test_streaming_base_from_the_instance():
    assert (
        streaming.http_base("wss://streaming.social.example/") == "https://streaming.social.example"
    )
    assert streaming.http_base("ws://127.0.0.1:3000") == "http://127.0.0.1:3000"
    assert streaming.http_base("https://social.example") == "https://social.example"


def test_user_stream_yields_mentions_replies_and_direct_messages_once(api, connector):
    direct = payloads.status("207", "<p>psst</p>", by=FAN, visibility="direct")
    reply = payloads.status(
        "206", "<p>yes!</p>", by=FAN, in_reply_to_id="110", in_reply_to_account_id=payloads.OWN_ID
    )
    body = sse(
        ("update", payloads.status("500", by=FAN)),  # home timeline: not the inbox
        ("notification", payloads.notification("900", "favourite", payloads.status("110"))),
        ("notification", payloads.notification("901", status_=reply)),
        ("notification", payloads.notification("902", status_=direct)),
        ("conversation", payloads.conversation("42", direct)),  # the same DM again
        ("delete", {"id": "499"}),
    )
    route = api.get(STREAM).respond(
        200, content=body, headers={"Content-Type": "text/event-stream"}
    )
    items = asyncio.run(collect(connector))
    assert [(item.remote_id, item.kind) for item in items] == [
        ("206", ItemKind.REPLY),
        ("207", ItemKind.DIRECT_MESSAGE),
    ]
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_refused_stream_is_typed(api, connector):
    api.get(STREAM).respond(401, json={"error": "The access token is invalid"})
    with pytest.raises(AuthExpired):
        asyncio.run(collect(connector))


def test_a_malformed_event_is_skipped():
    async def lines():
        for line in ["event: notification", "data: {not json", "", "event: notification"]:
            yield line
        yield "data: " + json.dumps(
            payloads.notification("1", status_=payloads.status("9", by=FAN))
        )
        yield ""

    async def run():
        return [event async for event in streaming.events(lines())]

    events = asyncio.run(run())
    assert [name for name, _data in events] == ["notification", "notification"]
    with pytest.raises(ValueError):
        json.loads(events[0][1])


def test_stream_timeouts_are_transient(api, connector):
    from kalrav.connectors.errors import Transient

    api.get(STREAM).mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(Transient, match="timed out"):
        asyncio.run(collect(connector))
