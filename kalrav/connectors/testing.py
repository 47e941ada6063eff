"""The connector contract as tests: the same checks for every registered network, run by each
network folder's `tests/test_contract.py` against its recorded fixtures.

A network's contract test subclasses `ConnectorContract` (or `RulesContract`, for a network that
only declares its rules yet), names its connector class and provides a `network` fixture: a fake
of the network, built with respx from the JSON files in its `tests/fixtures/`, that keeps posts
the way the real server does and no better. A fake deduplicates only where the network documents
that it does (an Idempotency-Key, a record key, a transaction id); otherwise two sends are two
posts, as on the weakest real network, so a guarantee proved here holds there too.

Every fixture is a recorded payload in the shape its reference page documents, and names the
page (see `Recorded`). Only tests import this module; it needs pytest, httpx and respx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx
import pytest

from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import (
    Closeable,
    Connector,
    Cursor,
    IdempotentPublisher,
    InboxReader,
    OutgoingPost,
    Publisher,
    Reconciler,
    opened,
)
from kalrav.connectors.checks import check_connectors
from kalrav.connectors.errors import AuthExpired, Rejected, Transient

# --- Recorded payloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One fixture file: `{"reference": URL, "status": 200, "headers": {...}, "body": ...}`.

    `reference` is the documentation page whose payload shape the body follows; `status` is the
    HTTP status the network answers with (absent for what the network sends us, such as a
    webhook delivery); `headers` are optional."""

    name: str
    reference: str
    body: Any
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self, body: Any = None) -> httpx.Response:
        """The recorded answer, with another body of the same shape when one is given."""
        return httpx.Response(
            self.status or 200,
            json=self.body if body is None else body,
            headers=dict(self.headers),
        )


def recorded(folder: Path, name: str) -> Recorded:
    data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return Recorded(
        name=name,
        reference=str(data.get("reference") or ""),
        body=data.get("body"),
        status=data.get("status"),
        headers=data.get("headers") or {},
    )


def recorded_in(folder: Path) -> list[Recorded]:
    return [recorded(folder, path.stem) for path in sorted(folder.glob("*.json"))]


# --- The fake network a contract test drives -----------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A post as the fake network holds it."""

    remote_id: str
    text: str


class FakeNetwork(Protocol):
    """What each network's fake offers the checks. Writes are the requests that publish."""

    @property
    def posts(self) -> list[Held]:
        """Every post the network holds, in the order it took them."""
        ...

    def connector(self) -> Connector:
        """A connector for a channel on this fake (the caller closes it)."""
        ...

    def answer_next_write(self, fixture: str) -> None:
        """Answer the next write with this recorded response, changing nothing."""
        ...

    def lose_next_answer(self) -> None:
        """Carry out the next write, but let its answer never arrive (a timeout)."""
        ...

    def receive(self, text: str) -> str:
        """Someone writes to the channel (a reply or mention the inbox should see); its id."""
        ...


# --- The checks ------------------------------------------------------------------------------------


def _names(capabilities: Set[type]) -> list[str]:
    return sorted(capability.__name__ for capability in capabilities)


