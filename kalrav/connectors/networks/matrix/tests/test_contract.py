"""The connector contract (kalrav.connectors.testing) against a fake homeserver built from the
recorded answers in fixtures/. Like a homeserver, the fake answers a send repeated with the same
transaction id with the first event, and sends a new event for any other transaction id."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import respx

from kalrav.connectors.account import AccountVerifier
from kalrav.connectors.base import (
    ConnectorContext,
    IdempotentPublisher,
    InboxReader,
    Moderator,
    Publisher,
    ResumableStreamer,
    Streamer,
)
from kalrav.connectors.networks.matrix.client import new_http
from kalrav.connectors.networks.matrix.connector import MatrixConnector
from kalrav.connectors.networks.matrix.tests.fakes import (
    BRAND,
    CLIENT,
    HOMESERVER,
    PUBLIC,
    ROOM,
    ROOM_PATH,
)
from kalrav.connectors.testing import ConnectorContract, Held, recorded

FIXTURES = Path(__file__).parent / "fixtures"
ROOM_URL = rf"{re.escape(CLIENT)}/rooms/{re.escape(ROOM_PATH)}"


def _answer(name: str, body: dict | None = None) -> httpx.Response:
    return recorded(FIXTURES, name).response(body)


class FakeHomeserver:
    def __init__(self, router: respx.MockRouter) -> None:
        self._timeline: list[dict] = []  # the room's events, oldest first
        self._by_transaction: dict[str, str] = {}
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        router.put(url__regex=ROOM_URL + r"/send/m\.room\.message/(?P<txn>[^/?]+)$").mock(
            side_effect=self._send
        )
        router.get(url__regex=ROOM_URL + r"/messages\?").mock(side_effect=self._messages)

    @property
    def posts(self) -> list[Held]:
        return [
            Held(event["event_id"], event["content"]["body"])
            for event in self._timeline
            if event["sender"] == BRAND
        ]

    def connector(self) -> MatrixConnector:
        context = ConnectorContext(
            channel_id=7,
            config={"homeserver_url": HOMESERVER, "user_id": BRAND, "room": ROOM},
            credentials={"access_token": "syt_secret"},
        )
        http = new_http(
            HOMESERVER, "syt_secret", resolver=lambda host, port: [PUBLIC], sleep=lambda s: None
        )
        return MatrixConnector(context, http=http, read_media=lambda item: b"")

    def answer_next_write(self, fixture: str) -> None:
        self._next_answer = _answer(fixture)

    def lose_next_answer(self) -> None:
        self._lose_next = True

    def receive(self, text: str) -> str:
        return self._append("@asha:example.org", {"body": text, "msgtype": "m.text"})

    def _append(self, sender: str, content: dict) -> str:
        event = copy.deepcopy(recorded(FIXTURES, "messages").body["chunk"][0])
        event["event_id"] = f"$event{len(self._timeline)}:example.org"
        event["sender"], event["content"] = sender, content
        event["origin_server_ts"] += len(self._timeline)
        self._timeline.append(event)
        return str(event["event_id"])

    def _send(self, request: httpx.Request, txn: str) -> httpx.Response:
        if self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        txn = unquote(txn)
        if txn not in self._by_transaction:
            self._by_transaction[txn] = self._append(BRAND, json.loads(request.content))
        if self._lose_next:
            self._lose_next = False
            raise httpx.ReadTimeout("the answer never came", request=request)
        return _answer("send", {"event_id": self._by_transaction[txn]})

    def _messages(self, request: httpx.Request) -> httpx.Response:
        """Tokens are positions in the timeline ("t3": after three events). Backwards without
        a token: the latest events, newest first, from the present. Forwards from a token: what
        came after it, and no `end` once the present is reached."""
        params = request.url.params
        body = copy.deepcopy(recorded(FIXTURES, "messages").body)
        limit = int(params["limit"])
        if params["dir"] == "b":
            body["chunk"] = list(reversed(self._timeline))[:limit]
            body["start"] = f"t{len(self._timeline)}"
            body["end"] = f"t{max(len(self._timeline) - limit, 0)}"
            return _answer("messages", body)
        start = int(params["from"].removeprefix("t"))
        body["chunk"] = self._timeline[start : start + limit]
        body["start"] = params["from"]
        if body["chunk"]:
            body["end"] = f"t{start + len(body['chunk'])}"
        else:
            del body["end"]
        return _answer("messages", body)


class TestMatrixContract(ConnectorContract):
    connector_class = MatrixConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            IdempotentPublisher,
            InboxReader,
            Streamer,
            ResumableStreamer,
            Moderator,
            AccountVerifier,
        }
    )
    fixtures = FIXTURES

    @pytest.fixture
    def network(self) -> Iterator[FakeHomeserver]:
        with respx.mock(base_url=HOMESERVER, assert_all_called=False) as router:
            yield FakeHomeserver(router)
