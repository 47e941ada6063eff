"""Contract tests: the Mastodon connector against mastodon-mock, a local imitation of the
Mastodon API (not Mastodon itself). They check that what the connector sends and reads agrees
with a server that implements the documented API; the fakes in the connector's own tests pin
the documented payloads. In CI a mock that cannot start fails these tests."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import httpx
import pytest

from conftest import require_service
from kalrav.connectors.base import (
    ConnectorContext,
    ItemKind,
    ItemRef,
    MediaItem,
    MediaKind,
    Moderation,
    OutgoingPost,
    Poll,
    PublishedRef,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.mastodon import oauth
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from tests.peers import mastodon_mock_server

# The mock listens on loopback, which Kalrav refuses for user-given addresses unless told.
LOCAL = {"allow_private": True, "retries": 0}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000004000000040806000000a9f1"
    "9e7e0000001049444154789c63f8cfc0f09f8181e13f0300f8ff1ff1c4d5a8"
    "e80000000049454e44ae426082"
)


@pytest.fixture(scope="session")
def mock_server():
    try:
        with mastodon_mock_server.running() as server:
            yield server
    except mastodon_mock_server.PeerUnavailable as problem:
        require_service(f"mastodon-mock ({problem})")


@pytest.fixture
def server(mock_server):
    mock_server.reset()
    return mock_server


def connect(server, token: str) -> MastodonConnector:
    with HttpClient(**LOCAL) as http:
        connection = oauth.connect_with_token(server.url, token, http=http)
    return MastodonConnector(
        ConnectorContext(
            channel_id=1,
            config={**connection.config, "account_id": connection.account.remote_id},
            credentials=connection.credentials,
        ),
        http_options=LOCAL,
        media_opener=lambda item: io.BytesIO(PNG),
    )


@pytest.fixture
def brand(server):
    made = connect(server, server.token)
    yield made
    made.close()


@pytest.fixture
def fan(server):
    account = server.create_account("fan")
    made = connect(server, account["access_token"])
    yield made
    made.close()


def status(server, remote_id: str, token: str | None = None) -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/v1/statuses/{remote_id}",
        headers={"Authorization": f"Bearer {token or server.token}"},
        timeout=10,
    )


def test_verify_and_instance_limits(server, brand):
    assert brand.verify().handle == "testuser"
    instance = brand.read_config()["instance"]
    limits = instance["configuration"]
    assert limits["statuses"]["max_characters"] == brand.rules.max_length
    image_rule = brand.rules.media.rule_for(MediaKind.IMAGE)
    assert image_rule is not None
    assert image_rule.max_bytes == limits["media_attachments"]["image_size_limit"]
    assert "image/png" in image_rule.mime_types


def test_publish_media_alt_text_cw_and_a_poll_in_a_thread(server, brand):
    post = OutgoingPost(
        "Our new blend, tasted by the team",
        media=(
            MediaItem(MediaKind.IMAGE, "image/png", len(PNG), 4, 4, "", "A cup of chai", "a.png"),
        ),
        options={"spoiler_text": "Caffeine talk", "visibility": "unlisted"},
        thread=(OutgoingPost("Which do you prefer?", poll=Poll(("Chai", "Green"))),),
    )
    assert brand.validate(post) == []
    ref = brand.publish(post, idempotency_key="variant-1")
    first = status(server, ref.remote_id).json()
    assert first["spoiler_text"] == "Caffeine talk"
    assert first["visibility"] == "unlisted"
    assert [m["description"] for m in first["media_attachments"]] == ["A cup of chai"]
    second = status(server, ref.extra["thread"]).json()
    assert second["in_reply_to_id"] == ref.remote_id
    assert [o["title"] for o in second["poll"]["options"]] == ["Chai", "Green"]
    assert second["spoiler_text"] == "Caffeine talk"


def test_the_same_idempotency_key_gives_one_status(server, brand):
    thread = (OutgoingPost("part two"),)
    first = brand.publish(OutgoingPost("once", thread=thread), idempotency_key="variant-2")
    again = brand.publish(OutgoingPost("once", thread=thread), idempotency_key="variant-2")
    assert again.remote_id == first.remote_id
    assert again.extra == first.extra
    assert brand.channel_metrics()[2].value == 2  # posts: the two parts, not four
    other = brand.publish(OutgoingPost("once"), idempotency_key="variant-3")
    assert other.remote_id != first.remote_id


def test_notifications_since_a_cursor_reply_and_direct_messages(server, brand, fan):
    ours = brand.publish(OutgoingPost("Ask us anything"), idempotency_key="v-ask")
    fan.publish(OutgoingPost("@testuser when is the sale?", reply_to=ours), idempotency_key="f1")
    first = brand.fetch_inbox(None)
    assert [(item.kind, item.text) for item in first.items] == [
        (ItemKind.REPLY, "@testuser when is the sale?")
    ]
    fan.publish(OutgoingPost("@testuser hello from a fan"), idempotency_key="f2")
    fan.publish(
        OutgoingPost("@testuser my order number is 42", options={"visibility": "direct"}),
        idempotency_key="f3",
    )
    second = brand.fetch_inbox(first.cursor)
    assert [(item.kind, item.text) for item in second.items] == [
        (ItemKind.MENTION, "@testuser hello from a fan"),
        (ItemKind.DIRECT_MESSAGE, "@testuser my order number is 42"),
    ]
    assert brand.fetch_inbox(second.cursor).items == ()

    direct = second.items[1]
    answer = brand.reply(direct, OutgoingPost("We are on it"), idempotency_key="r1")
    sent = status(server, answer.remote_id).json()
    assert sent["visibility"] == "direct"
    assert sent["in_reply_to_id"] == direct.remote_id
    assert "@fan" in sent["content"]


def test_metrics_follow_favourites_boosts_and_replies(server, brand, fan):
    ref = brand.publish(OutgoingPost("Rate our chai"), idempotency_key="v-m")
    token = {"Authorization": f"Bearer {fan.context.credentials['access_token']}"}
    for action in ("favourite", "reblog"):
        httpx.post(
            f"{server.url}/api/v1/statuses/{ref.remote_id}/{action}", headers=token, timeout=10
        ).raise_for_status()
    fan.publish(OutgoingPost("@testuser 10/10", reply_to=ref), idempotency_key="f-m")
    metrics = {row.metric: row.value for row in brand.post_metrics([ref])}
    assert (metrics["likes"], metrics["reposts"], metrics["replies"]) == (1, 1, 1)


def test_hashtag_and_keyword_search(server, brand, fan):
    fan.publish(OutgoingPost("Brewing #masala chai today"), idempotency_key="f-s1")
    tagged = brand.search("#masala", None)
    assert [item.text for item in tagged.items] == ["Brewing #masala chai today"]
    fan.publish(OutgoingPost("More #masala please"), idempotency_key="f-s2")
    assert [item.text for item in brand.search("#masala", tagged.cursor).items] == [
        "More #masala please"
    ]
    found = brand.search("brewing", None)
    assert "Brewing #masala chai today" in [item.text for item in found.items]


def test_delete_a_thread_twice(server, brand):
    ref = brand.publish(
        OutgoingPost("gone soon", thread=(OutgoingPost("also gone"),)), idempotency_key="v-d"
    )
    brand.delete(ref, idempotency_key="d-1")
    assert status(server, ref.remote_id).status_code == 404
    assert status(server, ref.extra["thread"]).status_code == 404
    brand.delete(ref, idempotency_key="d-1")  # a retried delete is not an error


@pytest.mark.parametrize(
    ("effect", "error"),
    [
        ({"type": "ratelimit"}, RateLimited),
        ({"type": "status", "status": 503}, Transient),
        (
            {"type": "status", "status": 401, "body": {"error": "The access token is invalid"}},
            AuthExpired,
        ),
        (
            {
                "type": "status",
                "status": 422,
                "body": {"error": "Validation failed: Text can't be blank"},
            },
            Rejected,
        ),
    ],
)
def test_injected_faults_become_typed_errors(server, brand, effect, error):
    server.add_fault(
        {"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "effect": effect, "count": 1}
    )
    with pytest.raises(error) as raised:
        brand.publish(OutgoingPost("hello"), idempotency_key="v-f")
    if error is RateLimited:
        assert raised.value.retry_after == pytest.approx(300, abs=5)
    if error is Rejected:
        assert raised.value.reason == "Validation failed: Text can't be blank"
    assert brand.publish(OutgoingPost("hello"), idempotency_key="v-f").remote_id


def test_user_stream_delivers_a_mention(server, brand, fan):
    def mention_soon():
        time.sleep(1.0)  # after the stream is open: it has no replay
        fan.publish(OutgoingPost("@testuser are you live?"), idempotency_key="f-live")

    async def first_item():
        async for item in brand.stream(None):
            return item
        return None

    poster = threading.Thread(target=mention_soon)
    poster.start()
    try:
        item = asyncio.run(asyncio.wait_for(first_item(), timeout=15))
    finally:
        poster.join()
    assert item is not None
    assert (item.kind, item.text) == (ItemKind.MENTION, "@testuser are you live?")


def test_oauth_code_flow(server):
    with HttpClient(**LOCAL) as http:
        app = oauth.register_app(
            server.url, redirect_uri="http://127.0.0.1:8000/channels/mastodon/callback", http=http
        )
        url = oauth.authorization_url(app, state="state-1", http=http)
        assert "client_id=" + app.client_id in url and "state=state-1" in url
        # The mock's account picker mints codes as mockcode_<username> (mock-only shortcut).
        connection = oauth.exchange_code(app, "mockcode_testuser", http=http)
    assert connection.account.handle == "testuser"
    assert connection.credentials["client_id"] == app.client_id
    connector = MastodonConnector(
        ConnectorContext(1, config=connection.config, credentials=connection.credentials),
        http_options=LOCAL,
    )
    assert connector.verify().handle == "testuser"
    connector.close()


def test_the_brand_favourites_a_fans_reply_and_deletes_only_its_own(server, brand, fan):
    ours = brand.publish(OutgoingPost("Chai or coffee?"), idempotency_key="mod-root")
    answer = fan.publish(
        OutgoingPost("Chai!", reply_to=PublishedRef(ours.remote_id)), idempotency_key="mod-fan"
    )
    fan_id = fan.verify().remote_id
    reply = ItemRef(answer.remote_id, ItemKind.REPLY, author_id=fan_id)
    assert brand.moderation_actions(reply) == {Moderation.LIKE, Moderation.UNLIKE}
    brand.like(reply, idempotency_key="mod-like")
    seen = status(server, answer.remote_id).json()
    assert seen["favourited"] is True and seen["favourites_count"] == 1
    brand.unlike(reply, idempotency_key="mod-unlike")
    assert status(server, answer.remote_id).json()["favourited"] is False

    with pytest.raises(Rejected):
        brand.delete_item(reply, idempotency_key="mod-delete-theirs")
    assert status(server, answer.remote_id).status_code == 200
    own = ItemRef(ours.remote_id, author_id=brand.verify().remote_id)
    assert brand.moderation_actions(own) == {Moderation.DELETE}
    brand.delete_item(own, idempotency_key="mod-delete-ours")
    assert status(server, ours.remote_id).status_code == 404