class RulesContract:
    """What every network declares, before any client exists: its slug, settings fields and rules."""

    connector_class: ClassVar[type[Connector]]
    fixtures: ClassVar[Path | None] = None
    # Every capability the network's connector is meant to have, written out in its own contract
    # test: one gained or lost by accident (a method renamed, a mixin's method inherited) fails
    # there, however the class's own `capabilities` tuple was kept in step.
    expected_capabilities: ClassVar[frozenset[type] | None] = None

    def test_is_registered_and_passes_the_system_check(self) -> None:
        slug = self.connector_class.slug
        assert registry.get(slug) is self.connector_class
        assert not [error for error in check_connectors() if f"'{slug}'" in error.msg]

    def test_the_catalogue_reads_what_it_declares(self) -> None:
        known = catalogue.network(self.connector_class.slug)
        assert known.label == self.connector_class.label
        assert set(known.capabilities) == set(self.connector_class.capabilities)
        assert all(field.name and field.label for field in known.settings_fields)
        # A field typed as a password is never stored in the clear.
        assert all(field.secret for field in known.settings_fields if field.kind == "password")

    def test_declares_exactly_what_it_implements(self) -> None:
        expected = self.expected_capabilities
        assert expected is not None, "the contract test lists its `expected_capabilities`"
        implemented = set(catalogue.implemented(self.connector_class))
        declared = set(self.connector_class.capabilities)
        assert declared == implemented, (
            f"declared but not implemented {_names(declared - implemented)}, "
            f"implemented but not declared {_names(implemented - declared)}"
        )
        assert implemented == set(expected), (
            f"unexpected {_names(implemented - expected)}, missing {_names(expected - implemented)}"
        )

    def test_measures_where_a_text_stops_fitting(self) -> None:
        """Whatever the unit: a short text fits, and a long one overflows exactly where the
        text before the overflow still fits and one more character does not."""
        rules = self.connector_class.rules
        limit = rules.max_length
        assert rules.measure("Chai ☕", limit).overflow_at is None
        text = "নমস্কার ☕ chai! "
        while rules.measure(text, limit).overflow_at is None:
            text += text
        overflow = rules.measure(text, limit).overflow_at
        assert overflow is not None and overflow > 0
        assert rules.measure(text[:overflow], limit).overflow_at is None
        assert rules.measure(text[: overflow + 1], limit).overflow_at is not None

    def test_every_fixture_names_its_reference_page(self) -> None:
        if self.fixtures is None:
            pytest.skip("no recorded fixtures")
        found = recorded_in(self.fixtures)
        assert found, f"no fixtures in {self.fixtures}"
        unnamed = [r.name for r in found if not r.reference.startswith("https://")]
        assert not unnamed, f"fixtures without a reference page: {unnamed}"


