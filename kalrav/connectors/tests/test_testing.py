"""The contract checks themselves (kalrav.connectors.testing), on a reference network no real
connector can be yet: one without idempotency keys whose recent posts can be listed, so its
connector reconciles by content. The checks pass on it, and fail on fakes that cheat."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from kalrav.connectors import registry
from kalrav.connectors.base import (
    Author,
    ConnectorContext,
    Cursor,
    InboxReader,
    IncomingItem,
    ItemKind,
    NetworkRules,
    OutgoingPost,
    Page,
    PublishedRef,
    Publisher,
    Reconciler,
    SettingsField,
)
from kalrav.connectors.errors import AuthExpired, ConnectorError, Rejected, Transient
from kalrav.connectors.networks.bluesky.rules import RULES
from kalrav.connectors.testing import ConnectorContract, Held

SHELF = f"{__name__}.ShelfConnector"


@dataclass
class Shelf:
    """The network: a list of posts and a list of what others wrote, nothing deduplicated."""

    posts: list[Held] = field(default_factory=list)
    published_at: dict[str, datetime] = field(default_factory=dict)
    incoming: list[IncomingItem] = field(default_factory=list)
    next_error: ConnectorError | None = None
    lose_next: bool = False

    def write(self, text: str) -> str:
        if self.next_error is not None:
            error, self.next_error = self.next_error, None
            raise error
        remote_id = f"p{len(self.posts) + 1}"
        self.posts.append(Held(remote_id, text))
        self.published_at[remote_id] = datetime.now(UTC)
        if self.lose_next:
            self.lose_next = False
            raise Transient("the answer never came")
        return remote_id


class ShelfConnector:
    slug: ClassVar[str] = "shelf"
    label: ClassVar[str] = "Shelf"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (Publisher, Reconciler, InboxReader)
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField("token", "Token", secret=True, kind="password"),
    )
    shelf: ClassVar[Shelf] = Shelf()

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context

    def validate(self, post: OutgoingPost) -> list:
        return []

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        return PublishedRef(self.shelf.write(post.text))

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        self.shelf.posts = [held for held in self.shelf.posts if held.remote_id != ref.remote_id]

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        found = [
            held
            for held in self.shelf.posts
            if held.text == post.text and self.shelf.published_at[held.remote_id] >= not_before
        ]
        return PublishedRef(found[-1].remote_id) if found else None

    def fetch_inbox(self, since: Cursor | None) -> Page:
        start = int(since.value) if since else 0
        return Page(tuple(self.shelf.incoming[start:]), Cursor(str(len(self.shelf.incoming))))

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        return self.publish(post, idempotency_key=idempotency_key)


class FakeShelf:
    ERRORS: ClassVar[dict[str, ConnectorError]] = {
        "error_401": AuthExpired("401"),
        "error_refused": Rejected("Too long for the shelf."),
    }

    def __init__(self, shelf: Shelf) -> None:
        self.shelf = shelf

    @property
    def posts(self) -> list[Held]:
        return list(self.shelf.posts)

    def connector(self) -> ShelfConnector:
        return ShelfConnector(ConnectorContext(channel_id=1))

    def answer_next_write(self, fixture: str) -> None:
        self.shelf.next_error = self.ERRORS[fixture]

    def lose_next_answer(self) -> None:
        self.shelf.lose_next = True

    def receive(self, text: str) -> str:
        remote_id = f"in{len(self.shelf.incoming) + 1}"
        self.shelf.incoming.append(
            IncomingItem(ItemKind.COMMENT, remote_id, Author("fan"), text, datetime.now(UTC))
        )
        return remote_id


@pytest.fixture
def shelf() -> Iterator[Shelf]:
    registry.reset({**registry.CONNECTORS, "shelf": SHELF})
    ShelfConnector.shelf = Shelf()
    yield ShelfConnector.shelf
    registry.reset()


class TestShelfContract(ConnectorContract):
    connector_class = ShelfConnector
    expected_capabilities = frozenset({Publisher, Reconciler, InboxReader})

    @pytest.fixture(autouse=True)
    def _registered(self, shelf: Shelf) -> None:
        pass

    @pytest.fixture
    def network(self, shelf: Shelf) -> FakeShelf:
        return FakeShelf(shelf)


# --- The checks catch a cheat ------------------------------------------------------------------


class TakesAnything(ShelfConnector):
    """Reconciles by answering yes, like a fake that hands back a canned reference."""

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        return PublishedRef(self.shelf.posts[0].remote_id) if self.shelf.posts else None


class DedupingShelf(Shelf):
    """A fake that keeps one post per text: kinder than any real network."""

    def write(self, text: str) -> str:
        known = [held for held in self.posts if held.text == text]
        return known[0].remote_id if known else super().write(text)


def test_a_reconcile_that_takes_another_post_fails_the_contract(shelf):
    class Fake(FakeShelf):
        def connector(self) -> ShelfConnector:
            return TakesAnything(ConnectorContext(channel_id=1))

    with pytest.raises(AssertionError, match="other words"):
        TestShelfContract().test_reconcile_finds_the_accepted_post_and_no_other(Fake(shelf))


def test_a_fake_that_deduplicates_by_words_fails_the_contract(shelf):
    ShelfConnector.shelf = kind = DedupingShelf()
    with pytest.raises(AssertionError):
        TestShelfContract().test_two_keys_make_two_posts(FakeShelf(kind))
