"""A Page's inbox: comments on its posts and its Messenger conversations.

Pushed by Meta's app webhook (`page_delivery` reads a checked delivery: `feed` changes for
comments, https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed, and
`messaging` events, https://developers.facebook.com/docs/messenger-platform/webhooks/), completed
in the worker where Meta left fields out (`complete`), and read back by polling as a backstop for
deliveries Meta gave up on (`fetch_inbox`). Comments are answered in public (POST
/{comment-id}/comments) or in private (the Send API with `recipient.comment_id`,
https://developers.facebook.com/docs/messenger-platform/discovery/private-replies/), hidden,
liked and deleted; a Messenger message is answered with messaging_type=RESPONSE only within 24
hours of it (https://developers.facebook.com/docs/messenger-platform/policy/policy-overview/).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from kalrav.connectors.base import (
    Author,
    Cursor,
    IncomingItem,
    ItemKind,
    ItemRef,
    Moderation,
    OutgoingPost,
    Page,
    PublishedRef,
    RateBudget,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected
from kalrav.connectors.networks.facebook import mapping
from kalrav.connectors.webhooks import AppDelivery

if TYPE_CHECKING:
    from kalrav.connectors.networks.facebook.client import GraphClient

RESPONSE_WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
FIRST_LOOK_BACK = timedelta(days=1)  # a Page connected today does not import its history
POLL_EASE_FROM = 50.0  # percent of Meta's budget used
POLL_BACK_OFF = timedelta(minutes=30)
RECENT_POSTS = 25
COMMENT_ACTIONS = frozenset(
    {Moderation.LIKE, Moderation.UNLIKE, Moderation.HIDE, Moderation.UNHIDE, Moderation.DELETE}
)


def page_delivery(body: bytes) -> AppDelivery:
    """The items of a checked `object: page` delivery, for the Page each entry is about. Removed
    comments, the Page's own comments and Messenger echoes of its own messages are left out."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"the body is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise ValueError("a Meta delivery has an `entry` list")
    if data.get("object") != "page":
        return AppDelivery(())
    found: list[tuple[str, IncomingItem]] = []
    for entry in data["entry"]:
        if not isinstance(entry, dict):
            continue
        page_id = str(entry.get("id") or "")
        for change in entry.get("changes") or ():
            value = change.get("value") if isinstance(change, dict) else None
            if (
                isinstance(value, dict)
                and change.get("field") == "feed"
                and value.get("item") == "comment"
                and value.get("verb") in ("add", "edited")
                and value.get("comment_id")
                and str((value.get("from") or {}).get("id") or "") != page_id
            ):
                found.append((page_id, mapping.feed_comment(value)))
        for event in entry.get("messaging") or ():
            message = event.get("message") if isinstance(event, dict) else None
            if isinstance(message, dict) and message.get("mid") and not message.get("is_echo"):
                found.append((page_id, mapping.messenger(event)))
    return AppDelivery(tuple(found))