class ConnectorContract(RulesContract):
    """The checks every connector that talks to its network passes. Subclasses set
    `connector_class` and `fixtures` and define a pytest fixture `network` yielding a
    FakeNetwork."""

    post: ClassVar[OutgoingPost] = OutgoingPost("Chai at six ☕ নতুন চা এসেছে। चाय तैयार है!")
    other_post: ClassVar[OutgoingPost] = OutgoingPost("Closed on Sunday. Κλειστά την Κυριακή.")
    # The recorded answers the network gives to a write it refuses.
    auth_failure: ClassVar[str] = "error_401"
    text_refusal: ClassVar[str] = "error_refused"

    @pytest.fixture
    def network(self) -> Iterator[FakeNetwork]:
        raise NotImplementedError("the network's contract test provides its fake")

    def _publisher(self, connector: Connector) -> Publisher:
        assert isinstance(connector, Publisher), "every connector here publishes"
        return connector

    def test_a_publish_makes_one_post(self, network: FakeNetwork) -> None:
        with opened(network.connector()) as connector:
            ref = self._publisher(connector).publish(self.post, idempotency_key="contract-1")
        assert [(held.remote_id, held.text) for held in network.posts] == [
            (ref.remote_id, self.post.text)
        ]

    def test_two_keys_make_two_posts(self, network: FakeNetwork) -> None:
        """The fake deduplicates nothing by content: the same words sent as two posts are two."""
        with opened(network.connector()) as connector:
            publisher = self._publisher(connector)
            first = publisher.publish(self.post, idempotency_key="contract-1")
            second = publisher.publish(self.post, idempotency_key="contract-2")
        assert first.remote_id != second.remote_id
        assert len(network.posts) == 2

    def test_publish_twice_with_one_key_gives_one_post(self, network: FakeNetwork) -> None:
        """After an answer that never came, sending again with the key makes no second post:
        the network knows the key (IdempotentPublisher), or the connector finds the post it made
        (Reconciler). A network with neither makes two, so the publisher never resends there."""
        with opened(network.connector()) as connector:
            publisher = self._publisher(connector)
            network.lose_next_answer()
            try:
                first = publisher.publish(self.post, idempotency_key="contract-1")
            except Transient:
                first = None  # the connector could not tell; the post may be there
            if isinstance(connector, IdempotentPublisher):
                second = publisher.publish(self.post, idempotency_key="contract-1")
            elif isinstance(connector, Reconciler):
                found = connector.reconcile(
                    self.post, idempotency_key="contract-1", not_before=_an_hour_ago()
                )
                assert found is not None, "reconcile did not find the post the network took"
                second = found
            else:
                publisher.publish(self.post, idempotency_key="contract-1")
                assert len(network.posts) == 2, "the fake deduplicated what the network would not"
                return
        assert [held.remote_id for held in network.posts] == [second.remote_id]
        if first is not None:
            assert first.remote_id == second.remote_id

    def test_reconcile_finds_the_accepted_post_and_no_other(self, network: FakeNetwork) -> None:
        with opened(network.connector()) as connector:
            if not isinstance(connector, Reconciler):
                pytest.skip(f"{connector.label} is not a Reconciler")
            self._publisher(connector).publish(self.post, idempotency_key="contract-1")
            found = connector.reconcile(
                self.post, idempotency_key="contract-1", not_before=_an_hour_ago()
            )
            other = connector.reconcile(
                self.other_post, idempotency_key="contract-2", not_before=_an_hour_ago()
            )
        assert found is not None and found.remote_id == network.posts[0].remote_id
        assert other is None, "reconcile took a post with other words for this one"

    def test_an_http_401_becomes_auth_expired(self, network: FakeNetwork) -> None:
        with opened(network.connector()) as connector:
            network.answer_next_write(self.auth_failure)
            with pytest.raises(AuthExpired):
                self._publisher(connector).publish(self.post, idempotency_key="contract-1")
        assert network.posts == []

    def test_a_refused_text_becomes_rejected(self, network: FakeNetwork) -> None:
        with opened(network.connector()) as connector:
            network.answer_next_write(self.text_refusal)
            with pytest.raises(Rejected) as refused:
                self._publisher(connector).publish(self.post, idempotency_key="contract-1")
        assert refused.value.reason, "a refusal says why"
        assert network.posts == []

    def test_an_inbox_cursor_round_trips(self, network: FakeNetwork) -> None:
        """A cursor survives being stored as text and read back, and the next fetch from it
        returns exactly what arrived since: nothing again, nothing lost."""
        with opened(network.connector()) as connector:
            if not isinstance(connector, InboxReader):
                pytest.skip(f"{connector.label} reads no inbox")
            first_id = network.receive("কখন খুলবেন? When do you open?")
            first = connector.fetch_inbox(None)
            assert first_id in [item.remote_id for item in first.items]
            assert first.cursor is not None
        stored = str(first.cursor.value)  # what the inbox keeps between fetches
        second_id = network.receive("Is the chai vegan? क्या चाय वीगन है?")
        with opened(network.connector()) as connector:
            assert isinstance(connector, InboxReader)
            second = connector.fetch_inbox(Cursor(stored))
            assert [item.remote_id for item in second.items] == [second_id]
            assert second.cursor is not None
            third = connector.fetch_inbox(Cursor(str(second.cursor.value)))
        assert third.items == ()

    def test_closing_twice_is_harmless(self, network: FakeNetwork) -> None:
        """A caller's `finally` and `opened` may both close a connector."""
        connector = network.connector()
        if not isinstance(connector, Closeable):
            pytest.skip(f"{connector.label} holds nothing open")
        self._publisher(connector).publish(self.post, idempotency_key="contract-1")
        connector.close()
        connector.close()


def _an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)
