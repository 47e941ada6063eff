"""X's Account Activity webhook: one address for the whole app (/hooks/networks/x/), every
subscribed account's events in it, each delivery keyed by `for_user_id`.

X checks the address with a CRC GET (`crc_token`), answered with the HMAC-SHA256 of the token
under the app's consumer secret (KALRAV_X_CONSUMER_SECRET), and signs each POST the same way over
the raw body (`x-twitter-webhooks-signature`). The events come in X's v1.1 shapes:
`tweet_create_events` (posts that mention or answer the account, and its own, which are skipped)
and `direct_message_events` (with the people they name in `users`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from kalrav.connectors.base import Author, IncomingItem, ItemKind
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.x import client, mapping, messages
from kalrav.connectors.webhooks import AppDelivery, HandshakeAnswer

SIGNATURE = "x-twitter-webhooks-signature"


def webhook_id() -> str:
    return str(getattr(settings, "X_WEBHOOK_ID", "") or "")


def subscribe(api: client.XApi) -> bool:
    """Subscribe the signed-in account to the app's webhook: only with a webhook registered
    (KALRAV_X_WEBHOOK_ID, which `kalrav x_webhook register` prints)
    and direct messages on, since X asks for the dm scopes here. A refusal (already subscribed,
    or the access level has no Account Activity) leaves the channel to polling."""
    if not webhook_id() or not client.direct_messages():
        return False
    try:
        answer = api.call(
            "POST", f"/2/account_activity/webhooks/{webhook_id()}/subscriptions/all", json={}
        )
    except Rejected:
        return False
    return bool((answer.get("data") or {}).get("subscribed"))


def consumer_secret() -> str:
    return str(getattr(settings, "X_CONSUMER_SECRET", "") or "")


def signature(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def handshake(query: Mapping[str, str]) -> HandshakeAnswer | None:
    token = query.get("crc_token")
    if not token:
        return None
    secret = consumer_secret()
    if not secret:
        # Without the secret no answer can be right: X marks the webhook invalid, as it should.
        raise PermissionError("KALRAV_X_CONSUMER_SECRET is not set")
    body = json.dumps({"response_token": signature(secret, token.encode())})
    return HandshakeAnswer(200, body, "application/json")


def receive(headers: Mapping[str, str], body: bytes) -> AppDelivery:
    secret = consumer_secret()
    sent = _header(headers, SIGNATURE)
    if not secret or not sent or not hmac.compare_digest(sent, signature(secret, body)):
        raise PermissionError("signature missing or wrong")
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    account = str(payload.get("for_user_id") or "")
    if not account:
        raise ValueError("for_user_id is missing")
    items: list[tuple[str, IncomingItem]] = []
    for post in payload.get("tweet_create_events") or ():
        item = _post(post, account)
        if item is not None:
            items.append((account, item))
    users = payload.get("users") if isinstance(payload.get("users"), dict) else {}
    for event in payload.get("direct_message_events") or ():
        item = _message(event, account, users or {})
        if item is not None:
            items.append((account, item))
    return AppDelivery(tuple(items))


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _v1_author(user: Mapping[str, Any]) -> Author:
    return mapping.author(
        {
            "id": user.get("id_str") or user.get("id"),
            "username": user.get("screen_name"),
            "name": user.get("name"),
            "profile_image_url": user.get("profile_image_url_https"),
        }
    )


def _post(post: Any, account: str) -> IncomingItem | None:
    if not isinstance(post, dict) or "retweeted_status" in post:
        return None  # a repost of the account's post is no message to answer
    writer = _v1_author(post.get("user") or {})
    post_id = str(post.get("id_str") or "")
    if not post_id or writer.remote_id == account:
        return None  # the account's own post, or not a post
    text = (post.get("extended_tweet") or {}).get("full_text") or post.get("text") or ""
    parent = str(post.get("in_reply_to_status_id_str") or "")
    return IncomingItem(
        kind=ItemKind.REPLY if parent else ItemKind.MENTION,
        remote_id=post_id,
        author=writer,
        text=html.unescape(str(text)),
        created_at=_v1_time(str(post.get("created_at") or "")),
        url=mapping.status_url(post_id, writer.handle),
        parent_id=parent,
        language="" if post.get("lang") in (None, "und") else str(post.get("lang")),
    )


def _message(event: Any, account: str, users: Mapping[str, Any]) -> IncomingItem | None:
    if not isinstance(event, dict) or event.get("type") != "message_create":
        return None
    created = event.get("message_create") or {}
    sender = str(created.get("sender_id") or "")
    event_id = str(event.get("id") or "")
    if not event_id or not sender or sender == account:
        return None  # the account's own message
    conversation = messages.one_to_one(sender, account)
    try:
        when = datetime.fromtimestamp(int(str(event.get("created_timestamp"))) / 1000, UTC)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    return IncomingItem(
        kind=ItemKind.DIRECT_MESSAGE,
        remote_id=event_id,
        author=_v1_author(users.get(sender) or {"id_str": sender}),
        text=html.unescape(str((created.get("message_data") or {}).get("text") or "")),
        created_at=when,
        url=messages.conversation_url(conversation),
        root_id=conversation,
    )


def _v1_time(raw: str) -> datetime:
    try:
        return datetime.strptime(raw, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return datetime.now(UTC)
