"""Direct messages read back from Meta's conversations API, the polling backstop for messaging
webhooks that never arrived (Kalrav was down, Meta gave up retrying, the app's webhook was not
set up yet).

With Facebook Login the account's conversations are read through its Page
(`GET /{page-id}/conversations?platform=instagram`, Conversations API for Messenger Platform,
https://developers.facebook.com/docs/messenger-platform/conversations); with Instagram Login
through graph.instagram.com (`GET /me/conversations?platform=instagram`,
https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api).
Both list conversations newest first with their `updated_time`, so reading stops at the first
conversation not touched since the cursor; each one touched is read as
`GET /{conversation-id}?fields=messages{...}`, newest first, then
`GET /{conversation-id}/messages` page by page until the messages are older than the cursor. Meta gives details of a conversation's 20 most recent
messages only: a conversation that received more while nothing polled loses the older ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kalrav.connectors.base import IncomingItem
from kalrav.connectors.networks.instagram import mapping

if TYPE_CHECKING:
    from kalrav.connectors.networks.instagram.client import GraphClient

CONVERSATIONS_PER_PAGE = 25
# A poll reads at most this many pages of conversations (100 conversations touched since the
# last poll) and two pages of each one's messages (Meta details the newest 20 only): a backlog
# larger than that is left to the webhook rather than spending the budget publishing needs.
CONVERSATION_PAGES = 4
MESSAGE_PAGES = 2


def read_messages(
    graph: GraphClient, node: str, after: datetime, own: frozenset[str]
) -> list[IncomingItem]:
    """Messages people sent to the account at or after `after` (the caller drops those it has
    already seen at that second); the account's own are left out."""
    found: list[IncomingItem] = []
    path = f"{node}/conversations"
    params = {"platform": "instagram", "fields": "id,updated_time", "limit": CONVERSATIONS_PER_PAGE}
    for _page in range(CONVERSATION_PAGES):
        listing = graph.get(path, params)
        for talk in listing.get("data") or ():
            if not isinstance(talk, Mapping) or not talk.get("id"):
                continue
            if mapping.timestamp(talk.get("updated_time")) < after:
                return found  # newest first: every conversation after this one is older too
            found.extend(_conversation(graph, str(talk["id"]), after, own))
        following = _after(listing)
        if not following:
            break
        params = {**params, "after": following}
    return found


def _conversation(
    graph: GraphClient, talk: str, after: datetime, own: frozenset[str]
) -> list[IncomingItem]:
    fields = ",".join(mapping.MESSAGE_FIELDS)
    answer = graph.get(talk, {"fields": f"messages{{{fields}}}"})
    edge: Any = answer.get("messages") or {}
    found: list[IncomingItem] = []
    for _page in range(MESSAGE_PAGES):
        rows = [row for row in edge.get("data") or () if isinstance(row, Mapping)]
        older = False
        for row in rows:
            if mapping.timestamp(row.get("created_time")) < after:
                older = True
                continue
            item = mapping.conversation_message(row, own)
            if item is not None:
                found.append(item)
        following = _after(edge)
        if older or not rows or not following:
            break
        edge = graph.get(f"{talk}/messages", {"fields": fields, "after": following})
    return found


def _after(answer: Mapping[str, Any]) -> str:
    """Graph's cursor paging: the `after` cursor of the following page, when `paging.next` says
    there is one. The same path is asked again with it, as `reconcile` does, rather than the
    `next` address itself, whose query the client would replace with the appsecret_proof."""
    paging = answer.get("paging") or {}
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return ""
    return str((paging.get("cursors") or {}).get("after") or "")