class PageInbox:
    """InboxReader, Moderator, ReplyHider and ItemCompleter of the Facebook connector."""

    @property
    def graph(self) -> GraphClient:  # the connector's client
        raise NotImplementedError

    @property
    def page_id(self) -> str:
        raise NotImplementedError

    def now(self) -> datetime:  # the connector's clock
        raise NotImplementedError

    # --- polling backstop ------------------------------------------------------------------------

    def fetch_inbox(self, since: Cursor | None) -> Page:
        after, seen, not_before = _read_cursor(since)
        if not_before and self.now().timestamp() < not_before:
            return Page((), since)  # Meta's budget is getting used: this poll is not due yet
        after = after or (self.now() - FIRST_LOOK_BACK)
        page = self.page_id
        items: list[IncomingItem] = []
        feed = self.graph.get(
            f"{page}/feed",
            {
                "fields": "id,comments.filter(stream).order(reverse_chronological).limit(50)"
                "{" + mapping.COMMENT_FIELDS + "}",
                "limit": RECENT_POSTS,
            },
        )
        for post in feed.get("data") or ():
            for found in (post.get("comments") or {}).get("data") or ():
                if str((found.get("from") or {}).get("id") or "") == page:
                    continue
                item = mapping.comment(found, str(post.get("id") or ""))
                if _new(item, after, seen):
                    items.append(item)
        talks = self.graph.get(
            f"{page}/conversations",
            {
                "fields": "updated_time,messages.limit(20){id,message,created_time,from}",
                "limit": RECENT_POSTS,
            },
        )
        for talk in talks.get("data") or ():
            for message in (talk.get("messages") or {}).get("data") or ():
                said = mapping.conversation_message(message, page)
                if said is not None and _new(said, after, seen):
                    items.append(said)
        items.sort(key=lambda item: item.created_at)
        # Meta's times are whole seconds: the ids already seen at the newest second are kept,
        # so an item arriving later within that same second is still new next time.
        newest = max((item.created_at for item in items), default=after)
        at_newest = [item.remote_id for item in items if item.created_at == newest]
        if newest == after:
            at_newest += seen
        cursor = {
            "since": newest.timestamp(),
            "seen": sorted(set(at_newest)),
            "not_before": self._next_poll(),
        }
        return Page(tuple(items), Cursor(json.dumps(cursor)))

    def _next_poll(self) -> float:
        """Polling is the backstop behind the webhook: once half of Meta's budget is used it
        spaces itself out, up to POLL_BACK_OFF apart when the budget is nearly spent, leaving
        the rest to publishing and answers."""
        usage = self.graph.usage
        if usage.percent < POLL_EASE_FROM:
            return 0.0
        share = min((usage.percent - POLL_EASE_FROM) / (100 - POLL_EASE_FROM), 1.0)
        return round(self.now().timestamp() + share * POLL_BACK_OFF.total_seconds(), 3)

    # --- answering -------------------------------------------------------------------------------

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        if to.kind == ItemKind.DIRECT_MESSAGE:
            return self._message(to, post.text)
        if post.options.get("private"):
            return self._private_reply(to, post.text)
        # Facebook threads comments two deep: an answer to a reply goes into the thread of the
        # comment it replies to, as Facebook's own "Reply" does.
        target = to.parent_id if to.kind == ItemKind.REPLY and to.parent_id else to.remote_id
        answer = self.graph.post(f"{target}/comments", {"message": post.text})
        made = str(answer.get("id") or "")
        return PublishedRef(made, url=mapping.post_url(made), published_at=self.now())

    def _message(self, to: IncomingItem, text: str) -> PublishedRef:
        if self.now() - to.created_at > RESPONSE_WINDOW:
            raise Rejected(
                _(
                    "Facebook lets a Page answer a message only within 24 hours of it; this one "
                    "is older. Answer when the person writes again."
                )
            )
        answer = self.graph.post(
            f"{self.page_id}/messages",
            {
                "recipient": {"id": to.author.remote_id or to.root_id},
                "messaging_type": "RESPONSE",
                "message": {"text": text},
            },
        )
        return PublishedRef(str(answer.get("message_id") or ""), published_at=self.now())

    def _private_reply(self, to: IncomingItem, text: str) -> PublishedRef:
        if self.now() - to.created_at > PRIVATE_REPLY_WINDOW:
            raise Rejected(_("Facebook allows a private reply only within 7 days of the comment."))
        answer = self.graph.post(
            f"{self.page_id}/messages",
            {"recipient": {"comment_id": to.remote_id}, "message": {"text": text}},
        )
        return PublishedRef(str(answer.get("message_id") or ""), published_at=self.now())

    # --- moderating ------------------------------------------------------------------------------

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        if item.kind == ItemKind.DIRECT_MESSAGE:
            return frozenset()
        if item.ours:  # the Page cannot hide its own comment; it can delete it
            return frozenset({Moderation.LIKE, Moderation.UNLIKE, Moderation.DELETE})
        return COMMENT_ACTIONS

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        self.graph.post(f"{item.remote_id}/likes")
        return ""

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        self.graph.delete(f"{item.remote_id}/likes")

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        try:
            self.graph.delete(item.remote_id)
        except Rejected as refused:
            if "does not exist" not in refused.reason.lower():
                raise

    def hide(self, item: ItemRef, *, idempotency_key: str) -> None:
        self.graph.post(item.remote_id, {"is_hidden": True})

    def unhide(self, item: ItemRef, *, idempotency_key: str) -> None:
        self.graph.post(item.remote_id, {"is_hidden": False})

    # --- completing pushes -----------------------------------------------------------------------

    def complete(self, items: Sequence[IncomingItem]) -> list[IncomingItem]:
        """Comments whose author or words Meta left out are read again; a Messenger sender gets
        their name from the user profile API. An item that can no longer be read (deleted
        since), or not now, is kept as delivered."""
        done: list[IncomingItem] = []
        names: dict[str, Author] = {}
        for item in items:
            try:
                done.append(self._completed(item, names))
            except (Rejected, AuthExpired, RateLimited):
                # Stored as delivered rather than lost: a revoked token or a spent budget must
                # not drop what Meta pushed (the channel's state shows the token problem).
                done.append(item)
        return done

    def _completed(self, item: IncomingItem, names: dict[str, Author]) -> IncomingItem:
        if item.kind == ItemKind.DIRECT_MESSAGE:
            if item.author.display_name or not item.author.remote_id:
                return item
            who = item.author.remote_id
            if who not in names:
                found = self.graph.get(who, {"fields": "name,profile_pic"})
                names[who] = Author(
                    remote_id=who,
                    display_name=str(found.get("name") or ""),
                    avatar_url=str(found.get("profile_pic") or ""),
                )
            return replace(item, author=names[who])
        if item.author.remote_id and item.author.display_name and item.text:
            return item
        found = self.graph.get(item.remote_id, {"fields": mapping.COMMENT_FIELDS})
        fetched = mapping.comment(found, item.root_id)
        return replace(
            fetched,
            parent_id=fetched.parent_id if fetched.kind == ItemKind.REPLY else item.parent_id,
            url=fetched.url or item.url,
        )

    # --- rate budget -----------------------------------------------------------------------------

    def rate_budgets(self) -> list[RateBudget]:
        """Meta's usage headers as one budget of 100 percent."""
        usage = self.graph.usage
        if not usage.read_at:
            return []
        resets = None
        if usage.regain_seconds:
            resets = mapping.when(usage.read_at + usage.regain_seconds)
        return [RateBudget("Meta API usage (%)", max(0, int(100 - usage.percent)), 100, resets)]


def _new(item: IncomingItem, after: datetime, seen: list[str]) -> bool:
    return item.created_at > after or (item.created_at == after and item.remote_id not in seen)


def _read_cursor(cursor: Cursor | None) -> tuple[datetime | None, list[str], float]:
    if cursor is None:
        return None, [], 0.0
    try:
        data = json.loads(cursor.value)
        return (
            mapping.when(float(data["since"])),
            [str(i) for i in data.get("seen") or ()],
            float(data.get("not_before") or 0.0),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, [], 0.0
