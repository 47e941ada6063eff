"""The connector contract (kalrav.connectors.testing) against a fake Mastodon server built from the
recorded answers in fixtures/. Like the real server, the fake returns the status it already made
when a status comes again with an Idempotency-Key it knows, and makes a new one otherwise."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from kalrav.connectors.account import AccountVerifier, ConfigReader, OAuthConnect
from kalrav.connectors.base import (
    Editor,
    IdempotentPublisher,
    InboxReader,
    InsightsReader,
    ListeningSource,
    Moderator,
    PublicStreamer,
    Publisher,
    Streamer,
)
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from kalrav.connectors.networks.mastodon.tests import payloads
from kalrav.connectors.networks.mastodon.tests.conftest import make_connector
from kalrav.connectors.testing import ConnectorContract, Held, recorded

FIXTURES = Path(__file__).parent / "fixtures"


def _text(request: httpx.Request) -> str:
    """The status text, sent as a form or as JSON, as Mastodon.py chose."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return str(json.loads(request.content)["status"])
    return parse_qs(request.content.decode())["status"][0]


class FakeMastodon:
    def __init__(self, router: respx.MockRouter) -> None:
        self._statuses: list[dict] = []
        self._by_key: dict[str, dict] = {}
        self._notifications: list[dict] = []
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        self._ids = iter(range(113_500_000_000_000_100, 113_500_000_000_099_999))
        router.post("/api/v1/statuses").mock(side_effect=self._post_status)
        router.get("/api/v1/notifications").mock(side_effect=self._get_notifications)
        router.get(path__regex=r"^/api/v1/conversations/?$").mock(
            return_value=recorded(FIXTURES, "conversations_empty").response()
        )

    @property
    def posts(self) -> list[Held]:
        return [Held(str(status["id"]), status["content"]) for status in self._statuses]

    def connector(self) -> MastodonConnector:
        return make_connector()

    def answer_next_write(self, fixture: str) -> None:
        self._next_answer = recorded(FIXTURES, fixture).response()

    def lose_next_answer(self) -> None:
        self._lose_next = True

    def receive(self, text: str) -> str:
        notification = copy.deepcopy(recorded(FIXTURES, "notifications_mention").body[0])
        status = notification["status"]
        notification["id"] = status["id"] = str(next(self._ids))
        status["content"] = f"<p>{text}</p>"
        self._notifications.append(notification)
        return str(status["id"])

    def _post_status(self, request: httpx.Request) -> httpx.Response:
        if self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        key = request.headers.get("Idempotency-Key", "")
        status = self._by_key.get(key)
        if status is None:
            status = copy.deepcopy(recorded(FIXTURES, "status_created").body)
            status["id"] = str(next(self._ids))
            # The fake keeps the words as sent; the real server keeps them as HTML.
            status["content"] = _text(request)
            self._statuses.append(status)
            if key:
                self._by_key[key] = status
        if self._lose_next:
            self._lose_next = False
            raise httpx.ReadTimeout("the answer never came", request=request)
        return httpx.Response(200, json=status)

    def _get_notifications(self, request: httpx.Request) -> httpx.Response:
        """Newest first; with min_id, only what came after it."""
        after = int(request.url.params.get("min_id") or 0)
        newer = [n for n in self._notifications if int(n["id"]) > after]
        return httpx.Response(200, json=list(reversed(newer)))


class TestMastodonContract(ConnectorContract):
    connector_class = MastodonConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            IdempotentPublisher,
            Editor,
            InboxReader,
            InsightsReader,
            ListeningSource,
            Streamer,
            PublicStreamer,
            Moderator,
            AccountVerifier,
            ConfigReader,
            OAuthConnect,
        }
    )
    fixtures = FIXTURES

    @pytest.fixture
    def network(self) -> Iterator[FakeMastodon]:
        with respx.mock(base_url=payloads.INSTANCE, assert_all_called=False) as router:
            yield FakeMastodon(router)
