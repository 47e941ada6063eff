"""The webhook: only Telegram's deliveries (the secret-token header) are read, and a payload that
is not an Update is refused with a reason, never a crash."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import ItemKind
from kalrav.connectors.networks.telegram.connector import WebhookRefused
from kalrav.connectors.networks.telegram.webhook import (
    SECRET_HEADER,
    MalformedUpdate,
    parse_echo,
    parse_update,
    secret_for,
    verify_webhook,
)

from .conftest import CHANNEL_ID, GROUP_ID, TOKEN, answer, fixture

SECRET = secret_for(TOKEN, 17)
BODY = json.dumps(fixture("webhook_comment"), ensure_ascii=False).encode()


def test_secret_is_what_setwebhook_accepts_and_hides_the_token():
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", SECRET)
    assert TOKEN.split(":")[1] not in SECRET
    assert secret_for(TOKEN, 17) == SECRET, "every web process derives the same one"
    assert secret_for(TOKEN, 18) != SECRET and secret_for(TOKEN + "x", 17) != SECRET


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        ({SECRET_HEADER: SECRET}, True),
        ({SECRET_HEADER.lower(): SECRET}, True),
        ({SECRET_HEADER: SECRET[:-1]}, False),
        ({SECRET_HEADER: SECRET + "x"}, False),
        ({SECRET_HEADER: ""}, False),
        ({SECRET_HEADER: "ক" * 43}, False),
        ({}, False),
        ({"X-Other": SECRET}, False),
    ],
)
def test_verify_webhook(headers, accepted):
    assert verify_webhook(headers, SECRET) is accepted


def test_an_empty_secret_verifies_nothing():
    assert verify_webhook({SECRET_HEADER: ""}, "") is False


def test_a_comment_delivery_becomes_an_item():
    (item,) = parse_update(BODY)
    assert item.kind == ItemKind.COMMENT and item.remote_id == f"{GROUP_ID}:902"
    assert item.parent_id == f"{CHANNEL_ID}:42" and item.text == "দারুণ! 🎉 কখন শুরু?"
    assert parse_update(BODY.decode()) == parse_update(json.loads(BODY)) == [item]


def test_updates_kalrav_does_not_read_are_empty_not_errors():
    assert parse_update({"update_id": 1, "callback_query": {"id": "x"}}) == []
    assert parse_update({"update_id": 2, "my_chat_member": {"chat": {}}}) == []
    assert parse_update({"update_id": 3}) == []


def test_an_odd_forward_date_falls_back_to_the_copy_date():
    origin = {"type": "channel", "chat": {"id": CHANNEL_ID}, "message_id": 5, "date": "x"}
    forward = {
        "update_id": 1,
        "message": {
            "message_id": 7,
            "date": 1718000001,
            "chat": {"id": GROUP_ID, "type": "supergroup"},
            "is_automatic_forward": True,
            "forward_origin": origin,
        },
    }
    echo = parse_echo(forward)
    assert echo is not None and echo.ref.remote_id == f"{CHANNEL_ID}:5"
    assert echo.ref.published_at is not None and echo.ref.published_at.year == 2024


def test_a_channel_post_is_an_echo_not_an_item():
    update = {"update_id": 9, "channel_post": fixture("sendMessage")["result"]}
    assert parse_update(update) == []
    echo = parse_echo(update)
    assert echo is not None and echo.ref.remote_id == f"{CHANNEL_ID}:42"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "not JSON"),
        (b"{update_id: 1}", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
        (b"null", "not a JSON object"),
        ({"message": {}}, "update.update_id is missing or not an integer"),
        ({"update_id": "1"}, "update.update_id is missing or not an integer"),
        ({"update_id": True}, "update.update_id is missing or not an integer"),
        ({"update_id": 1, "message": "hi"}, "update.message is not an object"),
        (
            {"update_id": 1, "message": {"message_id": 1, "date": 1}},
            "update.message.chat is missing or not an object",
        ),
        (
            {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": "x"}}},
            "update.message.chat.id is missing or not an integer",
        ),
        (
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 1,
                    "chat": {"id": 1, "type": "group"},
                    "text": 5,
                },
            },
            "update.message.text is not a string",
        ),
        (
            {
                "update_id": 1,
                "message": {
                    "message_id": 2,
                    "date": 1,
                    "chat": {"id": 1, "type": "group"},
                    "reply_to_message": {"message_id": 1, "chat": {"id": 1, "type": "group"}},
                },
            },
            "update.message.reply_to_message.date is missing or not an integer",
        ),
        (
            {
                "update_id": 1,
                "message": {"message_id": 1, "date": -(10**20), "chat": {"id": 1, "type": "group"}},
            },
            "update.message.date is not a time",
        ),
        (b"x" * 1_000_001, "larger than"),
    ],
)
def test_malformed_payloads_are_refused_with_the_reason(payload, reason):
    with pytest.raises(MalformedUpdate) as raised:
        parse_update(payload)
    assert reason in str(raised.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "update_id",
                    "message",
                    "edited_message",
                    "channel_post",
                    "message_id",
                    "date",
                    "chat",
                    "id",
                    "type",
                    "from",
                    "text",
                    "caption",
                    "reply_to_message",
                    "sender_chat",
                    "is_automatic_forward",
                    "forward_origin",
                    "message_thread_id",
                    "poll",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@given(JSON)
def test_nothing_but_a_clear_refusal_escapes(payload):
    for parse in (parse_update, parse_echo):
        try:
            parse(payload)
        except MalformedUpdate as error:
            assert str(error)
        try:
            parse(json.dumps(payload).encode())
        except MalformedUpdate as error:
            assert str(error)


def test_receive_refuses_a_wrong_secret_before_reading(connector, telegram):
    with pytest.raises(WebhookRefused):
        connector.receive({SECRET_HEADER: "guess"}, BODY)
    assert not telegram.calls


def test_receive_reads_a_delivery_for_this_channel(connector, telegram):
    telegram.get("/getChat").mock(return_value=answer("getChat_channel"))
    delivery = connector.receive({SECRET_HEADER: connector.webhook_secret()}, BODY)
    assert [item.remote_id for item in delivery.items] == [f"{GROUP_ID}:902"]
    assert delivery.echo is None
    with pytest.raises(MalformedUpdate):
        connector.receive({SECRET_HEADER: connector.webhook_secret()}, b"{}")


def test_receive_drops_messages_from_chats_that_are_not_this_channels(connector, telegram):
    telegram.get("/getChat").mock(return_value=answer("getChat_channel"))
    update = fixture("webhook_comment")
    update["message"]["chat"] = {"id": -1009999999999, "type": "supergroup", "title": "other"}
    delivery = connector.receive({SECRET_HEADER: SECRET}, json.dumps(update))
    assert delivery.items == ()


def test_set_webhook_sends_the_secret(connector, telegram):
    route = telegram.post("/setWebhook").mock(return_value=answer("true"))
    connector.set_webhook("https://kalrav.example/hooks/telegram/17/")
    body = json.loads(route.calls.last.request.content)
    assert body["secret_token"] == SECRET
    assert body["url"] == "https://kalrav.example/hooks/telegram/17/"
    assert body["allowed_updates"] == ["message", "edited_message", "channel_post"]
    delete = telegram.post("/deleteWebhook").mock(return_value=answer("true"))
    connector.delete_webhook()
    assert json.loads(delete.calls.last.request.content) == {"drop_pending_updates": False}
