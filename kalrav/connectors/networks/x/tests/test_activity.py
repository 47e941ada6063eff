"""The Account Activity webhook, with real HMAC-SHA256 under the consumer secret: the CRC answer,
deliveries refused without the right signature (nothing stored), a replay stored once, two
accounts in one delivery each reaching its own channel, and the account's own posts and
messages skipped."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import override_settings

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import ItemKind, opened
from kalrav.connectors.networks.x.connector import XConnector
from kalrav.inbox.models import Message
from kalrav.workspaces.models import Workspace

SECRET = "consumer-secret-for-tests"
OURS, OTHER = "2244994945", "3355005056"
ASHA = {"id_str": "9876543210", "screen_name": "asha_reads", "name": "Asha"}


def _sign(body: bytes, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _mention(post_id: str, text: str, user: dict, reply_to: str = "") -> dict:
    return {
        "id_str": post_id,
        "created_at": "Mon Dec 07 06:00:00 +0000 2026",
        "text": text,
        "user": user,
        "in_reply_to_status_id_str": reply_to or None,
        "lang": "en",
    }


def _delivery(account: str, *posts: dict, dms: tuple = ()) -> dict:
    body: dict = {"for_user_id": account, "tweet_create_events": list(posts)}
    if dms:
        body["direct_message_events"] = list(dms)
        body["users"] = {"9876543210": ASHA}
    return body


def _dm(event_id: str, sender: str, recipient: str, text: str) -> dict:
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": "1796623200000",
        "message_create": {
            "target": {"recipient_id": recipient},
            "sender_id": sender,
            "message_data": {"text": text},
        },
    }


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_the_crc_answer_is_the_hmac_of_the_token() -> None:
    answer = XConnector.answer_handshake({"crc_token": "abc123"}, {})
    assert answer is not None and answer.content_type == "application/json"
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), b"abc123", hashlib.sha256).digest()
    ).decode()
    assert json.loads(answer.body) == {"response_token": f"sha256={expected}"}
    assert XConnector.answer_handshake({}, {}) is None


@override_settings(X_CONSUMER_SECRET="")
def test_without_the_secret_the_crc_is_refused() -> None:
    with pytest.raises(PermissionError):
        XConnector.answer_handshake({"crc_token": "abc123"}, {})


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_the_accounts_own_posts_messages_and_reposts_are_skipped() -> None:
    own = {"id_str": OURS, "screen_name": "chaicorner", "name": "Chai Corner"}
    repost = {**_mention("13", "RT", ASHA), "retweeted_status": {"id_str": "1"}}
    body = json.dumps(
        _delivery(
            OURS,
            _mention("11", "@chaicorner hi &amp; bye", ASHA),
            _mention("12", "our own post", own),
            repost,
            dms=(_dm("21", "9876543210", OURS, "hello"), _dm("22", OURS, "9876543210", "hi")),
        )
    ).encode()
    delivery = XConnector.receive_for_app({"x-twitter-webhooks-signature": _sign(body)}, body)
    items = [item for _account, item in delivery.items]
    assert [item.remote_id for item in items] == ["11", "21"]
    assert items[0].text == "@chaicorner hi & bye" and items[0].kind == ItemKind.MENTION
    assert items[1].kind == ItemKind.DIRECT_MESSAGE and items[1].root_id == f"{OURS}-9876543210"
    assert items[1].author.handle == "asha_reads"


@pytest.fixture
def two_channels(workspace):
    return [
        Channel.objects.create(
            workspace=workspace,
            network="x",
            name=name,
            remote_id=account,
            state=ChannelState.ACTIVE,
        )
        for name, account in (("Chai Corner", OURS), ("Chai Corner Pune", OTHER))
    ]


def _post(client, body: bytes, signature: str | None):
    headers = {"HTTP_X_TWITTER_WEBHOOKS_SIGNATURE": signature} if signature is not None else {}
    return client.post("/hooks/networks/x/", body, content_type="application/json", **headers)


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_the_crc_get_through_the_address(client) -> None:
    response = client.get("/hooks/networks/x/", {"crc_token": "token-1"})
    assert response.status_code == 200
    assert json.loads(response.content)["response_token"] == _sign(b"token-1")


@override_settings(X_CONSUMER_SECRET=SECRET)
@pytest.mark.parametrize("signature", [None, "", "sha256=AAAA", _sign(b"another body")])
def test_a_delivery_without_the_right_signature_stores_nothing(
    client, two_channels, signature
) -> None:
    body = json.dumps(_delivery(OURS, _mention("11", "@chaicorner hi", ASHA))).encode()
    assert _post(client, body, signature).status_code == 403
    assert not Message.objects.exists()


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_a_delivery_signed_with_another_secret_is_refused(client, two_channels) -> None:
    body = json.dumps(_delivery(OURS, _mention("11", "@chaicorner hi", ASHA))).encode()
    assert _post(client, body, _sign(body, "not-ours")).status_code == 403
    assert not Message.objects.exists()


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_a_replay_is_stored_once(client, two_channels) -> None:
    body = json.dumps(
        _delivery(
            OURS,
            _mention("11", "@chaicorner open?", ASHA),
            dms=(_dm("21", "9876543210", OURS, "hello"),),
        )
    ).encode()
    for _try in range(2):  # X delivers again when it did not hear back in time
        response = _post(client, body, _sign(body))
        assert response.status_code == 200 and response.json()["items"] == 2
    assert sorted(Message.objects.values_list("remote_id", flat=True)) == ["11", "21"]
    assert set(Message.objects.values_list("channel_id", flat=True)) == {two_channels[0].pk}


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_two_accounts_in_one_delivery_reach_their_own_channels(client, two_channels) -> None:
    # X sends one account's events per payload; a batch of two is two payloads, each signed.
    first = json.dumps(_delivery(OURS, _mention("11", "@chaicorner hi", ASHA))).encode()
    second = json.dumps(_delivery(OTHER, _mention("12", "@chaipune hi", ASHA))).encode()
    assert _post(client, first, _sign(first)).json()["channels"] == 1
    assert _post(client, second, _sign(second)).json()["channels"] == 1
    stored = dict(Message.objects.values_list("remote_id", "channel_id"))
    assert stored == {"11": two_channels[0].pk, "12": two_channels[1].pk}


@override_settings(X_CONSUMER_SECRET=SECRET)
def test_one_account_in_two_workspaces_gets_the_delivery_in_both(
    client, two_channels, outsider
) -> None:
    other_workspace = Workspace.objects.get(members__user=outsider)
    elsewhere = Channel.objects.create(
        workspace=other_workspace,
        network="x",
        name="Chai Corner",
        remote_id=OURS,
        state=ChannelState.ACTIVE,
    )
    body = json.dumps(_delivery(OURS, _mention("11", "@chaicorner hi", ASHA))).encode()
    assert _post(client, body, _sign(body)).json()["channels"] == 2
    assert set(Message.objects.values_list("channel_id", flat=True)) == {
        two_channels[0].pk,
        elsewhere.pk,
    }


# --- Subscribing each account to the registered webhook (against the fake X) ------------------


@override_settings(X_WEBHOOK_ID="1146654567674912769", X_DIRECT_MESSAGES=True)
def test_checking_a_channel_subscribes_it_once_and_a_second_check_still_works(fake) -> None:
    with opened(fake.connector()) as connector:
        assert connector.verify().remote_id == OURS
        assert connector.verify().remote_id == OURS  # already subscribed: X says so, no harm
    assert fake.subscriptions == ["1146654567674912769"]


@override_settings(X_WEBHOOK_ID="1146654567674912769", X_DIRECT_MESSAGES=True)
def test_an_access_level_without_account_activity_leaves_the_channel_polling(fake) -> None:
    fake.dm_access = False
    with opened(fake.connector()) as connector:
        assert connector.verify().remote_id == OURS
    assert fake.subscriptions == []


@override_settings(X_WEBHOOK_ID="", X_DIRECT_MESSAGES=True)
def test_without_a_registered_webhook_nothing_is_subscribed(fake) -> None:
    with opened(fake.connector()) as connector:
        connector.verify()
    assert not [t for _m, t in fake.requests if "account_activity" in t]
