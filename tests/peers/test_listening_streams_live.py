"""Public streams for listening against real servers: Bluesky's reference network (its PDS
firehose, read with the SDK's client and CAR decoding), a Jetstream-shaped websocket server
(the JSON the real Jetstream sends), and mastodon-mock's public and hashtag streams (a contract
mock, not Mastodon)."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
import websockets

from conftest import require_service
from kalrav.connectors.base import ConnectorContext, Cursor, OutgoingPost
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.networks.mastodon import oauth
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from tests.peers import mastodon_mock_server

pytestmark = [pytest.mark.slow]


def _bluesky(network, account) -> BlueskyConnector:
    context = ConnectorContext(
        channel_id=account["handle"],
        config={"service_url": network.pds_url, "handle": account["handle"]},
        credentials={"app_password": account["password"]},
    )
    return BlueskyConnector(context, transport=Transport(allow_private=True))


async def _collect(stream, count: int, timeout: float = 20.0) -> list:
    found: list = []

    async def read() -> None:
        async for item in stream:
            found.append(item)
            if len(found) == count:
                return

    try:
        await asyncio.wait_for(read(), timeout=timeout)
    finally:
        await stream.aclose()  # closes the connection now, not when the loop shuts down
    return found


def _later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)  # after the stream is open
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_bluesky_public_posts_by_firehose_with_resume(bluesky_network, settings):
    settings.BLUESKY_JETSTREAM_URL = ""
    brand = _bluesky(bluesky_network, bluesky_network.create_account("listener"))
    fan = _bluesky(bluesky_network, bluesky_network.create_account("talker"))
    terms = ["oolong"]

    def post() -> None:
        fan.publish(OutgoingPost(text="Nothing to see"), idempotency_key="noise")
        for n in range(3):
            fan.publish(OutgoingPost(text=f"Best Oolong ever ({n})"), idempotency_key=f"o{n}")

    poster = _later(1.0, post)
    try:
        items = asyncio.run(_collect(brand.public_stream(terms, None), 2))
    finally:
        poster.join()
    assert [item.text for item in items] == ["Best Oolong ever (0)", "Best Oolong ever (1)"]
    first = items[0]
    assert first.author.remote_id == fan.did and first.remote_id.startswith(f"at://{fan.did}/")
    assert first.url == f"https://bsky.app/profile/{fan.did}/post/{first.remote_id[-13:]}"
    kept = brand.public_resume_from()
    assert kept is not None and kept.value.startswith("firehose:")

    # A new connection from the kept position gives the post after it, not the ones before.
    again = _bluesky(bluesky_network, {"handle": brand.handle, "password": "kalrav-test-pass"})
    rest = asyncio.run(_collect(again.public_stream(terms, kept), 1))
    assert [item.text for item in rest] == ["Best Oolong ever (2)"]


def test_bluesky_public_posts_by_jetstream(settings):
    """A websocket server speaking Jetstream's JSON: the connector asks for posts only, resumes
    with `cursor` in microseconds and keeps `time_us` as its position."""
    asked: list[str] = []
    events = [
        {"did": "did:plc:a", "time_us": 100, "kind": "identity", "identity": {}},
        {
            "did": "did:plc:a",
            "time_us": 200,
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "3kabc",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "Oolong at noon",
                    "langs": ["en"],
                    "createdAt": "2026-12-07T10:00:00Z",
                },
            },
        },
        {
            "did": "did:plc:b",
            "time_us": 300,
            "kind": "commit",
            "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "x"},
        },
    ]

    async def serve(socket) -> None:
        asked.append(socket.request.path)
        for event in events:
            await socket.send(json.dumps(event))
        await socket.wait_closed()

    async def scenario():
        async with websockets.serve(serve, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            settings.BLUESKY_JETSTREAM_URL = f"ws://127.0.0.1:{port}/subscribe"
            connector = BlueskyConnector(
                ConnectorContext(channel_id=1, config={"handle": "a.test"}),
                transport=Transport(allow_private=True),
            )
            items = await _collect(
                connector.public_stream(["oolong"], Cursor("jetstream:150")), 1, timeout=5
            )
            return items, connector.public_resume_from()

    items, position = asyncio.run(scenario())
    assert asked == ["/subscribe?wantedCollections=app.bsky.feed.post&cursor=150"]
    (item,) = items
    assert (item.text, item.language, item.author.remote_id) == (
        "Oolong at noon",
        "en",
        "did:plc:a",
    )
    assert item.url == "https://bsky.app/profile/did:plc:a/post/3kabc"
    assert position == Cursor("jetstream:200")


@pytest.fixture(scope="module")
def mastodon_server():
    try:
        with mastodon_mock_server.running() as server:
            yield server
    except mastodon_mock_server.PeerUnavailable as problem:
        require_service(f"mastodon-mock ({problem})")


def _mastodon(server, token: str) -> MastodonConnector:
    local = {"allow_private": True, "retries": 0}
    with HttpClient(**local) as http:
        connection = oauth.connect_with_token(server.url, token, http=http)
    return MastodonConnector(
        ConnectorContext(
            channel_id=1,
            config={**connection.config, "account_id": connection.account.remote_id},
            credentials=connection.credentials,
        ),
        http_options=local,
    )


@pytest.mark.parametrize(
    ("terms", "texts"),
    [
        (["darjeeling"], ["Darjeeling first flush (1)", "#Assam and darjeeling (3)"]),
        (["#assam"], ["#Assam and darjeeling (3)"]),
    ],
    ids=["public", "hashtag"],
)
def test_mastodon_public_and_hashtag_streams(mastodon_server, terms, texts):
    mastodon_server.reset()
    brand = _mastodon(mastodon_server, mastodon_server.token)
    fan = _mastodon(mastodon_server, mastodon_server.create_account("fan")["access_token"])
    posts = ["Nothing here (0)", "Darjeeling first flush (1)", "Tea (2)", texts[-1]]

    def post() -> None:
        for n, text in enumerate(posts):
            fan.publish(OutgoingPost(text), idempotency_key=f"{terms[0]}-{n}")

    poster = _later(1.0, post)
    try:
        items = asyncio.run(_collect(brand.public_stream(terms, None), len(texts), timeout=15))
    finally:
        poster.join()
        brand.close()
        fan.close()
    assert [item.text for item in items] == texts
    assert brand.public_resume_from() is None  # Mastodon's streams cannot replay
