"""Liking, hiding and deleting on Bluesky against fakes shaped like the lexicons
(app.bsky.feed.like, app.bsky.feed.threadgate, com.atproto.repo.*). Live twins:
tests/peers/test_bluesky_live.py."""

from __future__ import annotations

import json

import pytest
import respx

from kalrav.connectors.base import ConnectorContext, ItemKind, ItemRef, Moderation
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.networks.bluesky.tests.test_connector import (
    CID,
    CID2,
    DID,
    FAN,
    PASSWORD,
    SESSION,
    XRPC,
    _post_view,
    _xrpc_error,
)
from kalrav.connectors.networks.bluesky.tid import tid_for_key

ROOT = f"at://{DID}/app.bsky.feed.post/3root"
REPLY = f"at://{FAN}/app.bsky.feed.post/3reply"
OTHER_ROOT = f"at://{FAN}/app.bsky.feed.post/3theirs"
GATE_URI = f"at://{DID}/app.bsky.feed.threadgate/3root"
L = Moderation


@pytest.fixture
def xrpc():
    with respx.mock(base_url=XRPC, assert_all_called=False) as mock:
        mock.post("/com.atproto.server.createSession").respond(200, json=SESSION)
        yield mock


def _connector(account_id: str = DID) -> BlueskyConnector:
    return BlueskyConnector(
        ConnectorContext(
            channel_id=1,
            config={"service_url": "https://pds.example", "handle": "brand.example.com"},
            credentials={"app_password": PASSWORD},
            account_id=account_id,
        ),
        transport=Transport(resolver=lambda host, port: ["93.184.216.34"]),
    )


def _body(route) -> dict:
    return json.loads(route.calls.last.request.content)


def reply(**extra) -> ItemRef:
    fields = {
        "remote_id": REPLY,
        "kind": ItemKind.REPLY,
        "root_id": ROOT,
        "parent_id": ROOT,
        "author_id": FAN,
    }
    return ItemRef(**(fields | extra))


@pytest.mark.parametrize(
    ("item", "account", "actions"),
    [
        (reply(), DID, {L.LIKE, L.UNLIKE, L.HIDE, L.UNHIDE}),
        (reply(root_id=OTHER_ROOT), DID, {L.LIKE, L.UNLIKE}),  # someone else's thread
        (reply(root_id=OTHER_ROOT), "", {L.LIKE, L.UNLIKE, L.HIDE, L.UNHIDE}),  # DID unknown yet
        (reply(root_id=REPLY), DID, {L.LIKE, L.UNLIKE}),  # a top-level post has nothing to hide
        (reply(remote_id=f"at://{DID}/app.bsky.feed.post/3mine"), DID, {L.DELETE}),
        (reply(ours=True), "", {L.DELETE}),
        (reply(remote_id="not-a-record"), DID, set()),
    ],
)
def test_what_can_be_done_to_an_item(item, account, actions):
    assert _connector(account).moderation_actions(item) == actions


def test_like_creates_a_like_record_under_the_derived_key(xrpc):
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": [_post_view(REPLY, "Hi")]})
    rkey = tid_for_key("like-1")
    create = xrpc.post("/com.atproto.repo.createRecord").respond(
        200, json={"uri": f"at://{DID}/app.bsky.feed.like/{rkey}", "cid": CID2}
    )
    like_id = _connector().like(reply(), idempotency_key="like-1")
    sent = _body(create)
    assert (sent["repo"], sent["collection"], sent["rkey"]) == (DID, "app.bsky.feed.like", rkey)
    assert sent["record"]["subject"]["uri"] == REPLY
    assert sent["record"]["subject"]["cid"] == CID
    assert like_id == f"at://{DID}/app.bsky.feed.like/{rkey}"


def test_a_retried_like_finds_the_one_already_made(xrpc):
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": [_post_view(REPLY, "Hi")]})
    rkey = tid_for_key("like-2")
    xrpc.post("/com.atproto.repo.createRecord").mock(
        return_value=_xrpc_error(500, "InternalServerError", "Internal Server Error")
    )
    like = {"$type": "app.bsky.feed.like", "subject": {"uri": REPLY, "cid": CID}}
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200, json={"uri": f"at://{DID}/app.bsky.feed.like/{rkey}", "cid": CID2, "value": like}
    )
    assert _connector().like(reply(), idempotency_key="like-2").endswith(rkey)


def test_a_like_of_another_post_under_the_key_is_not_taken_for_this_one(xrpc):
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": [_post_view(REPLY, "Hi")]})
    rkey = tid_for_key("like-4")
    xrpc.post("/com.atproto.repo.createRecord").mock(
        return_value=_xrpc_error(400, "InvalidRequest", "Record already exists")
    )
    other = {"$type": "app.bsky.feed.like", "subject": {"uri": REPLY + "x", "cid": CID}}
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200, json={"uri": f"at://{DID}/app.bsky.feed.like/{rkey}", "cid": CID2, "value": other}
    )
    with pytest.raises(Rejected, match="different like"):
        _connector().like(reply(), idempotency_key="like-4")


def test_liking_a_deleted_post_says_so(xrpc):
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": []})
    with pytest.raises(Rejected, match="no longer exists"):
        _connector().like(reply(), idempotency_key="like-3")


def test_unlike_deletes_the_like_record(xrpc):
    delete = xrpc.post("/com.atproto.repo.deleteRecord").respond(200, json={})
    _connector().unlike(
        reply(like_id=f"at://{DID}/app.bsky.feed.like/3like"), idempotency_key="u-1"
    )
    assert _body(delete) == {"repo": DID, "collection": "app.bsky.feed.like", "rkey": "3like"}


