"""A Telegram connector whose every request is answered by respx from the fixtures in
fixtures/, which are shaped like the Bot API documentation's answers. No test reaches Telegram."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import httpx
import pytest
import respx

from kalrav.connectors.base import ConnectorContext
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.telegram.connector import TelegramConnector
from kalrav.connectors.testing import recorded

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "7000000001:AAH-fakeTokenForTestsOnly_abcdefghij"
API = f"https://api.telegram.org/bot{TOKEN}"
CHANNEL_ID = -1001987654321
GROUP_ID = -1001122334455
TELEGRAM_ADDRESS = "149.154.167.220"


def fixture(name: str):
    """The body of a recorded payload (see kalrav.connectors.testing.Recorded)."""
    return recorded(FIXTURES, name).body


def answer(name: str) -> httpx.Response:
    """The documented answer: the HTTP status repeats error_code."""
    return recorded(FIXTURES, name).response()


def sent(route) -> dict:
    """The fields of the last request to a route, sent as a query string, as JSON or as
    multipart/form-data (where files come back as bytes and other fields as JSON-decoded text)."""
    request = route.calls.last.request
    if request.method == "GET":
        return dict(request.url.params)
    kind = request.headers["content-type"]
    if not kind.startswith("multipart/form-data"):
        return json.loads(request.content)
    head = f"Content-Type: {kind}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    fields: dict = {}
    for part in message.iter_parts():
        name, raw = (
            part.get_param("name", header="content-disposition"),
            part.get_payload(decode=True),
        )
        if part.get_filename():
            fields[name] = (part.get_filename(), raw)
            continue
        text = raw.decode("utf-8")
        try:
            fields[name] = json.loads(text)
        except ValueError:
            fields[name] = text
    return fields


@pytest.fixture
def telegram():
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def make_connector(telegram, slept):
    def make(chat_id: str = "@kalrav_news", token: str = TOKEN, **kwargs) -> TelegramConnector:
        http = HttpClient(resolver=lambda host, port: [TELEGRAM_ADDRESS], sleep=slept.append)
        return TelegramConnector(
            ConnectorContext(
                channel_id=17, config={"chat_id": chat_id}, credentials={"bot_token": token}
            ),
            http=http,
            **kwargs,
        )

    return make


@pytest.fixture
def connector(make_connector) -> TelegramConnector:
    return make_connector()
