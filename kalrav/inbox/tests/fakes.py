"""A network with an inbox, answering what the test puts in it (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

from kalrav.connectors import registry
from kalrav.connectors.base import (
    Author,
    Cursor,
    InboxReader,
    IncomingItem,
    ItemKind,
    Page,
    PublishedRef,
)
from kalrav.connectors.errors import ConnectorError


class FakeInboxConnector:
    slug = "fakeinbox"
    label = "Fake inbox"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (InboxReader,)
    settings_fields = ()
    pages: list[Page] = []
    seen_cursors: list[str | None] = []
    replies: list[tuple[str, str, str]] = []
    fail_with: ConnectorError | None = None

    def __init__(self, context):
        self.context = context

    def fetch_inbox(self, since: Cursor | None) -> Page:
        FakeInboxConnector.seen_cursors.append(since.value if since else None)
        return (
            FakeInboxConnector.pages.pop(0)
            if FakeInboxConnector.pages
            else Page(items=(), cursor=since)
        )

    def reply(self, to: IncomingItem, post, *, idempotency_key: str) -> PublishedRef:
        if FakeInboxConnector.fail_with is not None:
            raise FakeInboxConnector.fail_with
        FakeInboxConnector.replies.append((to.remote_id, post.text, idempotency_key))
        return PublishedRef(
            remote_id=f"sent-{len(FakeInboxConnector.replies)}", url="https://fake.example/post"
        )


def item(
    remote_id: str,
    text: str,
    *,
    root: str = "",
    parent: str = "",
    author: str = "asha",
    kind: ItemKind = ItemKind.REPLY,
) -> IncomingItem:
    return IncomingItem(
        kind=kind,
        remote_id=remote_id,
        author=Author(
            remote_id=f"did:{author}", handle=f"@{author}", display_name=author.title() + " Roy"
        ),
        text=text,
        created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        parent_id=parent,
        root_id=root,
    )
