"""The connector contract (kalrav.connectors.testing) against a fake Bot API built from the
recorded answers in fixtures/. Telegram takes no idempotency key: the fake makes a new message
for every sendMessage, as Telegram does."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from kalrav.connectors.account import AccountVerifier
from kalrav.connectors.base import (
    ConnectorContext,
    Editor,
    InboxReader,
    InsightsReader,
    Moderator,
    Publisher,
)
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.telegram import mapping
from kalrav.connectors.networks.telegram.connector import TelegramConnector
from kalrav.connectors.testing import ConnectorContract, Held, recorded
from kalrav.connectors.webhooks import WebhookReceiver

from .conftest import API, FIXTURES, TELEGRAM_ADDRESS, TOKEN, fixture


class FakeBotApi:
    def __init__(self, router: respx.MockRouter) -> None:
        self._held: list[Held] = []
        self._updates: list[dict] = []
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        self._message_ids = iter(range(100, 10_000))
        router.post("/sendMessage").mock(side_effect=self._send_message)
        router.get("/getChat").mock(return_value=recorded(FIXTURES, "getChat_channel").response())
        router.get("/getUpdates").mock(side_effect=self._get_updates)

    @property
    def posts(self) -> list[Held]:
        return list(self._held)

    def connector(self) -> TelegramConnector:
        http = HttpClient(resolver=lambda host, port: [TELEGRAM_ADDRESS], sleep=lambda s: None)
        context = ConnectorContext(
            channel_id=17, config={"chat_id": "@kalrav_news"}, credentials={"bot_token": TOKEN}
        )
        return TelegramConnector(context, http=http)

    def answer_next_write(self, fixture_name: str) -> None:
        self._next_answer = recorded(FIXTURES, fixture_name).response()

    def lose_next_answer(self) -> None:
        self._lose_next = True

    def receive(self, text: str) -> str:
        """A comment in the channel's discussion group, shaped like update 500005."""
        update = copy.deepcopy(fixture("getUpdates")["result"][4])
        update["update_id"] = 600_000 + len(self._updates)
        message = update["message"]
        message["message_id"] = next(self._message_ids)
        message["text"] = text
        self._updates.append(update)
        return mapping.remote_id(message["chat"]["id"], message["message_id"])

    def _send_message(self, request: httpx.Request) -> httpx.Response:
        if self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        sent = json.loads(request.content)
        message = copy.deepcopy(fixture("sendMessage")["result"])
        message["message_id"] = next(self._message_ids)
        message["text"] = sent["text"]
        message.pop("entities", None)
        self._held.append(
            Held(mapping.remote_id(message["chat"]["id"], message["message_id"]), sent["text"])
        )
        if self._lose_next:
            self._lose_next = False
            raise httpx.ReadTimeout("the answer never came", request=request)
        return httpx.Response(200, json={"ok": True, "result": message})

    def _get_updates(self, request: httpx.Request) -> httpx.Response:
        """getUpdates from `offset` on: asking from an offset confirms the updates before it."""
        offset = int(request.url.params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return httpx.Response(200, json={"ok": True, "result": self._updates})


class TestTelegramContract(ConnectorContract):
    connector_class = TelegramConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            Editor,
            InboxReader,
            InsightsReader,
            Moderator,
            AccountVerifier,
            WebhookReceiver,
        }
    )
    fixtures = FIXTURES
    text_refusal = "error_400_too_long"

    @pytest.fixture
    def network(self) -> Iterator[FakeBotApi]:
        with respx.mock(base_url=API, assert_all_called=False) as router:
            yield FakeBotApi(router)
