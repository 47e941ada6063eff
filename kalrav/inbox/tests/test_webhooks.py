"""Webhook deliveries, with Telegram's real connector reading a documented Update."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.networks.telegram.connector import TelegramConnector
from kalrav.connectors.networks.telegram.webhook import secret_for
from kalrav.connectors.testing import recorded
from kalrav.inbox.models import Message

FIXTURES = Path(__file__).resolve().parents[2] / "connectors/networks/telegram/tests/fixtures"
# The Update as Telegram delivers it (a recorded payload: see kalrav.connectors.testing).
UPDATE = json.dumps(recorded(FIXTURES, "webhook_comment").body, ensure_ascii=False)
TOKEN = "7000000001:AAH-fakeTokenForTestsOnly_abcdefghij"


@pytest.fixture
def telegram_channel(workspace, monkeypatch):
    # The discussion group is what getChat would name; asked of Telegram in production.
    monkeypatch.setattr(TelegramConnector, "community_chats", lambda self: {-1001122334455})
    return Channel.objects.create(
        workspace=workspace,
        network="telegram",
        name="News",
        config={"chat_id": "@kalrav_news"},
        credentials=sealed.seal({"bot_token": TOKEN}),
        state=ChannelState.ACTIVE,
    )


def _deliver(client, channel, body: str, secret: str | None):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return client.post(
        f"/hooks/channels/{channel.pk}/", body, content_type="application/json", **headers
    )


def test_a_signed_comment_is_stored_once(client, telegram_channel):
    body = UPDATE
    secret = secret_for(TOKEN, telegram_channel.pk)
    first = _deliver(client, telegram_channel, body, secret)
    assert first.status_code == 200
    assert first.json() == {"ok": True, "items": 1}
    assert _deliver(client, telegram_channel, body, secret).status_code == 200  # Telegram retries
    message = Message.objects.get()
    assert message.via == "webhook"
    assert message.author_name.startswith("রিয়া")


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_a_delivery_without_the_secret_is_refused_and_nothing_is_stored(
    client, telegram_channel, secret
):
    response = _deliver(client, telegram_channel, UPDATE, secret)
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_a_malformed_delivery_gets_the_reason(client, telegram_channel):
    update = json.loads(UPDATE)
    del update["message"]["chat"]
    response = _deliver(
        client, telegram_channel, json.dumps(update), secret_for(TOKEN, telegram_channel.pk)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert "chat" in response.json()["message"]
    assert not Message.objects.exists()
    assert (
        _deliver(
            client, telegram_channel, "not json", secret_for(TOKEN, telegram_channel.pk)
        ).status_code
        == 400
    )


def test_networks_without_webhooks_and_unknown_channels_are_not_found(client, workspace):
    bluesky = Channel.objects.create(workspace=workspace, network="bluesky", name="B")
    assert (
        client.post(
            f"/hooks/channels/{bluesky.pk}/", "{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post("/hooks/channels/999999/", "{}", content_type="application/json").status_code
        == 404
    )
    assert client.get(f"/hooks/channels/{bluesky.pk}/").status_code == 405


def test_json_nested_too_deeply_is_malformed_not_a_crash(client, telegram_channel):
    body = "[" * 200_000 + "]" * 200_000
    response = _deliver(client, telegram_channel, body, secret_for(TOKEN, telegram_channel.pk))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert not Message.objects.exists()
