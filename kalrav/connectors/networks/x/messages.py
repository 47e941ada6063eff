"""Direct messages, where the operator turned them on (KALRAV_X_DIRECT_MESSAGES) and the X app's
access level has them: read from GET /2/dm_events, answered in the conversation they came from.

X takes no idempotency key for a message either, so after an unknown outcome `find_sent` looks
for the text among the account's own messages in that conversation since the first try.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from kalrav.connectors.base import IncomingItem, ItemKind, PublishedRef
from kalrav.connectors.errors import Transient
from kalrav.connectors.networks.x import client, mapping

DM_EVENTS = "GET /2/dm_events"
DM_FIELDS = "id,text,created_at,dm_conversation_id,event_type"
# The sender comes as an expansion: X's OpenAPI description lists sender_id there.
DM_EXPANSIONS = "sender_id"
PAGES = 5
# A conversation's address on x.com: the inbox keeps it as the item's url, which tells a reply
# (and its reconcile) that it answers a message, not a post.
MESSAGES_URL = f"{mapping.WEB}/messages/"
# After X refused direct messages for the access level, ask again this much later (the operator
# may have upgraded), not at every poll.
DENIED_RETRY = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=2)


def denied_notice() -> str:
    return _("Direct messages need a higher X access level; mentions and replies still arrive.")


def conversation_url(conversation_id: str) -> str:
    return f"{MESSAGES_URL}{conversation_id}" if conversation_id else ""


def conversation_of(url: str) -> str:
    """The conversation id in a message's url; "" for anything else."""
    return url[len(MESSAGES_URL) :] if url.startswith(MESSAGES_URL) else ""


def one_to_one(a: str, b: str) -> str:
    """X names a conversation of two accounts by their ids, the smaller first."""
    low, high = sorted((a, b), key=lambda value: int(value) if value.isdigit() else 0)
    return f"{low}-{high}"


def incoming(event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]]) -> IncomingItem:
    sender = str(event.get("sender_id") or "")
    conversation = str(event.get("dm_conversation_id") or "")
    return IncomingItem(
        kind=ItemKind.DIRECT_MESSAGE,
        remote_id=str(event["id"]),
        author=mapping.author(users.get(sender, {"id": sender})),
        text=html.unescape(str(event.get("text") or "")),
        created_at=mapping.created_at(event),
        url=conversation_url(conversation),
        root_id=conversation,
    )


def fetch(api: client.XApi, own: str, since_id: str) -> tuple[list[IncomingItem], str]:
    """Messages to the account newer than `since_id`, oldest first, and the newest id seen.
    dm_events lists newest first and takes no since_id: pages are read until an old one."""
    params: dict[str, Any] = {
        "max_results": 100,
        "event_types": "MessageCreate",
        "dm_event.fields": DM_FIELDS,
        "expansions": DM_EXPANSIONS,
        "user.fields": "username,name,profile_image_url",
    }
    items: list[IncomingItem] = []
    newest = since_id
    for _page in range(PAGES if since_id else 1):
        answer = api.call("GET", "/2/dm_events", params=params, budget=DM_EVENTS)
        users = {
            str(user.get("id")): user for user in (answer.get("includes") or {}).get("users") or ()
        }
        reached_old = False
        for event in answer.get("data") or ():
            event_id = str(event.get("id") or "")
            if since_id and _number(event_id) <= _number(since_id):
                reached_old = True
                continue
            newest = max(newest, event_id, key=_number)
            if str(event.get("sender_id") or "") != own:
                items.append(incoming(event, users))
        token = (answer.get("meta") or {}).get("next_token")
        if reached_old or not token:
            break
        params["pagination_token"] = token
    items.sort(key=lambda item: _number(item.remote_id))
    return items, newest


def send(api: client.XApi, to: IncomingItem, text: str) -> PublishedRef:
    """Into the conversation the message came from; to its writer when that is not known."""
    if to.root_id:
        path = f"/2/dm_conversations/{to.root_id}/messages"
    else:
        path = f"/2/dm_conversations/with/{to.author.remote_id}/messages"
    answer = api.call("POST", path, json={"text": text})
    try:
        data = answer["data"]
        return PublishedRef(
            str(data["dm_event_id"]),
            url=conversation_url(str(data["dm_conversation_id"])),
            published_at=datetime.now(UTC),
        )
    except (KeyError, TypeError):
        raise Transient(_("X took the message but did not say its id.")) from None


def find_sent(
    api: client.XApi, own: str, conversation: str, text: str, not_before: datetime
) -> PublishedRef | None:
    """The account's own message with this text in the conversation since `not_before`."""
    params: dict[str, Any] = {
        "max_results": 100,
        "event_types": "MessageCreate",
        "dm_event.fields": DM_FIELDS,
        "expansions": DM_EXPANSIONS,
    }
    answer = api.call("GET", f"/2/dm_conversations/{conversation}/dm_events", params=params)
    wanted = mapping.comparable(text)
    since = not_before - CLOCK_SKEW
    found = [
        event
        for event in answer.get("data") or ()
        if str(event.get("sender_id") or "") == own
        and mapping.comparable(html.unescape(str(event.get("text") or ""))) == wanted
        and mapping.created_at(event) >= since
    ]
    if not found:
        return None
    first = min(found, key=lambda event: _number(str(event.get("id") or "")))
    return PublishedRef(
        str(first["id"]),
        url=conversation_url(conversation),
        published_at=mapping.created_at(first),
    )


def _number(event_id: str) -> int:
    return int(event_id) if event_id.isdigit() else 0
