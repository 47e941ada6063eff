"""The Bluesky connector against Bluesky's own reference network (PLC, PDS, AppView) on loopback:
the live twins of kalrav/connectors/networks/bluesky/tests. One network serves the whole module;
the AppView indexes a fraction of a second after each write, so reads poll."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from atproto_client import models
from PIL import Image

from kalrav.connectors.base import (
    Author,
    ConnectorContext,
    IncomingItem,
    ItemKind,
    ItemRef,
    MediaItem,
    MediaKind,
    Moderation,
    OutgoingPost,
    PublishedRef,
)
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.networks.bluesky.tid import tid_for_key

pytestmark = pytest.mark.slow
T = TypeVar("T")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 60)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def _connector(network, account: dict) -> BlueskyConnector:
    return BlueskyConnector(
        ConnectorContext(
            channel_id=account["handle"],
            config={"service_url": network.pds_url, "handle": account["handle"]},
            credentials={"app_password": account["password"]},
        ),
        transport=Transport(allow_private=True),
        read_media=lambda item: PNG,
    )


@pytest.fixture(scope="session")
def brand(bluesky_network) -> tuple[BlueskyConnector, dict]:
    account = bluesky_network.create_account("brand")
    return _connector(bluesky_network, account), account


@pytest.fixture(scope="session")
def fan(bluesky_network) -> tuple[BlueskyConnector, dict]:
    account = bluesky_network.create_account("fan")
    return _connector(bluesky_network, account), account


def eventually(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll until `check` returns something truthy: the AppView indexes asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("the network did not show it in time")
        time.sleep(0.2)


def _record(connector: BlueskyConnector, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    found = connector.client.com.atproto.repo.get_record(
        models.ComAtprotoRepoGetRecord.Params(repo=repo, collection=collection, rkey=rkey)
    )
    return models.get_model_as_dict(found.value)


def _post_count(connector: BlueskyConnector) -> int:
    listed = connector.client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(
            repo=connector.did, collection="app.bsky.feed.post", limit=100
        )
    )
    return len(listed.records)


def test_connect_shows_who_the_channel_is(brand):
    connector, account = brand
    info = eventually(lambda: _try(connector.verify))
    assert info.remote_id == account["did"]
    assert info.handle == account["handle"]


def test_a_wrong_app_password_asks_for_reconnecting(bluesky_network, brand):
    _connector_ok, account = brand
    wrong = _connector(bluesky_network, {**account, "password": "not-the-password"})
    with pytest.raises(AuthExpired) as raised:
        wrong.verify()
    assert "not-the-password" not in str(raised.value)


def test_text_with_link_mention_and_hashtag_gets_facets(brand, fan):
    connector, _account = brand
    _fan_connector, fan_account = fan
    text = f"নমস্কার @{fan_account['handle']} read https://example.com/launch #KalravLive"
    ref = connector.publish(OutgoingPost(text=text), idempotency_key="live-text")
    record = _record(connector, ref.remote_id)
    assert record["text"] == text
    encoded = text.encode()
    found = {
        facet["features"][0]["$type"].rsplit("#", 1)[1]: encoded[
            facet["index"]["byteStart"] : facet["index"]["byteEnd"]
        ].decode()
        for facet in record["facets"]
    }
    assert found == {
        "mention": f"@{fan_account['handle']}",
        "link": "https://example.com/launch",
        "tag": "#KalravLive",
    }
    mention = next(f for f in record["facets"] if "mention" in f["features"][0]["$type"])
    assert mention["features"][0]["did"] == fan_account["did"]
    # Read back through the AppView, as the metrics and the inbox will.
    views = eventually(lambda: connector._post_views([ref.remote_id]))
    assert views[0]["record"]["text"] == text


def test_image_with_alt_text(brand):
    connector, _account = brand
    image = MediaItem(
        MediaKind.IMAGE, "image/png", len(PNG), 4, 4, alt_text="A red square", source="red.png"
    )
    ref = connector.publish(
        OutgoingPost(text="Our colour", media=(image,)), idempotency_key="live-image"
    )
    embed = _record(connector, ref.remote_id)["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "A red square"
    assert embed["images"][0]["image"]["mimeType"] == "image/png"
    ratio = embed["images"][0]["aspectRatio"]
    assert (ratio["width"], ratio["height"]) == (4, 4)


def test_thread_of_three_links_each_part_to_root_and_parent(brand):
    connector, _account = brand
    post = OutgoingPost(
        text="1/3 The plan", thread=(OutgoingPost(text="2/3 Details"), OutgoingPost(text="3/3 End"))
    )
    ref = connector.publish(post, idempotency_key="live-thread")
    second, third = ref.extra["thread"].split()
    assert _record(connector, second)["reply"]["parent"]["uri"] == ref.remote_id
    last = _record(connector, third)["reply"]
    assert last["root"]["uri"] == ref.remote_id
    assert last["parent"]["uri"] == second
    uris = [ref.remote_id, second, third]
    thread_texts = eventually(
        lambda: (
            [v["record"]["text"] for v in views]
            if len(views := connector._post_views(uris)) == 3
            else None
        )
    )
    assert thread_texts == ["1/3 The plan", "2/3 Details", "3/3 End"]


def test_publishing_again_with_the_same_key_makes_no_second_post(brand):
    connector, _account = brand
    first = connector.publish(OutgoingPost(text="Exactly once"), idempotency_key="live-once")
    before = _post_count(connector)
    again = connector.publish(OutgoingPost(text="Exactly once"), idempotency_key="live-once")
    assert again.remote_id == first.remote_id
    assert again.extra["cid"] == first.extra["cid"]
    assert _post_count(connector) == before
    assert first.remote_id.endswith(tid_for_key("live-once"))


def test_a_reply_and_mention_reaches_inbox_stream_metrics_and_a_reply_back(brand, fan):
    connector, account = brand
    fan_connector, _fan_account = fan
    original = connector.publish(
        OutgoingPost(text="Ask us anything #kalravqa"), idempotency_key="live-inbox"
    )
    start = connector.fetch_inbox(None).cursor
    eventually(lambda: fan_connector._post_views([original.remote_id]))

    async def stream_one():
        stream = connector.stream(None)
        try:
            first = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(1.0)  # connected before the fan writes
            await asyncio.to_thread(
                fan_connector.publish,
                OutgoingPost(
                    text=f"@{account['handle']} when do you open?",
                    reply_to=PublishedRef(remote_id=original.remote_id),
                ),
                idempotency_key="live-fan-reply",
            )
            return await asyncio.wait_for(first, timeout=15)
        finally:
            await stream.aclose()

    streamed = asyncio.run(stream_one())
    assert streamed.kind == ItemKind.REPLY
    assert streamed.parent_id == original.remote_id
    assert "when do you open?" in streamed.text
    assert connector.stream_position is not None

    page = eventually(lambda: _new_items(connector, start))
    item = page[0]
    assert item.remote_id == streamed.remote_id
    assert item.author.handle == fan_connector.handle
    assert item.parent_id == original.remote_id
    assert item.root_id == original.remote_id
    assert item.kind in (ItemKind.MENTION, ItemKind.REPLY)

    answer = connector.reply(
        item, OutgoingPost(text="We open at nine."), idempotency_key="live-answer"
    )
    answer_record = _record(connector, answer.remote_id)
    assert answer_record["reply"]["parent"]["uri"] == item.remote_id
    assert answer_record["reply"]["root"]["uri"] == original.remote_id

    fan_connector.like(ItemRef(original.remote_id), idempotency_key="live-like")
    metrics = eventually(
        lambda: (
            rows
            if (rows := {r.metric: r.value for r in connector.post_metrics([original])})["likes"]
            else None
        )
    )
    assert metrics["likes"] == 1
    assert metrics["replies"] == 1


def test_the_brand_likes_unlikes_hides_and_unhides_a_reply_and_deletes_its_own(brand, fan):
    connector, _account = brand
    fan_connector, _fan_account = fan
    root = connector.publish(OutgoingPost(text="Chai or coffee?"), idempotency_key="live-mod")
    eventually(lambda: fan_connector._post_views([root.remote_id]))
    answer = fan_connector.publish(
        OutgoingPost(text="Chai, always", reply_to=PublishedRef(remote_id=root.remote_id)),
        idempotency_key="live-mod-fan",
    )
    reply = ItemRef(
        answer.remote_id, ItemKind.REPLY, root_id=root.remote_id, parent_id=root.remote_id
    )
    assert connector.moderation_actions(reply) == {
        Moderation.LIKE,
        Moderation.UNLIKE,
        Moderation.HIDE,
        Moderation.UNHIDE,
    }
    eventually(lambda: connector._post_views([answer.remote_id]))

    like_id = connector.like(reply, idempotency_key="live-mod-like")
    assert _record(connector, like_id)["subject"]["uri"] == answer.remote_id
    assert connector.like(reply, idempotency_key="live-mod-like") == like_id  # a retry
    connector.unlike(ItemRef(answer.remote_id, like_id=like_id), idempotency_key="live-unlike")
    with pytest.raises(Rejected):
        _record_or_rejected(connector, like_id)

    gate_uri = root.remote_id.replace("app.bsky.feed.post", "app.bsky.feed.threadgate")
    connector.hide(reply, idempotency_key="live-hide")
    gate = _record(connector, gate_uri)
    assert gate["hiddenReplies"] == [answer.remote_id]
    assert gate["post"] == root.remote_id
    assert not gate.get("allow"), "hiding must not stop anyone replying"
    connector.hide(reply, idempotency_key="live-hide-again")
    assert _record(connector, gate_uri)["hiddenReplies"] == [answer.remote_id]
    connector.unhide(reply, idempotency_key="live-unhide")
    assert not _record(connector, gate_uri).get("hiddenReplies")

    with pytest.raises(Rejected, match="only its own"):
        connector.delete_item(reply, idempotency_key="live-delete-theirs")
    ours = connector.reply(
        IncomingItem(
            ItemKind.REPLY,
            answer.remote_id,
            Author(fan_connector.did),
            "Chai, always",
            root.published_at or datetime.now(UTC),
        ),
        OutgoingPost(text="Good choice!"),
        idempotency_key="live-mod-answer",
    )
    connector.delete_item(ItemRef(ours.remote_id, ours=True), idempotency_key="live-delete-ours")
    with pytest.raises(Rejected):
        _record_or_rejected(connector, ours.remote_id)


def test_search_finds_the_post(brand):
    connector, _account = brand
    ref = connector.publish(
        OutgoingPost(text="Monsoon sale starts #kalravsearch"), idempotency_key="live-search"
    )
    items = eventually(lambda: connector.search("kalravsearch", None).items)
    assert [item.remote_id for item in items] == [ref.remote_id]


def test_delete_removes_the_post_and_its_thread(brand):
    connector, _account = brand
    ref = connector.publish(
        OutgoingPost(text="Oops", thread=(OutgoingPost(text="Oops 2"),)),
        idempotency_key="live-delete",
    )
    connector.delete(ref, idempotency_key="live-delete-1")
    for uri in [ref.remote_id, *ref.extra["thread"].split()]:
        with pytest.raises(Rejected):
            _record_or_rejected(connector, uri)
    connector.delete(ref, idempotency_key="live-delete-2")  # deleting again is fine


def _record_or_rejected(connector, uri):
    from kalrav.connectors.networks.bluesky.errors import translated

    with translated():
        return _record(connector, uri)


def _new_items(connector, cursor):
    return connector.fetch_inbox(cursor).items


def _try(call):
    try:
        return call()
    except Rejected:
        return None  # the AppView has not indexed the new profile yet