def test_unlike_without_a_known_like_uses_the_viewer_state(xrpc):
    view = _post_view(REPLY, "Hi") | {"viewer": {"like": f"at://{DID}/app.bsky.feed.like/3app"}}
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": [view]})
    delete = xrpc.post("/com.atproto.repo.deleteRecord").respond(200, json={})
    _connector().unlike(reply(), idempotency_key="u-2")
    assert _body(delete)["rkey"] == "3app"


def test_unlike_of_what_was_never_liked_does_nothing(xrpc):
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": [_post_view(REPLY, "Hi")]})
    delete = xrpc.post("/com.atproto.repo.deleteRecord").respond(200, json={})
    _connector().unlike(reply(), idempotency_key="u-3")
    assert not delete.called


def test_delete_removes_only_our_own_record(xrpc):
    delete = xrpc.post("/com.atproto.repo.deleteRecord").respond(200, json={})
    mine = f"at://{DID}/app.bsky.feed.post/3mine"
    _connector().delete_item(reply(remote_id=mine, ours=True), idempotency_key="d-1")
    assert _body(delete) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": "3mine"}
    with pytest.raises(Rejected, match="only its own"):
        _connector().delete_item(reply(), idempotency_key="d-2")
    assert delete.call_count == 1


def test_hide_creates_a_threadgate_that_only_hides(xrpc):
    xrpc.get("/com.atproto.repo.getRecord").mock(
        return_value=_xrpc_error(400, "RecordNotFound", "Could not locate record")
    )
    put = xrpc.post("/com.atproto.repo.putRecord").respond(200, json={"uri": GATE_URI, "cid": CID})
    _connector().hide(reply(), idempotency_key="h-1")
    sent = _body(put)
    assert (sent["repo"], sent["collection"], sent["rkey"]) == (
        DID,
        "app.bsky.feed.threadgate",
        "3root",
    )
    assert sent["record"]["post"] == ROOT
    assert sent["record"]["hiddenReplies"] == [REPLY]
    assert "allow" not in sent["record"], "without allow, anyone may still reply"
    assert sent.get("swapRecord") is None


def test_hide_keeps_the_reply_rules_and_names_the_version_it_changes(xrpc):
    gate = {
        "$type": "app.bsky.feed.threadgate",
        "post": ROOT,
        "createdAt": "2026-11-20T10:00:00.000Z",
        "allow": [{"$type": "app.bsky.feed.threadgate#followingRule"}],
        "hiddenReplies": [f"at://{FAN}/app.bsky.feed.post/3older"],
    }
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200, json={"uri": GATE_URI, "cid": CID2, "value": gate}
    )
    put = xrpc.post("/com.atproto.repo.putRecord").respond(200, json={"uri": GATE_URI, "cid": CID})
    _connector().hide(reply(), idempotency_key="h-2")
    sent = _body(put)
    assert sent["record"]["allow"] == [{"$type": "app.bsky.feed.threadgate#followingRule"}]
    assert sent["record"]["hiddenReplies"] == [f"at://{FAN}/app.bsky.feed.post/3older", REPLY]
    assert sent["swapRecord"] == CID2


def test_hiding_twice_and_unhiding_what_is_not_hidden_write_nothing(xrpc):
    gate = {"post": ROOT, "createdAt": "2026-11-20T10:00:00.000Z", "hiddenReplies": [REPLY]}
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200, json={"uri": GATE_URI, "cid": CID2, "value": gate}
    )
    put = xrpc.post("/com.atproto.repo.putRecord").respond(200, json={"uri": GATE_URI, "cid": CID})
    _connector().hide(reply(), idempotency_key="h-3")
    _connector().unhide(
        reply(remote_id=f"at://{FAN}/app.bsky.feed.post/3other"), idempotency_key="h-4"
    )
    assert not put.called


def test_unhide_takes_the_reply_off_the_list(xrpc):
    gate = {"post": ROOT, "createdAt": "2026-11-20T10:00:00.000Z", "hiddenReplies": [REPLY]}
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200, json={"uri": GATE_URI, "cid": CID2, "value": gate}
    )
    put = xrpc.post("/com.atproto.repo.putRecord").respond(200, json={"uri": GATE_URI, "cid": CID})
    _connector().unhide(reply(), idempotency_key="h-5")
    assert _body(put)["record"]["hiddenReplies"] == []


def test_hide_in_someone_elses_thread_is_refused_before_any_write(xrpc):
    put = xrpc.post("/com.atproto.repo.putRecord").respond(200, json={"uri": GATE_URI, "cid": CID})
    with pytest.raises(Rejected, match="threads the account started"):
        _connector("").hide(reply(root_id=OTHER_ROOT), idempotency_key="h-6")
    assert not put.called


def test_a_threadgate_changed_meanwhile_fails_in_the_networks_words(xrpc):
    xrpc.get("/com.atproto.repo.getRecord").mock(
        return_value=_xrpc_error(400, "RecordNotFound", "Could not locate record")
    )
    xrpc.post("/com.atproto.repo.putRecord").mock(
        return_value=_xrpc_error(400, "InvalidSwap", "Record was at bafyother")
    )
    with pytest.raises(Rejected, match="Record was at"):
        _connector().hide(reply(), idempotency_key="h-7")
