"""The room's new messages as a stream, from the Client-Server API's /sync.

/sync is a long poll: the homeserver answers as soon as something happens after the `since` token,
or after the wait with nothing, and each answer carries the `next_batch` token to ask from next.
Kept and passed back, the token resumes the stream where it stopped. When more happened than one
answer holds, the timeline says `limited` and the rest is read forward from the previous token with
/messages (which accepts sync tokens), so a long gap loses nothing.
"""

from __future__ import annotations

from typing import Any

from kalrav.connectors.networks.matrix.mapping import EVENT_FILTER, display_names

TIMELINE_LIMIT = 50


def sync_filter(room_id: str, *, timeline_limit: int = TIMELINE_LIMIT) -> dict[str, Any]:
    """Only the room's messages and the member events naming their senders; no presence, typing,
    receipts or account data, which Kalrav does not use."""
    return {
        "presence": {"types": []},
        "account_data": {"types": []},
        "room": {
            "rooms": [room_id],
            "timeline": {**EVENT_FILTER, "limit": timeline_limit},
            "state": {"lazy_load_members": True},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
        },
    }


def room_batch(answer: dict[str, Any], room_id: str) -> tuple[list[dict], dict[str, str], bool]:
    """The room's message events in one /sync answer, oldest first; the display names the answer
    gives; and whether the timeline was cut short (`limited`)."""
    joined = (answer.get("rooms") or {}).get("join") or {}
    room = joined.get(room_id) or {}
    timeline = room.get("timeline") or {}
    events = [event for event in timeline.get("events") or [] if "state_key" not in event]
    names = display_names(((room.get("state") or {}).get("events")) or [])
    return events, names, bool(timeline.get("limited"))
