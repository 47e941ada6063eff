"""Instagram Graph payloads (IG Media, IG Comment, webhook changes and messaging events, as
Meta's references name their fields) as Kalrav's dataclasses, and a caption as its author wrote
it, for reconcile."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kalrav.connectors.base import Author, IncomingItem, ItemKind

WEB = "https://www.instagram.com"
# Fields asked for; the tests check each against facebook_business's IGUser, IGMedia and
# IGComment (tests/test_fields.py).
USER_FIELDS = ("id", "username", "name", "profile_picture_url")
MEDIA_FIELDS = ("id", "caption", "timestamp", "permalink", "media_type", "media_product_type")
COMMENT_FIELDS = ("id", "text", "timestamp", "username", "from", "parent_id", "media", "hidden")
CONTAINER_FIELDS = ("status_code", "status")
# A message read from the conversations API (Conversations API, "Get information about a
# message"); the SDK has no object for it, so the fake checks these against Meta's page.
MESSAGE_FIELDS = ("id", "created_time", "from", "to", "message")


def author(user: Mapping[str, Any]) -> Author:
    username = str(user.get("username") or "")
    return Author(
        remote_id=str(user.get("id") or ""),
        handle=username,
        display_name=str(user.get("name") or ""),
        url=f"{WEB}/{username}/" if username else "",
        avatar_url=str(user.get("profile_picture_url") or ""),
    )


def timestamp(raw: Any) -> datetime:
    """Graph writes `2026-12-07T08:15:00+0000`; webhooks give Unix seconds or milliseconds, and
    the conversations list may give its `updated_time` as Unix seconds in a string."""
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, int | float):
        seconds = raw / 1000 if raw > 10_000_000_000 else raw
        return datetime.fromtimestamp(seconds, UTC)
    text = str(raw or "")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def comment(
    data: Mapping[str, Any], *, media_id: str = "", kind: ItemKind | None = None
) -> IncomingItem:
    """An IG Comment (read, or a `comments` webhook change's value): a reply when it answers
    another comment. The root is the media it was left on."""
    writer = dict(data.get("from") or {})
    if data.get("username") and not writer.get("username"):
        writer["username"] = data["username"]
    media = data.get("media") or {}
    root = str(media.get("id") or media_id or "")
    parent = str(data.get("parent_id") or "")
    chosen = kind or (ItemKind.REPLY if parent else ItemKind.COMMENT)
    return IncomingItem(
        kind=chosen,
        remote_id=str(data.get("id") or ""),
        author=author(writer),
        text=str(data.get("text") or ""),
        created_at=timestamp(data.get("timestamp")),
        url=str(media.get("permalink") or ""),
        parent_id=parent or (root if chosen == ItemKind.REPLY else ""),
        root_id=root,
    )


def message(event: Mapping[str, Any]) -> IncomingItem | None:
    """A messaging event of the `instagram` object; None for an echo of the account's own
    message, a read receipt or a reaction (no `message` with a `mid`)."""
    found = event.get("message") or {}
    if not isinstance(found, Mapping) or not found.get("mid") or found.get("is_echo"):
        return None
    sender = str((event.get("sender") or {}).get("id") or "")
    text = str(found.get("text") or "")
    if not text and found.get("attachments"):
        text = "[" + ", ".join(str(a.get("type") or "?") for a in found["attachments"]) + "]"
    return IncomingItem(
        kind=ItemKind.DIRECT_MESSAGE,
        remote_id=str(found["mid"]),
        author=Author(remote_id=sender),
        text=text,
        created_at=timestamp(event.get("timestamp")),
        root_id=f"dm:{sender}",
    )


def conversation_message(data: Mapping[str, Any], own: frozenset[str]) -> IncomingItem | None:
    """A message read from the conversations API, as the webhook gives the same message: its
    `id` is the webhook's `mid` and `from` the same Instagram-scoped id, so a message that comes
    both ways is stored once, in the same conversation. None for the account's own messages,
    which the webhook leaves out as echoes."""
    sender = data.get("from") or {}
    who = str(sender.get("id") or "")
    if not data.get("id") or not who or who in own:
        return None
    return IncomingItem(
        kind=ItemKind.DIRECT_MESSAGE,
        remote_id=str(data["id"]),
        author=author(sender),
        text=str(data.get("message") or ""),
        created_at=timestamp(data.get("created_time")),
        root_id=f"dm:{who}",
    )


def mention(value: Mapping[str, Any]) -> IncomingItem:
    """A `mentions` change: only the comment's and media's ids come; ItemCompleter fetches the
    words and the author."""
    return IncomingItem(
        kind=ItemKind.MENTION,
        remote_id=str(value.get("comment_id") or value.get("media_id") or ""),
        author=Author(remote_id=""),
        text="",
        created_at=datetime.now(UTC),
        root_id=str(value.get("media_id") or ""),
    )


def comparable(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").strip()
