"""The Bluesky connector against fakes: respx answers each XRPC call with a payload shaped like the
lexicon documents it (atproto.com/lexicons, docs.bsky.app). The live twins are in
tests/peers/test_bluesky_live.py."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import httpx
import pytest
import respx

from kalrav.connectors.account import AccountVerifier, CredentialRefresher
from kalrav.connectors.base import (
    CAPABILITIES,
    ConnectorContext,
    Cursor,
    Editor,
    IncomingItem,
    ItemKind,
    MediaItem,
    MediaKind,
    OutgoingPost,
    PublishedRef,
    PublishQuota,
    RateBudgetReporter,
    Reconciler,
)
from kalrav.connectors.checks import check_connectors
from kalrav.connectors.errors import AuthExpired, BlockedAddress, RateLimited, Rejected, Transient
from kalrav.connectors.networks.bluesky import records
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.networks.bluesky.tid import tid_for_key

PDS = "https://pds.example"
XRPC = f"{PDS}/xrpc"
DID = "did:plc:brand234567abcdefghijklm"
FAN = "did:plc:fan234567abcdefghijklmno"
PASSWORD = "abcd-efgh-ijkl-mnop"
CID = "bafyreic6titxhhyaaux62lwdkhqbz52trwg2i2wiuwgbbcehnkn4rdywpa"
CID2 = "bafyreibj4cnousa7qklghkh7az4dso2fucg5exoigbtwrscw5c4c5x6e44"


def _jwt(sub: str, lifetime: int = 7200) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"scope": "com.atproto.appPass", "sub": sub, "iat": now, "exp": now + lifetime}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


SESSION = {
    "accessJwt": _jwt(DID),
    "refreshJwt": _jwt(DID, 86400),
    "handle": "brand.example.com",
    "did": DID,
    "active": True,
}


def _connector(credentials: dict | None = None, config: dict | None = None) -> BlueskyConnector:
    return BlueskyConnector(
        ConnectorContext(
            channel_id=1,
            config={"service_url": PDS, "handle": "brand.example.com", **(config or {})},
            credentials={"app_password": PASSWORD} if credentials is None else credentials,
        ),
        # A public address for the fake host: the address guard runs as in production.
        transport=Transport(resolver=lambda host, port: ["93.184.216.34"]),
        read_media=lambda item: b"\x89PNG fake bytes",
    )


def _post_view(uri: str, text: str, **counts) -> dict:
    return {
        "uri": uri,
        "cid": CID,
        "author": {"did": FAN, "handle": "fan.example.com", "displayName": "A Fan"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2026-11-23T10:00:00.000Z",
        },
        "indexedAt": "2026-11-23T10:00:00.100Z",
        "likeCount": counts.get("likes", 0),
        "repostCount": counts.get("reposts", 0),
        "replyCount": counts.get("replies", 0),
        "quoteCount": counts.get("quotes", 0),
    }


def _created(rkey: str, cid: str = CID) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
            "cid": cid,
            "commit": {"cid": CID2, "rev": "3n2xvfbxq4225"},
            "validationStatus": "valid",
        },
    )


def _xrpc_error(status: int, error: str, message: str, headers: dict | None = None):
    return httpx.Response(status, json={"error": error, "message": message}, headers=headers)


@pytest.fixture
def xrpc():
    with respx.mock(base_url=XRPC, assert_all_called=False) as mock:
        mock.post("/com.atproto.server.createSession").respond(200, json=SESSION)
        yield mock


def _sent(route) -> dict:
    return _untyped(json.loads(route.calls.last.request.content))


def _untyped(value):
    """The SDK names the lexicon type of nested objects ($type) as it serialises a record; the
    lexicon allows it, and the assertions here are about the values."""
    if isinstance(value, dict):
        return {k: _untyped(v) for k, v in value.items() if not (k == "$type" and _nested(v))}
    if isinstance(value, list):
        return [_untyped(v) for v in value]
    return value


def _nested(type_name) -> bool:
    return type_name in {
        "com.atproto.repo.strongRef",
        "app.bsky.feed.post#replyRef",
        "app.bsky.embed.defs#aspectRatio",
        "app.bsky.embed.images#image",
    }


# --- declarations ----------------------------------------------------------------------------------


def test_declares_every_capability_and_passes_the_system_check():
    # Every capability but editing (Bluesky has no way to change a published post) and
    # reconciling (a resend names the same record: there is nothing to look for).
    # Bluesky caps no posts per account window (no PublishQuota) and sends no usage headers
    # to report (no RateBudgetReporter).
    assert set(BlueskyConnector.capabilities) == (
        set(CAPABILITIES) - {Editor, Reconciler, PublishQuota, RateBudgetReporter}
    ) | {
        AccountVerifier,
        CredentialRefresher,
    }
    assert not issubclass(BlueskyConnector, Editor)
    assert not [e for e in check_connectors() if "bluesky" in e.msg]
    connector = _connector()
    assert isinstance(connector, AccountVerifier)
    assert isinstance(connector, CredentialRefresher)


def test_credentials_stay_out_of_repr():
    assert PASSWORD not in repr(_connector().context)


# --- account -------------------------------------------------------------------------------------


def test_verify_reads_the_profile(xrpc):
    xrpc.get("/app.bsky.actor.getProfile").respond(
        200,
        json={
            "did": DID,
            "handle": "brand.example.com",
            "displayName": "Brand",
            "avatar": "https://cdn.example/avatar.jpg",
            "followersCount": 10,
        },
    )
    info = _connector().verify()
    assert (info.remote_id, info.handle, info.display_name, info.avatar_url) == (
        DID,
        "brand.example.com",
        "Brand",
        "https://cdn.example/avatar.jpg",
    )
    sign_in = _sent(xrpc.routes[0])
    assert sign_in == {"identifier": "brand.example.com", "password": PASSWORD}


def test_a_stored_session_is_resumed_without_signing_in_again(xrpc):
    session = _connector().client.export_session_string()
    sign_ins = xrpc.routes[0].call_count
    check = xrpc.get("/com.atproto.server.getSession").respond(
        200, json={"handle": "brand.example.com", "did": DID}
    )
    connector = _connector({"app_password": PASSWORD, "session": session})
    assert connector.did == DID
    assert not check.called  # a kept access token with time left needs no request at all
    assert xrpc.routes[0].call_count == sign_ins


def test_a_revoked_session_falls_back_to_the_app_password(xrpc):
    session = _connector().client.export_session_string()
    sign_ins = xrpc.routes[0].call_count
    revoked = _xrpc_error(400, "ExpiredToken", "Token has been revoked")
    xrpc.post("/com.atproto.server.refreshSession").mock(return_value=revoked)
    xrpc.get("/app.bsky.actor.getProfile").mock(
        side_effect=[revoked, httpx.Response(200, json={"did": DID, "handle": "brand.example.com"})]
    )
    connector = _connector({"app_password": PASSWORD, "session": session})
    assert connector.verify().remote_id == DID
    assert xrpc.routes[0].call_count == sign_ins + 1


def test_refresh_hands_back_a_session_to_store(xrpc):
    renewed = _connector().refresh()
    assert set(renewed.credentials) == {"session"}
    assert DID in renewed.credentials["session"]


def test_a_private_pds_address_is_refused():
    connector = BlueskyConnector(
        ConnectorContext(
            1, {"service_url": "https://pds.internal", "handle": "a.b"}, {"app_password": "x"}
        ),
        transport=Transport(resolver=lambda host, port: ["10.0.0.7"]),
    )
    with pytest.raises(BlockedAddress):
        connector.verify()


# --- error mapping -------------------------------------------------------------------------------


def test_wrong_app_password_is_auth_expired_without_the_secret():
    with respx.mock(base_url=XRPC) as mock:
        mock.post("/com.atproto.server.createSession").mock(
            return_value=_xrpc_error(
                401, "AuthenticationRequired", "Invalid identifier or password"
            )
        )
        with pytest.raises(AuthExpired) as raised:
            _connector().verify()
    assert "Invalid identifier or password" in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_expired_token_is_auth_expired(xrpc):
    expired = _xrpc_error(400, "ExpiredToken", "Token has expired")
    xrpc.get("/app.bsky.actor.getProfile").mock(return_value=expired)
    # The session is renewed once (refresh refused, so a sign-in) and the call repeated.
    xrpc.post("/com.atproto.server.refreshSession").mock(return_value=expired)
    with pytest.raises(AuthExpired):
        _connector().verify()


def test_rate_limit_with_reset_hint(xrpc):
    reset = int(time.time()) + 120
    xrpc.get("/app.bsky.actor.getProfile").mock(
        return_value=_xrpc_error(
            429,
            "RateLimitExceeded",
            "Rate Limit Exceeded",
            {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)},
        )
    )
    with pytest.raises(RateLimited) as raised:
        _connector().verify()
    assert 100 < raised.value.retry_after <= 120


def test_rate_limit_without_hint(xrpc):
    xrpc.get("/app.bsky.actor.getProfile").mock(
        return_value=_xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded")
    )
    with pytest.raises(RateLimited) as raised:
        _connector().verify()
    assert raised.value.retry_after is None


def test_invalid_request_is_rejected_with_the_network_message(xrpc):
    message = "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 400) at $.record.text"
    xrpc.post("/com.atproto.repo.createRecord").mock(
        return_value=_xrpc_error(400, "InvalidRequest", message)
    )
    xrpc.get("/com.atproto.repo.getRecord").mock(
        return_value=_xrpc_error(400, "RecordNotFound", "Could not locate record")
    )
    with pytest.raises(Rejected) as raised:
        _connector().publish(OutgoingPost(text="Hello"), idempotency_key="k")
    assert raised.value.reason == message


def test_server_error_is_transient(xrpc):
    xrpc.get("/app.bsky.actor.getProfile").mock(
        return_value=_xrpc_error(500, "InternalServerError", "Internal Server Error")
    )
    with pytest.raises(Transient):
        _connector().verify()


def test_timeout_is_transient(xrpc):
    xrpc.get("/app.bsky.actor.getProfile").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(Transient) as raised:
        _connector().verify()
    assert "timed out" in str(raised.value)


def test_local_validation_refuses_before_any_request(xrpc):
    with pytest.raises(Rejected):
        _connector().publish(OutgoingPost(text="x" * 301), idempotency_key="k")
    assert not xrpc.routes[0].called


# --- publishing ----------------------------------------------------------------------------------


def test_publish_text_with_facets_under_the_derived_record_key(xrpc):
    xrpc.get("/com.atproto.identity.resolveHandle").respond(200, json={"did": FAN})
    rkey = tid_for_key("variant-7")
    create = xrpc.post("/com.atproto.repo.createRecord").mock(return_value=_created(rkey))
    text = "Hi @fan.example.com see https://example.com #launch"
    ref = _connector().publish(OutgoingPost(text=text, language="en"), idempotency_key="variant-7")
    sent = _sent(create)
    assert sent["rkey"] == rkey and sent["repo"] == DID
    assert sent["collection"] == "app.bsky.feed.post"
    assert sent["record"]["text"] == text and sent["record"]["langs"] == ["en"]
    features = [facet["features"][0] for facet in sent["record"]["facets"]]
    assert features == [
        {"$type": "app.bsky.richtext.facet#mention", "did": FAN},
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"},
        {"$type": "app.bsky.richtext.facet#tag", "tag": "launch"},
    ]
    assert ref.remote_id == f"at://{DID}/app.bsky.feed.post/{rkey}"
    assert ref.url == f"https://bsky.app/profile/brand.example.com/post/{rkey}"
    assert ref.extra["cid"] == CID


@pytest.mark.parametrize(
    "failure",
    [
        _xrpc_error(500, "InternalServerError", "Internal Server Error"),
        _xrpc_error(400, "InvalidRequest", "Record already exists"),
    ],
)
def test_a_second_publish_with_the_same_key_returns_the_first_post(xrpc, failure):
    rkey = tid_for_key("variant-8")
    xrpc.post("/com.atproto.repo.createRecord").mock(return_value=failure)
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200,
        json={
            "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
            "cid": CID,
            "value": {
                "$type": "app.bsky.feed.post",
                "text": "Hello",
                "createdAt": "2026-11-23T10:00:00Z",
            },
        },
    )
    ref = _connector().publish(OutgoingPost(text="Hello"), idempotency_key="variant-8")
    assert ref.remote_id.endswith(rkey) and ref.extra["cid"] == CID


def _held(rkey: str, value: dict) -> dict:
    return {"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": CID, "value": value}


def test_a_different_record_under_the_key_is_a_conflict_not_the_post(xrpc):
    # Another installation (or this one before a restore) used the same key for older words:
    # the create fails, and that record must not pass for this post.
    rkey = tid_for_key("variant-9")
    xrpc.post("/com.atproto.repo.createRecord").mock(
        return_value=_xrpc_error(400, "InvalidRequest", "Record already exists")
    )
    older = {
        "$type": "app.bsky.feed.post",
        "text": "Older words",
        "createdAt": "2026-01-01T00:00:00Z",
    }
    xrpc.get("/com.atproto.repo.getRecord").respond(200, json=_held(rkey, older))
    with pytest.raises(records.RecordConflict):
        _connector().publish(OutgoingPost(text="Hello"), idempotency_key="variant-9")


def test_a_reply_to_another_post_under_the_key_is_a_conflict(xrpc):
    fan_post = f"at://{FAN}/app.bsky.feed.post/3r2"
    xrpc.get("/app.bsky.feed.getPosts").respond(
        200, json={"posts": [_post_view(fan_post, "When do you open?")]}
    )
    xrpc.post("/com.atproto.repo.createRecord").mock(side_effect=httpx.ReadTimeout("slow"))
    elsewhere = {"uri": f"at://{FAN}/app.bsky.feed.post/3other", "cid": CID2}
    same_words = {
        "$type": "app.bsky.feed.post",
        "text": "At nine.",
        "createdAt": "2026-01-01T00:00:00Z",
        "reply": {"root": elsewhere, "parent": elsewhere},
    }
    xrpc.get("/com.atproto.repo.getRecord").respond(
        200, json=_held(tid_for_key("answer-2"), same_words)
    )
    item = IncomingItem(
        ItemKind.REPLY, fan_post, author=_connector_author(), text="?", created_at=datetime.now(UTC)
    )
    with pytest.raises(records.RecordConflict):
        _connector().reply(item, OutgoingPost(text="At nine."), idempotency_key="answer-2")


def test_an_unknown_outcome_without_a_record_stays_transient(xrpc):
    xrpc.post("/com.atproto.repo.createRecord").mock(side_effect=httpx.ReadTimeout("slow"))
    xrpc.get("/com.atproto.repo.getRecord").mock(
        return_value=_xrpc_error(400, "RecordNotFound", "Could not locate record")
    )
    with pytest.raises(Transient):
        _connector().publish(OutgoingPost(text="Hello"), idempotency_key="k")


def test_image_is_uploaded_and_embedded_with_alt_text(xrpc):
    blob = {"$type": "blob", "ref": {"$link": CID2}, "mimeType": "image/png", "size": 15}
    upload = xrpc.post("/com.atproto.repo.uploadBlob").respond(200, json={"blob": blob})
    create = xrpc.post("/com.atproto.repo.createRecord").mock(return_value=_created("3abc"))
    image = MediaItem(
        MediaKind.IMAGE, "image/png", 15, 4, 4, alt_text="A red square", source="a.png"
    )
    _connector().publish(OutgoingPost(text="", media=(image,)), idempotency_key="img")
    assert upload.calls.last.request.headers["content-type"] == "image/png"
    assert upload.calls.last.request.content == b"\x89PNG fake bytes"
    embed = _sent(create)["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "A red square"
    assert embed["images"][0]["image"]["ref"] == {"$link": CID2}
    assert embed["images"][0]["aspectRatio"] == {"width": 4, "height": 4}


def test_thread_parts_reply_to_root_and_previous(xrpc):
    keys = [tid_for_key("t"), tid_for_key("t/thread/1"), tid_for_key("t/thread/2")]
    create = xrpc.post("/com.atproto.repo.createRecord").mock(
        side_effect=[_created(keys[0], CID), _created(keys[1], CID2), _created(keys[2], CID)]
    )
    post = OutgoingPost(text="1/3", thread=(OutgoingPost(text="2/3"), OutgoingPost(text="3/3")))
    ref = _connector().publish(post, idempotency_key="t")
    records = [_untyped(json.loads(call.request.content))["record"] for call in create.calls]
    root = {"uri": f"at://{DID}/app.bsky.feed.post/{keys[0]}", "cid": CID}
    assert "reply" not in records[0]
    assert records[1]["reply"] == {"root": root, "parent": root}
    assert records[2]["reply"] == {
        "root": root,
        "parent": {"uri": f"at://{DID}/app.bsky.feed.post/{keys[1]}", "cid": CID2},
    }
    assert ref.extra["thread"].split() == [
        f"at://{DID}/app.bsky.feed.post/{keys[1]}",
        f"at://{DID}/app.bsky.feed.post/{keys[2]}",
    ]


def test_delete_removes_the_thread_last_part_first(xrpc):
    delete = xrpc.post("/com.atproto.repo.deleteRecord").respond(200, json={})
    ref = PublishedRef(
        remote_id=f"at://{DID}/app.bsky.feed.post/3aaa",
        extra={"cid": CID, "thread": f"at://{DID}/app.bsky.feed.post/3bbb"},
    )
    _connector().delete(ref, idempotency_key="d")
    assert [_sent_call(call)["rkey"] for call in delete.calls] == ["3bbb", "3aaa"]


def _sent_call(call) -> dict:
    return json.loads(call.request.content)


# --- inbox ---------------------------------------------------------------------------------------


def _notification(uri: str, reason: str, indexed_at: str, text: str = "", parent: str = "") -> dict:
    record: dict = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": indexed_at,
        "langs": ["bn"],
    }
    if parent:
        record["reply"] = {
            "root": {"uri": parent, "cid": CID},
            "parent": {"uri": parent, "cid": CID},
        }
    if reason == "like":
        record = {
            "$type": "app.bsky.feed.like",
            "subject": {"uri": parent, "cid": CID},
            "createdAt": indexed_at,
        }
    return {
        "uri": uri,
        "cid": CID,
        "author": {
            "did": FAN,
            "handle": "fan.example.com",
            "displayName": "A Fan",
            "avatar": "https://cdn.example/f.jpg",
        },
        "reason": reason,
        "record": record,
        "isRead": False,
        "indexedAt": indexed_at,
    }


OURS = f"at://{DID}/app.bsky.feed.post/3ours"
NOTIFICATIONS = [
    _notification(
        f"at://{FAN}/app.bsky.feed.post/3r2",
        "reply",
        "2026-11-23T10:00:02.000Z",
        "কখন খুলবেন?",
        OURS,
    ),
    _notification(
        f"at://{FAN}/app.bsky.feed.like/3l1", "like", "2026-11-23T10:00:01.500Z", parent=OURS
    ),
    _notification(
        f"at://{FAN}/app.bsky.feed.post/3m1",
        "mention",
        "2026-11-23T10:00:01.000Z",
        "@brand.example.com hi",
    ),
]


def test_inbox_maps_mentions_and_replies_and_skips_likes(xrpc):
    xrpc.get("/app.bsky.notification.listNotifications").respond(
        200, json={"notifications": NOTIFICATIONS, "cursor": "2026-11-23T10:00:01.000Z"}
    )
    page = _connector().fetch_inbox(None)
    mention, reply = page.items
    assert mention.kind == ItemKind.MENTION and mention.parent_id == ""
    assert reply.kind == ItemKind.REPLY
    assert (reply.parent_id, reply.root_id) == (OURS, OURS)
    assert reply.text == "কখন খুলবেন?" and reply.language == "bn"
    assert reply.author.handle == "fan.example.com" and reply.author.display_name == "A Fan"
    assert reply.url == "https://bsky.app/profile/fan.example.com/post/3r2"
    assert reply.created_at == datetime(2026, 11, 23, 10, 0, 2, tzinfo=UTC)
    assert page.cursor is not None


def test_inbox_since_a_cursor_returns_only_what_is_new(xrpc):
    route = xrpc.get("/app.bsky.notification.listNotifications")
    route.respond(200, json={"notifications": NOTIFICATIONS[1:], "cursor": "c1"})
    connector = _connector()
    first = connector.fetch_inbox(None)
    route.respond(200, json={"notifications": NOTIFICATIONS, "cursor": "c1"})
    second = connector.fetch_inbox(first.cursor)
    assert [item.remote_id for item in second.items] == [NOTIFICATIONS[0]["uri"]]
    route.respond(200, json={"notifications": NOTIFICATIONS, "cursor": "c1"})
    assert connector.fetch_inbox(second.cursor).items == ()


def test_reply_to_an_inbox_item_cites_its_parent_and_root(xrpc):
    fan_post = f"at://{FAN}/app.bsky.feed.post/3r2"
    view = _post_view(fan_post, "কখন খুলবেন?")
    view["record"]["reply"] = {
        "root": {"uri": OURS, "cid": CID2},
        "parent": {"uri": OURS, "cid": CID2},
    }
    xrpc.get("/app.bsky.feed.getPosts").respond(200, json={"posts": [view]})
    create = xrpc.post("/com.atproto.repo.createRecord").mock(return_value=_created("3ans"))
    item = IncomingItem(
        ItemKind.REPLY, fan_post, author=_connector_author(), text="?", created_at=datetime.now(UTC)
    )
    _connector().reply(item, OutgoingPost(text="At nine."), idempotency_key="answer-1")
    assert _sent(create)["record"]["reply"] == {
        "root": {"uri": OURS, "cid": CID2},
        "parent": {"uri": fan_post, "cid": CID},
    }
    assert _sent(create)["rkey"] == tid_for_key("answer-1")


def _connector_author():
    from kalrav.connectors.base import Author

    return Author(remote_id=FAN, handle="fan.example.com")


# --- insights, listening -------------------------------------------------------------------------


def test_post_metrics_from_get_posts(xrpc):
    route = xrpc.get("/app.bsky.feed.getPosts").respond(
        200, json={"posts": [_post_view(OURS, "Ours", likes=3, reposts=1, replies=2, quotes=1)]}
    )
    rows = _connector().post_metrics([PublishedRef(remote_id=OURS)])
    assert {row.metric: row.value for row in rows} == {
        "likes": 3,
        "reposts": 1,
        "replies": 2,
        "quotes": 1,
    }
    assert {row.remote_id for row in rows} == {OURS}
    assert route.calls.last.request.url.params.get_list("uris") == [OURS]


def test_channel_metrics_from_the_profile(xrpc):
    xrpc.get("/app.bsky.actor.getProfile").respond(
        200,
        json={
            "did": DID,
            "handle": "brand.example.com",
            "followersCount": 12,
            "followsCount": 3,
            "postsCount": 40,
        },
    )
    rows = {row.metric: row.value for row in _connector().channel_metrics()}
    assert rows == {"followers": 12, "follows": 3, "posts": 40}


def test_search_returns_posts_and_the_next_cursor(xrpc):
    route = xrpc.get("/app.bsky.feed.searchPosts").respond(
        200,
        json={
            "posts": [_post_view(f"at://{FAN}/app.bsky.feed.post/3s1", "love #kalrav")],
            "cursor": "25",
        },
    )
    page = _connector().search("#kalrav", Cursor("0"))
    assert [item.text for item in page.items] == ["love #kalrav"]
    assert page.cursor == Cursor("25")
    params = route.calls.last.request.url.params
    assert (params["q"], params["cursor"]) == ("#kalrav", "0")
