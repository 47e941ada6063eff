"""The kill test's network behaves like one without idempotency: a repeated key makes a second
post, and only reconciling by the post's words finds what an unknown outcome left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kalrav.connectors.base import ConnectorContext, IdempotentPublisher, OutgoingPost, Reconciler
from tests.peers.fake_network_server import FakeNetwork, LoopbackConnector


def _connector(network: FakeNetwork) -> LoopbackConnector:
    return LoopbackConnector(ConnectorContext(channel_id=1, config={"server_url": network.url}))


def test_a_repeated_key_makes_a_second_post():
    with FakeNetwork(latency=0) as network:
        connector = _connector(network)
        first = connector.publish(OutgoingPost(text="Chai at six"), idempotency_key="k-1")
        again = connector.publish(OutgoingPost(text="Chai at six"), idempotency_key="k-1")
        assert first.remote_id != again.remote_id
        assert network.copies() == {"k-1": 2}
    assert not isinstance(connector, IdempotentPublisher)


def test_reconcile_finds_the_post_by_its_words_since_the_first_try():
    with FakeNetwork(latency=0) as network:
        connector = _connector(network)
        assert isinstance(connector, Reconciler)
        before = datetime.now(UTC) - timedelta(seconds=1)
        made = connector.publish(OutgoingPost(text="Tea at nine"), idempotency_key="k-2")
        found = connector.reconcile(
            OutgoingPost(text="Tea at nine"), idempotency_key="other", not_before=before
        )
        assert found is not None and found.remote_id == made.remote_id
        later = datetime.now(UTC) + timedelta(seconds=5)
        assert (
            connector.reconcile(
                OutgoingPost(text="Tea at nine"), idempotency_key="k-2", not_before=later
            )
            is None
        )
        assert (
            connector.reconcile(
                OutgoingPost(text="Other words"), idempotency_key="k-2", not_before=before
            )
            is None
        )
