"""Meta's app webhook through Kalrav's address /hooks/networks/facebook/, with real HMAC-SHA256
under the app secret: the subscribe handshake, deliveries refused without the right signature
(nothing stored), batched entries for two Pages each reaching its own channel, the Page's own
comments and echoes skipped, a partial comment completed by a fetch, and a replay stored once."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import override_settings

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import ItemKind
from kalrav.connectors.networks.facebook.connector import FacebookConnector
from kalrav.connectors.networks.facebook.tests.fake import (
    APP_SECRET,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    FakeGraph,
    fixture,
)
from kalrav.inbox.models import Message

PAGE_ONE, PAGE_TWO = "104000000000001", "104000000000002"
URL = "/hooks/networks/facebook/"


def _sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _body(name: str) -> bytes:
    return json.dumps(fixture(name), ensure_ascii=False).encode()


def _post(client, body: bytes, signature: str | None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    return client.post(URL, body, content_type="application/json", **headers)


@pytest.fixture
def pages(workspace, fake: FakeGraph):
    with override_settings(ALLOW_PRIVATE_ADDRESSES=True):  # the fake answers, not DNS
        yield [
            Channel.objects.create(
                workspace=workspace,
                network="facebook",
                name=name,
                remote_id=page,
                config={"page_id": page},
                credentials=sealed.seal({"page_token": PAGE_TOKEN}),
                state=ChannelState.ACTIVE,
            )
            for name, page in (("Chai Corner", PAGE_ONE), ("চা ঘর", PAGE_TWO))
        ]


def test_the_subscribe_handshake(client, fake: FakeGraph) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    answer = client.get(URL, query)
    assert (answer.status_code, answer.content) == (200, b"1158201444")
    assert client.get(URL, {**query, "hub.verify_token": "guess"}).status_code == 403
    assert client.get(URL, {"hub.challenge": "1"}).status_code == 404


@pytest.mark.parametrize(
    "signature", [None, "", "sha256=" + "0" * 64, _sign(b"another body"), _sign(b"", "not-ours")]
)
def test_a_delivery_without_the_right_signature_stores_nothing(client, pages, signature) -> None:
    assert _post(client, _body("webhook_batched"), signature).status_code == 403
    assert not Message.objects.exists()


def test_signed_with_another_secret_is_refused(client, pages) -> None:
    body = _body("webhook_batched")
    assert _post(client, body, _sign(body, "not-ours")).status_code == 403
    assert not Message.objects.exists()


def test_a_body_that_is_not_json_is_malformed(client, pages) -> None:
    body = b"object=page"
    assert _post(client, body, _sign(body)).status_code == 400


def test_batched_entries_reach_each_pages_channel_and_a_replay_is_stored_once(
    client, pages
) -> None:
    body = _body("webhook_batched")
    for _try in range(2):  # Meta delivers again when it did not hear back in time
        answer = _post(client, body, _sign(body))
        assert answer.status_code == 200
        assert answer.json()["items"] == 2 and answer.json()["channels"] == 2
    stored = dict(Message.objects.values_list("remote_id", "channel_id"))
    assert stored == {
        "900000000000001_500000000000003": pages[0].pk,  # the Page's own and the removal skipped
        "m_1457764197618:41d102a3e1ae206a38": pages[1].pk,  # the echo skipped
    }
    dm = Message.objects.get(channel=pages[1])
    assert dm.text == "Κλειστά την Κυριακή;"


def test_a_partial_comment_is_completed_by_a_fetch(client, pages, fake: FakeGraph) -> None:
    fake.comments["900000000000001_500000000000002"] = {
        **fixture("comment"),
        "post_id": "104000000000001_900000000000001",
    }
    body = _body("webhook_partial")
    assert _post(client, body, _sign(body)).status_code == 200
    message = Message.objects.get()
    assert message.text == "কখন খুলবেন?"
    assert ("GET", "900000000000001_500000000000002") in fake.requests


def test_reading_a_delivery_directly() -> None:
    body = _body("webhook_batched")
    with override_settings(META_APP_SECRET=APP_SECRET):
        delivery = FacebookConnector.receive_for_app({"X-Hub-Signature-256": _sign(body)}, body)
    kinds = [(page, item.kind) for page, item in delivery.items]
    assert kinds == [(PAGE_ONE, ItemKind.REPLY), (PAGE_TWO, ItemKind.DIRECT_MESSAGE)]
    reply = delivery.items[0][1]
    assert reply.parent_id == "900000000000001_500000000000002"
    assert reply.root_id == "104000000000001_900000000000001"


def test_an_instagram_delivery_is_not_read_here() -> None:
    body = json.dumps({"object": "instagram", "entry": [{"id": "1", "changes": []}]}).encode()
    with override_settings(META_APP_SECRET=APP_SECRET):
        assert (
            FacebookConnector.receive_for_app({"X-Hub-Signature-256": _sign(body)}, body).items
            == ()
        )
