"""Bot API answers read into Kalrav's typed errors, and the bot token kept out of every message,
repr and log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from kalrav.connectors.base import OutgoingPost
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient
from kalrav.connectors.networks.telegram.client import BotApi, error_from_answer, redact

from .conftest import TOKEN, answer, fixture

POST = OutgoingPost("নমস্কার")


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("error_401", AuthExpired, "Unauthorized"),
        ("error_404", AuthExpired, "Not Found"),
        ("error_403_kicked", AuthExpired, "bot was kicked from the channel chat"),
        ("error_403_blocked", Rejected, "Forbidden: bot was blocked by the user"),
        ("error_400_too_long", Rejected, "Bad Request: message is too long"),
        ("error_400_chat_not_found", Rejected, "Bad Request: chat not found"),
        ("error_400_migrated", Rejected, "-1001122334455"),
        ("error_409", Rejected, "webhook is active"),
        ("error_429", RateLimited, "retry after 35"),
        ("error_500", Transient, "Internal Server Error"),
    ],
)
def test_each_documented_error_becomes_its_type(connector, telegram, name, error, words):
    telegram.post("/sendMessage").mock(return_value=answer(name))
    with pytest.raises(error) as raised:
        connector.publish(POST, idempotency_key="v1")
    assert words in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert type(raised.value) is error


def test_rate_limit_reads_retry_after_from_the_parameters(connector, telegram):
    telegram.post("/sendMessage").mock(return_value=answer("error_429"))
    with pytest.raises(RateLimited) as raised:
        connector.publish(POST, idempotency_key="v1")
    assert raised.value.retry_after == 35


def test_rate_limit_without_a_hint_has_none():
    error = error_from_answer(429, {"ok": False, "error_code": 429, "description": "Too Many"})
    assert isinstance(error, RateLimited) and error.retry_after is None


def test_a_write_is_never_repeated_after_a_server_error(connector, telegram, slept):
    route = telegram.post("/sendMessage").mock(return_value=answer("error_500"))
    with pytest.raises(Transient):
        connector.publish(POST, idempotency_key="v1")
    assert route.call_count == 1 and slept == []


def test_a_read_is_retried_after_a_server_error(connector, telegram, slept):
    route = telegram.get("/getChatMemberCount").mock(
        side_effect=[answer("error_500"), answer("getChatMemberCount")]
    )
    (row,) = connector.channel_metrics()
    assert row.value == 12873 and route.call_count == 2 and len(slept) == 1


def test_a_proxy_error_page_is_transient(connector, telegram):
    telegram.post("/sendMessage").respond(502, text="<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(Transient) as raised:
        connector.publish(POST, idempotency_key="v1")
    assert "502" in str(raised.value)


def test_a_timeout_is_transient_and_names_no_token(connector, telegram):
    telegram.post("/sendMessage").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(Transient) as raised:
        connector.publish(POST, idempotency_key="v1")
    assert "timed out" in str(raised.value) and TOKEN not in str(raised.value)


def test_an_ok_false_answer_with_http_200_is_not_taken_for_success():
    assert isinstance(error_from_answer(200, {"ok": False, "description": "odd"}), Transient)
    assert isinstance(error_from_answer(200, "not an object"), Transient)
    assert error_from_answer(200, fixture("true")) is None


def test_token_never_shows_in_reprs_or_messages(connector, telegram):
    assert TOKEN not in repr(connector) and TOKEN not in repr(connector.api)
    assert TOKEN not in repr(connector.context)
    assert redact(f"POST https://api.telegram.org/bot{TOKEN}/getMe") == (
        "POST https://api.telegram.org/bot<bot-token>/getMe"
    )
    assert redact(f"echo {TOKEN}", TOKEN) == "echo <bot-token>"


def test_httpx_request_log_is_scrubbed(connector, telegram, caplog):
    telegram.get("/getMe").mock(return_value=answer("getMe"))
    with caplog.at_level(logging.INFO, logger="httpx"):
        connector.api.read("getMe")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "getMe" in logged and "bot<bot-token>/getMe" in logged
    assert TOKEN not in logged


def test_an_error_echoing_the_token_is_scrubbed(connector, telegram):
    telegram.post("/sendMessage").respond(
        400, json={"ok": False, "error_code": 400, "description": f"Bad Request: {TOKEN}"}
    )
    with pytest.raises(Rejected) as raised:
        connector.publish(POST, idempotency_key="v1")
    assert TOKEN not in str(raised.value) and TOKEN not in raised.value.reason


def test_a_malformed_token_is_refused_before_any_request(make_connector, telegram):
    connector = make_connector(token="not-a-token")
    with pytest.raises(AuthExpired) as raised:
        connector.verify()
    assert "not-a-token" not in str(raised.value)
    assert not telegram.calls


def test_bot_api_repr_hides_the_token():
    api = BotApi(TOKEN)
    assert TOKEN not in repr(api) and "7000000001" in repr(api)
    api.close()
