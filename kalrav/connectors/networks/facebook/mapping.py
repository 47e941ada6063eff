"""Graph objects and webhook payloads as Kalrav's values.

Comment fields follow https://developers.facebook.com/docs/graph-api/reference/comment/, the feed
webhook's `value` https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed and
Messenger's `messaging` events
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kalrav.connectors.base import Author, IncomingItem, ItemKind

COMMENT_FIELDS = "id,message,created_time,from{id,name,picture{url}},parent{id},permalink_url"
POST_FIELDS = "id,message,created_time,permalink_url"
URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def post_url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


def first_link(text: str) -> str:
    found = URL.search(text)
    return found.group(0).rstrip(".,;:!?)") if found else ""


def comparable(text: str) -> str:
    """Text as Facebook keeps it, for finding a post again: it trims the ends and may fold
    runs of spaces, and it turns \\r\\n into \\n."""
    return _SPACE.sub(" ", text.replace("\r\n", "\n")).strip()


def when(value: Any) -> datetime:
    """Graph's ISO times ("2026-12-07T08:41:20+0000") and webhooks' epoch seconds or
    milliseconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        if number > 10_000_000_000:  # milliseconds (Messenger's timestamp)
            number /= 1000
        return datetime.fromtimestamp(number, tz=UTC)
    if isinstance(value, str) and value:
        text = value.replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", text):
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            return datetime.fromisoformat(text).astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def author(data: Mapping[str, Any] | None) -> Author:
    data = data or {}
    picture = ((data.get("picture") or {}).get("data") or {}).get("url") or ""
    return Author(
        remote_id=str(data.get("id") or ""),
        display_name=str(data.get("name") or ""),
        avatar_url=str(picture),
    )


def comment(data: Mapping[str, Any], post_id: str = "") -> IncomingItem:
    """A Graph comment: a reply when it answers another comment rather than the post."""
    parent = str((data.get("parent") or {}).get("id") or "")
    root = post_id or str(data.get("post_id") or "")
    return IncomingItem(
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        remote_id=str(data["id"]),
        author=author(data.get("from")),
        text=str(data.get("message") or ""),
        created_at=when(data.get("created_time")),
        url=str(data.get("permalink_url") or ""),
        parent_id=parent or root,
        root_id=root,
    )


def feed_comment(value: Mapping[str, Any]) -> IncomingItem:
    """A feed webhook change for a comment: the ids, message and author as far as sent. A reply's
    parent_id is the comment it answers; a top-level comment's is the post itself."""
    post_id = str(value.get("post_id") or "")
    parent = str(value.get("parent_id") or "")
    return IncomingItem(
        kind=ItemKind.REPLY if parent and parent != post_id else ItemKind.COMMENT,
        remote_id=str(value["comment_id"]),
        author=author(value.get("from")),
        text=str(value.get("message") or ""),
        created_at=when(value.get("created_time")),
        url=str(value.get("permalink_url") or ""),
        parent_id=parent or post_id,
        root_id=post_id,
    )


def messenger(event: Mapping[str, Any]) -> IncomingItem:
    """A Messenger `messages` event: the sender's page-scoped id only; the name comes from the
    completer. The conversation is the sender's id, which a reply is addressed to."""
    message = event.get("message") or {}
    sender = str((event.get("sender") or {}).get("id") or "")
    text = str(message.get("text") or "")
    if not text and message.get("attachments"):
        kinds = {
            str(a.get("type") or "file") for a in message["attachments"] if isinstance(a, dict)
        }
        text = "[" + ", ".join(sorted(kinds)) + "]"
    return IncomingItem(
        kind=ItemKind.DIRECT_MESSAGE,
        remote_id=str(message["mid"]),
        author=Author(remote_id=sender),
        text=text,
        created_at=when(event.get("timestamp")),
        root_id=sender,
    )


def conversation_message(data: Mapping[str, Any], page_id: str) -> IncomingItem | None:
    """A message read from /{page-id}/conversations; None for the Page's own."""
    sender = data.get("from") or {}
    if str(sender.get("id") or "") == page_id:
        return None
    return IncomingItem(
        kind=ItemKind.DIRECT_MESSAGE,
        remote_id=str(data["id"]),
        author=Author(
            remote_id=str(sender.get("id") or ""), display_name=str(sender.get("name") or "")
        ),
        text=str(data.get("message") or ""),
        created_at=when(data.get("created_time")),
        root_id=str(sender.get("id") or ""),
    )
