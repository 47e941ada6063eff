"""A Mastodon connector whose every request is answered by respx: no test here reaches a network
(the resolver is a fake, so even the private-address guard asks nobody)."""

from __future__ import annotations

import io

import pytest
import respx

from kalrav.connectors.base import ConnectorContext
from kalrav.connectors.networks.mastodon import mapping
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from kalrav.connectors.networks.mastodon.tests import payloads

TOKEN = "secret-token-never-logged"
HTTP_OPTIONS = {
    "resolver": lambda host, port: ["93.184.215.14"],
    "sleep": lambda seconds: None,
}


@pytest.fixture
def api():
    with respx.mock(base_url=payloads.INSTANCE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def opened():
    """Media sources the connector opened, by storage key."""
    return []


def make_connector(opened=None, **config) -> MastodonConnector:
    def media_opener(item):
        if opened is not None:
            opened.append(item.source)
        return io.BytesIO(b"\x89PNG\r\n\x1a\n" + item.source.encode())

    return MastodonConnector(
        ConnectorContext(
            channel_id=7,
            config={
                "instance_url": payloads.INSTANCE,
                "instance": mapping.instance_config(payloads.instance_v2()),
                "account_id": payloads.OWN_ID,
                **config,
            },
            credentials={"access_token": TOKEN},
        ),
        http_options=HTTP_OPTIONS,
        media_opener=media_opener,
        sleep=lambda seconds: None,
    )


@pytest.fixture
def connector(api, opened) -> MastodonConnector:
    made = make_connector(opened)
    yield made
    made.close()
