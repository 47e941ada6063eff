"""Room events as Kalrav's incoming items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kalrav.connectors.base import Author, IncomingItem, ItemKind
from kalrav.connectors.networks.matrix.content import permalink, user_link

# Only what people say: reactions, edits and state changes are not conversation.
EVENT_FILTER: dict[str, Any] = {"types": ["m.room.message"], "lazy_load_members": True}


def display_names(state: list[dict[str, Any]]) -> dict[str, str]:
    """Display names from the m.room.member events that lazy loading sends with a page."""
    return {
        str(event.get("state_key")): str(event.get("content", {}).get("displayname") or "")
        for event in state
        if event.get("type") == "m.room.member"
    }


def mentions(content: dict[str, Any], user_id: str) -> bool:
    declared = content.get("m.mentions")
    if isinstance(declared, dict):  # intentional mentions: the sender said exactly whom
        return user_id in (declared.get("user_ids") or [])
    # Older clients: the user id in the text or a pill linking to it.
    return user_id in str(content.get("body", "")) or user_link(user_id) in str(
        content.get("formatted_body", "")
    )


def without_reply_fallback(body: str) -> str:
    """The text without the "> <@user> quoted" lines older clients put before a reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def incoming_item(
    event: dict[str, Any], *, room_id: str, user_id: str, names: dict[str, str]
) -> IncomingItem | None:
    """The item for one m.room.message event; None for ours, for edits and for redacted events."""
    content = event.get("content") or {}
    sender = str(event.get("sender", ""))
    body = content.get("body")
    if sender == user_id or not isinstance(body, str):
        return None  # ours, or redacted (a redacted event keeps no content)
    relation = content.get("m.relates_to") or {}
    if relation.get("rel_type") == "m.replace":
        return None  # an edit of an earlier message, not a new one
    parent = str((relation.get("m.in_reply_to") or {}).get("event_id") or "")
    thread_root = ""
    if relation.get("rel_type") == "m.thread":
        thread_root = str(relation.get("event_id") or "")
        if not parent or relation.get("is_falling_back"):
            # A thread message without a real reply answers the thread's root; the fallback
            # m.in_reply_to only points at the thread's latest message for older clients.
            parent = thread_root
    if parent:
        kind = ItemKind.REPLY
        body = without_reply_fallback(body)
    elif mentions(content, user_id):
        kind = ItemKind.MENTION
    else:
        kind = ItemKind.COMMENT
    event_id = str(event["event_id"])
    return IncomingItem(
        kind=kind,
        remote_id=event_id,
        author=Author(
            remote_id=sender,
            handle=sender,
            display_name=names.get(sender, ""),
            url=user_link(sender),
        ),
        text=body,
        created_at=datetime.fromtimestamp(int(event.get("origin_server_ts", 0)) / 1000, tz=UTC),
        url=permalink(room_id, event_id),
        parent_id=parent,
        root_id=thread_root,
    )
