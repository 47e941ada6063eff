"""The connector contract (kalrav.connectors.testing) against a fake PDS built from the recorded
XRPC answers in fixtures/. Like the reference PDS, the fake refuses a create under a record key
already taken and keeps the first record; it never merges two posts by their words."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx

from kalrav.connectors.account import AccountVerifier, CredentialRefresher
from kalrav.connectors.base import (
    ConnectorContext,
    IdempotentPublisher,
    InboxReader,
    InsightsReader,
    ListeningSource,
    Moderator,
    PublicStreamer,
    Publisher,
    ReplyHider,
    ResumableStreamer,
    Streamer,
)
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.testing import ConnectorContract, Held, recorded

FIXTURES = Path(__file__).parent / "fixtures"
PDS = "https://pds.example"
FIRST_SEEN = datetime(2026, 11, 23, 10, 0, 1, tzinfo=UTC)


def _answer(name: str, body: dict | None = None) -> httpx.Response:
    return recorded(FIXTURES, name).response(body)


class FakePds:
    def __init__(self, router: respx.MockRouter) -> None:
        self._records: dict[tuple[str, str], dict] = {}  # (collection, rkey) -> record
        self._notifications: list[dict] = []
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        router.post("/com.atproto.server.createSession").mock(return_value=_answer("createSession"))
        router.post("/com.atproto.repo.createRecord").mock(side_effect=self._create_record)
        router.get("/com.atproto.repo.getRecord").mock(side_effect=self._get_record)
        router.get("/app.bsky.notification.listNotifications").mock(
            side_effect=self._list_notifications
        )

    @property
    def did(self) -> str:
        return str(recorded(FIXTURES, "createSession").body["did"])

    @property
    def posts(self) -> list[Held]:
        return [
            Held(f"at://{self.did}/{collection}/{rkey}", record["text"])
            for (collection, rkey), record in self._records.items()
            if collection == "app.bsky.feed.post"
        ]

    def connector(self) -> BlueskyConnector:
        context = ConnectorContext(
            channel_id=1,
            config={"service_url": PDS, "handle": "brand.example.com"},
            credentials={"app_password": "abcd-efgh-ijkl-mnop"},
        )
        return BlueskyConnector(
            context,
            transport=Transport(resolver=lambda host, port: ["93.184.216.34"]),
            read_media=lambda item: b"",
        )

    def answer_next_write(self, fixture: str) -> None:
        self._next_answer = _answer(fixture)

    def lose_next_answer(self) -> None:
        self._lose_next = True

    def receive(self, text: str) -> str:
        notification = copy.deepcopy(
            recorded(FIXTURES, "listNotifications").body["notifications"][0]
        )
        number = len(self._notifications)
        seen = (FIRST_SEEN + timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        notification["uri"] = notification["uri"] + str(number)
        notification["record"]["text"] = text
        notification["record"]["createdAt"] = notification["indexedAt"] = seen
        self._notifications.append(notification)
        return str(notification["uri"])

    def _create_record(self, request: httpx.Request) -> httpx.Response:
        if self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        sent = json.loads(request.content)
        where = (sent["collection"], sent["rkey"])
        if where in self._records:
            return _answer("error_record_exists")
        self._records[where] = sent["record"]
        if self._lose_next:
            self._lose_next = False
            raise httpx.ReadTimeout("the answer never came", request=request)
        body = copy.deepcopy(recorded(FIXTURES, "createRecord").body)
        body["uri"] = f"at://{self.did}/{where[0]}/{where[1]}"
        return _answer("createRecord", body)

    def _get_record(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        record = self._records.get((params["collection"], params["rkey"]))
        if record is None:
            return _answer("error_record_not_found")
        body = copy.deepcopy(recorded(FIXTURES, "getRecord").body)
        body["uri"] = f"at://{self.did}/{params['collection']}/{params['rkey']}"
        body["value"] = record
        return _answer("getRecord", body)

    def _list_notifications(self, request: httpx.Request) -> httpx.Response:
        """The newest page: the AppView lists every notification, newest first."""
        body = copy.deepcopy(recorded(FIXTURES, "listNotifications").body)
        body["notifications"] = list(reversed(self._notifications))
        return _answer("listNotifications", body)


class TestBlueskyContract(ConnectorContract):
    connector_class = BlueskyConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            IdempotentPublisher,
            InboxReader,
            InsightsReader,
            ListeningSource,
            Streamer,
            ResumableStreamer,
            PublicStreamer,
            Moderator,
            ReplyHider,
            AccountVerifier,
            CredentialRefresher,
        }
    )
    fixtures = FIXTURES

    @pytest.fixture
    def network(self) -> Iterator[FakePds]:
        with respx.mock(base_url=f"{PDS}/xrpc", assert_all_called=False) as router:
            yield FakePds(router)
