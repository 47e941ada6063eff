"""Meta's deliveries for Instagram at /hooks/networks/instagram/: the subscribe handshake, the
X-Hub-Signature-256 over the raw body (real HMAC), batched entries for two accounts, and a
replayed delivery stored once."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.test import override_settings

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import ItemKind
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from kalrav.connectors.networks.instagram.tests.conftest import APP_SECRET, VERIFY_TOKEN
from kalrav.connectors.testing import recorded
from kalrav.inbox.models import Message

FIXTURES = Path(__file__).parent / "fixtures"
OURS, OTHER = "17841400008460056", "17841400000000002"
META = override_settings(META_APP_SECRET=APP_SECRET, META_WEBHOOK_VERIFY_TOKEN=VERIFY_TOKEN)


def body_of(name: str) -> bytes:
    return json.dumps(recorded(FIXTURES, name).body, ensure_ascii=False).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, body: bytes, signature: str | None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    return client.post(
        "/hooks/networks/instagram/", body, content_type="application/json", **headers
    )


@pytest.fixture
def two_channels(workspace):
    return [
        Channel.objects.create(
            workspace=workspace,
            network="instagram",
            name=name,
            remote_id=account,
            state=ChannelState.ACTIVE,
        )
        for name, account in (("Chai on Instagram", OURS), ("Chai Pune", OTHER))
    ]


@META
def test_the_reader_maps_comments_replies_and_messages():
    comments = InstagramConnector.receive_for_app(
        {"X-Hub-Signature-256": sign(body_of("webhook_comments"))}, body_of("webhook_comments")
    )
    [(first_account, comment), (second_account, reply)] = comments.items
    assert (first_account, second_account) == (OURS, OTHER)
    assert comment.kind == ItemKind.COMMENT and comment.author.handle == "chai_lover"
    assert comment.root_id == "17918195224117851"
    assert reply.kind == ItemKind.REPLY and reply.parent_id == "17865799348000001"
    body = body_of("webhook_messaging")
    [(account, message)] = InstagramConnector.receive_for_app(
        {"X-Hub-Signature-256": sign(body)}, body
    ).items
    assert account == OURS and message.kind == ItemKind.DIRECT_MESSAGE  # the echo is skipped
    assert message.text == "আপনারা কখন খোলেন?" and message.author.remote_id == "1254459154682919"
    body = body_of("webhook_mentions")
    [(account, mention)] = InstagramConnector.receive_for_app(
        {"X-Hub-Signature-256": sign(body)}, body
    ).items
    assert mention.kind == ItemKind.MENTION and mention.remote_id == "17894227972186120"


@META
def test_a_body_for_another_object_is_unreadable():
    body = json.dumps({"object": "page", "entry": []}).encode()
    with pytest.raises(ValueError):
        InstagramConnector.receive_for_app({"X-Hub-Signature-256": sign(body)}, body)


@META
def test_the_handshake_echoes_the_challenge_only_for_the_token(client, db):
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": ""}
    good = client.get("/hooks/networks/instagram/", {**query, "hub.verify_token": VERIFY_TOKEN})
    assert good.status_code == 200 and good.content == b"1158201444"
    assert client.get("/hooks/networks/instagram/", query).status_code == 403
    assert client.get("/hooks/networks/instagram/", {"x": "1"}).status_code == 404


@META
@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, sign(b"another body"), sign(body_of("webhook_comments"), "x")],
)
def test_a_delivery_without_the_right_signature_stores_nothing(client, two_channels, signature):
    assert post(client, body_of("webhook_comments"), signature).status_code == 403
    assert not Message.objects.exists()


@META
def test_two_accounts_in_one_delivery_reach_their_own_channels(client, two_channels):
    body = body_of("webhook_comments")
    response = post(client, body, sign(body))
    assert response.status_code == 200 and response.json()["channels"] == 2
    stored = dict(Message.objects.values_list("remote_id", "channel_id"))
    assert stored == {
        "17865799348089039": two_channels[0].pk,
        "17865799348000002": two_channels[1].pk,
    }


@META
def test_a_replayed_delivery_is_stored_once(client, two_channels):
    body = body_of("webhook_messaging")
    for _try in range(2):  # Meta delivers again when it did not hear back in time
        assert post(client, body, sign(body)).status_code == 200
    assert list(Message.objects.values_list("remote_id", flat=True)) == [
        "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx"
    ]
