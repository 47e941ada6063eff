"""The catalogue: what each network is and can do, read from its connector class once."""

from __future__ import annotations

import pytest

from kalrav.connectors import catalogue, registry
from kalrav.connectors.account import AccountVerifier, OAuthConnect
from kalrav.connectors.base import (
    Closeable,
    ConnectorContext,
    Editor,
    IdempotentPublisher,
    Publisher,
    Reconciler,
    opened,
)
from kalrav.connectors.networks.mastodon.connector import MastodonConnector

FAKES = "kalrav.connectors.tests.fake_connectors"


def test_every_network_is_listed_with_its_declarations():
    assert [network.slug for network in catalogue.networks()] == registry.available()
    assert ("mastodon", "Mastodon") in catalogue.choices()
    for network in catalogue.networks():
        assert set(network.capabilities) == set(network.connector.capabilities)
        assert network.rules is network.connector.rules


def test_capabilities_are_the_protocols_the_class_implements():
    mastodon = catalogue.network("mastodon")
    assert mastodon.can(Publisher) and mastodon.can(Editor) and mastodon.can(OAuthConnect)
    assert mastodon.can(IdempotentPublisher) and not mastodon.can(Reconciler)
    assert not catalogue.network("telegram").can(IdempotentPublisher)
    # X takes no idempotency key: it publishes and finds a post again by reconciling.
    assert catalogue.network("x").can(Reconciler) and not catalogue.network("x").can(
        IdempotentPublisher
    )
    assert catalogue.network("matrix").can(AccountVerifier)


def test_secret_fields_and_the_sign_in_server():
    mastodon = catalogue.network("mastodon")
    assert [field.name for field in mastodon.secret_fields] == ["access_token"]
    assert mastodon.server_field is not None and mastodon.server_field.name == "instance_url"
    assert catalogue.network("telegram").server_field is None


def test_an_entry_is_made_once_and_follows_the_registry():
    assert catalogue.network("bluesky") is catalogue.network("bluesky")
    registry.reset({"good": f"{FAKES}.GoodPublisher"})
    try:
        assert catalogue.network("good").capabilities == (Publisher,)
        with pytest.raises(registry.UnknownNetwork):
            catalogue.network("bluesky")
    finally:
        registry.reset()
    assert catalogue.network("bluesky").label == "Bluesky"


def test_opened_closes_a_connector_that_holds_a_client():
    connector = MastodonConnector(ConnectorContext(1, {"instance_url": "https://m.example"}))
    assert isinstance(connector, Closeable)
    with pytest.raises(RuntimeError), opened(connector) as used:
        assert used is connector
        raise RuntimeError("whatever happens inside")
    assert connector.http._client.is_closed
