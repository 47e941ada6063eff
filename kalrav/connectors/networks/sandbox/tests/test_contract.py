"""The connector contract (kalrav.connectors.testing) against the sandbox network itself: the
sandbox's real server on the test database, with the recorded error answers of fixtures/ and a
lost answer injected in front of it. The sandbox deduplicates nothing, so a repeated key makes a
second post, and the contract is kept by `reconcile` finding the first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from kalrav.connectors.account import AccountVerifier
from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    InboxReader,
    InsightsReader,
    OutgoingPost,
    PublishedRef,
    Publisher,
    Reconciler,
    opened,
)
from kalrav.connectors.errors import Transient
from kalrav.connectors.networks.sandbox.connector import SandboxConnector
from kalrav.connectors.testing import ConnectorContract, Held, recorded
from kalrav.sandbox import server as sandbox
from kalrav.sandbox.models import SandboxAccount, SandboxItem, SandboxPost

FIXTURES = Path(__file__).parent / "fixtures"
CHANNEL_ID = 41


class FaultyServer(sandbox.SandboxServer):
    """The sandbox's server, with the next answer replaced by a recorded one or lost."""

    def __init__(self, network: FakeSandbox) -> None:
        self.network = network

    def now(self):
        return self.network.clock

    def publish(self, key, text, **kwargs):
        if self.network.next_answer is not None:
            answer, self.network.next_answer = self.network.next_answer, None
            raise sandbox.SandboxError(
                answer.status or 200, answer.body["error"], answer.body["message"]
            )
        made = super().publish(key, text, **kwargs)
        if self.network.lose_next:
            self.network.lose_next = False
            raise sandbox.SandboxError(504, "Timeout", "The answer never came.")
        return made


class FakeSandbox:
    def __init__(self) -> None:
        self.next_answer = None
        self.lose_next = False
        self.clock = timezone.now()
        self.received = 0
        # Connected as a channel is: its check signs the account up.
        SandboxConnector(self.context(), FaultyServer(self)).verify()

    def context(self) -> ConnectorContext:
        return ConnectorContext(channel_id=CHANNEL_ID, config={"handle": "shanti.sandbox"})

    @property
    def posts(self) -> list[Held]:
        return [
            Held(post.remote_id, post.text)
            for post in SandboxPost.objects.filter(deleted_at=None).order_by("created_at", "id")
        ]

    def connector(self) -> SandboxConnector:
        return SandboxConnector(self.context(), FaultyServer(self))

    def answer_next_write(self, fixture: str) -> None:
        self.next_answer = recorded(FIXTURES, fixture)

    def lose_next_answer(self) -> None:
        self.lose_next = True

    def receive(self, text: str) -> str:
        """A mention written by the audience now, as the sandbox's own audience writes them."""
        self.received += 1
        item = SandboxItem.objects.create(
            account=SandboxAccount.objects.get(key=sandbox.account_key(CHANNEL_ID)),
            remote_id=f"test-mention-{self.received}",
            kind="mention",
            author_handle="tester",
            author_name="Tester",
            text=text,
            created_at=self.clock,
        )
        return item.remote_id


class TestSandboxContract(ConnectorContract):
    connector_class = SandboxConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            Reconciler,
            InboxReader,
            InsightsReader,
            AccountVerifier,
        }
    )
    fixtures = FIXTURES

    @pytest.fixture
    def network(self, db) -> Iterator[FakeSandbox]:
        yield FakeSandbox()


# --- what the sandbox adds to the contract: an audience, metrics and outages -------------------


@pytest.fixture
def network(db) -> FakeSandbox:
    return FakeSandbox()


def test_the_audience_replies_to_a_post_in_time(network):
    with opened(network.connector()) as connector:
        ref = connector.publish(OutgoingPost("নতুন চা এসেছে!"), idempotency_key="k1")
        assert connector.fetch_inbox(None).items == ()  # nobody has read it yet
        network.clock += timedelta(minutes=30)
        page = connector.fetch_inbox(None)
        replies = [item for item in page.items if item.parent_id == ref.remote_id]
        assert len(replies) >= 2
        assert all(item.text and item.author.handle for item in replies)
        # Read again from the cursor: nothing twice.
        assert connector.fetch_inbox(page.cursor).items == ()
        # The same post gets the same replies, whoever asks.
        again = connector.fetch_inbox(Cursor("0"))
    assert [i.text for i in again.items] == [i.text for i in page.items]


def test_metrics_grow_with_time_since_publishing(network):
    with opened(network.connector()) as connector:
        ref = connector.publish(OutgoingPost("Chai at six"), idempotency_key="k1")
        network.clock += timedelta(minutes=10)
        early = {m.metric: m.value for m in connector.post_metrics([ref])}
        network.clock += timedelta(hours=5)
        later = {m.metric: m.value for m in connector.post_metrics([ref])}
    assert early["likes"] > 0
    assert later["likes"] > early["likes"] and later["replies"] >= early["replies"]


def test_an_outage_is_the_networks_transient_error(network):
    sandbox.set_outage(sandbox.account_key(CHANNEL_ID), True)
    with opened(network.connector()) as connector:
        with pytest.raises(Transient):
            connector.publish(OutgoingPost("Chai at six"), idempotency_key="k1")
        with pytest.raises(Transient):
            connector.fetch_inbox(None)
    assert network.posts == []
    sandbox.set_outage(sandbox.account_key(CHANNEL_ID), False)
    with opened(network.connector()) as connector:
        connector.publish(OutgoingPost("Chai at six"), idempotency_key="k1")
    assert len(network.posts) == 1


def test_a_reply_is_a_post_answering_the_item(network):
    network.receive("Is the chai vegan?")
    with opened(network.connector()) as connector:
        item = connector.fetch_inbox(None).items[0]
        ref = connector.reply(item, OutgoingPost("Yes, with oat milk!"), idempotency_key="r1")
    answer = SandboxPost.objects.get(remote_id=ref.remote_id)
    assert answer.parent_remote_id == item.remote_id and answer.text == "Yes, with oat milk!"


def test_a_deleted_post_is_gone_and_deleting_again_is_harmless(network):
    with opened(network.connector()) as connector:
        ref = connector.publish(OutgoingPost("Chai at six"), idempotency_key="k1")
        connector.delete(ref, idempotency_key="d1")
        connector.delete(PublishedRef(ref.remote_id), idempotency_key="d1")
    assert network.posts == []
