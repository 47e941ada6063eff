"""What the audience says to an Instagram account, and what the account does about it.

Comments, @mentions and direct messages arrive by Meta's webhooks at /hooks/networks/instagram/
(`receive_for_app`): the signature is checked over the raw body first, entries for several
accounts may come in one delivery, the view answers at once and the worker stores each item once
by its id (a replayed delivery stores nothing new). A mention comes as ids only, and a comment
sometimes without its author: `complete` fetches them. `fetch_inbox` is the polling backstop for
deliveries Meta gave up on: comments on the account's newest media, and direct messages from the
conversations API (conversations.py), under the webhook's ids so either way stores a message
once; it spaces itself out as Meta's usage budget fills.

Replying: a comment is answered in its thread (`POST /{comment-id}/replies`) or privately, in a
direct message (`options["private_reply"]`, recipient `comment_id`); a mention on someone else's
media through `POST /{ig-user-id}/mentions`; a message by `POST /{page-id}/messages`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    IncomingItem,
    ItemKind,
    ItemRef,
    MetricRow,
    Moderation,
    OutgoingPost,
    Page,
    PublishedRef,
)
from kalrav.connectors.declared import metrics
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.facebook.inbox import FIRST_LOOK_BACK, POLL_BACK_OFF, POLL_EASE_FROM
from kalrav.connectors.networks.facebook.webhooks import (
    answer_subscribe,
    meta_app_secret,
    meta_verify_token,
    verify_signature,
)
from kalrav.connectors.networks.instagram import conversations, mapping
from kalrav.connectors.networks.instagram.login import instagram_app_secret
from kalrav.connectors.webhooks import AppDelivery, HandshakeAnswer

if TYPE_CHECKING:
    from kalrav.connectors.networks.instagram.client import GraphClient

INBOX_MEDIA = 10  # newest media whose comments the backstop reads
# Per-media insights (IG Media Insights reference,
# https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights):
# `views` replaced `impressions` and `plays` in 2025; `total_interactions` sums the others.
MEDIA_METRICS = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
# Instagram's names for figures Kalrav adds up across networks (kalrav.connectors.declared.metrics);
# `total_interactions` keeps its name: it would count the others twice.
RENAMED = {"saved": metrics.SAVES, "followers_count": metrics.FOLLOWERS}
STORY_METRICS = ("views", "reach", "replies", "shares", "total_interactions")
ACCOUNT_FIELDS = ("followers_count", "follows_count", "media_count")


class InstagramInbox:
    """Mixed into InstagramConnector, which provides `context`, `graph` and `user_id`."""

    context: ConnectorContext

    @property
    def graph(self) -> GraphClient:
        raise NotImplementedError

    @property
    def user_id(self) -> str:
        raise NotImplementedError

    # --- AppWebhookReceiver ----------------------------------------------------------------------

    @classmethod
    def answer_handshake(
        cls, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> HandshakeAnswer | None:
        return answer_subscribe(query, meta_verify_token())

    @classmethod
    def receive_for_app(cls, headers: Mapping[str, str], body: bytes) -> AppDelivery:
        _verify_either_secret(headers, body)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(f"the body is not JSON: {error}") from None
        if not isinstance(payload, dict) or payload.get("object") != "instagram":
            raise ValueError('expected {"object": "instagram", "entry": [...]}')
        found: list[tuple[str, IncomingItem]] = []
        for entry in payload.get("entry") or ():
            if not isinstance(entry, dict):
                raise ValueError("an entry is not an object")
            account = str(entry.get("id") or "")
            for change in entry.get("changes") or ():
                item = _from_change(account, change)
                if item is not None:
                    found.append((account, item))
            for event in entry.get("messaging") or ():
                item = mapping.message(event) if isinstance(event, dict) else None
                if item is not None and item.author.remote_id != account:
                    found.append((account, item))
        return AppDelivery(tuple(found))

    # --- ItemCompleter ---------------------------------------------------------------------------

    def complete(self, items: Sequence[IncomingItem]) -> list[IncomingItem]:
        """Mentions get their words, author and media; comments without an author get theirs.
        An item Meta will not show any more (deleted meanwhile) is kept as it came."""
        done = []
        for item in items:
            try:
                if item.kind == ItemKind.MENTION:
                    item = self._mentioned(item)
                elif item.kind in (ItemKind.COMMENT, ItemKind.REPLY) and not item.author.handle:
                    data = self.graph.get(
                        item.remote_id, {"fields": ",".join(mapping.COMMENT_FIELDS)}
                    )
                    item = mapping.comment(data, media_id=item.root_id)
            except Rejected:
                pass
            done.append(item)
        return done

    def _mentioned(self, item: IncomingItem) -> IncomingItem:
        """`GET /{ig-user-id}?fields=mentioned_comment.comment_id(...)` (IG User Mentioned
        Comment reference): a comment that mentions the account on someone else's media."""
        fields = (
            "mentioned_comment.comment_id({id}){{id,text,timestamp,username,media{{id,permalink}}}}"
        )
        answer = self.graph.get(self.user_id, {"fields": fields.format(id=item.remote_id)})
        data = answer.get("mentioned_comment") or {}
        if not data:
            return item
        return replace(
            mapping.comment(data, media_id=item.root_id, kind=ItemKind.MENTION),
            parent_id="",
        )

    # --- InboxReader -----------------------------------------------------------------------------

    def fetch_inbox(self, since: Cursor | None) -> Page:
        """Comments (and replies) on the newest media and direct messages (conversations.py),
        after the cursor's time; the cursor keeps the ids seen at that exact time, which
        Instagram gives to the second. Direct messages are read one day back at first, so a
        new channel does not import every conversation's history."""
        after, seen, not_before = _read_cursor(since)
        if not_before and datetime.now(UTC).timestamp() < not_before:
            return Page((), since)  # Meta's budget is getting used: this poll is not due yet
        items = [item for item in self._polled_comments() if _new(item, after, seen)]
        notice = ""
        try:
            messages = conversations.read_messages(
                self.graph, self._messages_node, self._messages_after(after), self._own_ids
            )
        except Rejected as refused:
            # Typically an account connected without the messaging permission: its comments
            # are still read, and the channel says why messages are not.
            messages = []
            notice = _(
                "Instagram did not let Kalrav read direct messages (%(reason)s); they arrive "
                "only by Meta's webhook."
            ) % {"reason": refused.reason}
        items += [item for item in messages if _new(item, after, seen)]
        items.sort(key=lambda item: (item.created_at, item.remote_id))
        newest = items[-1].created_at.isoformat() if items else after
        at_newest = [item.remote_id for item in items if item.created_at.isoformat() == newest]
        if newest == after:
            at_newest = [*seen, *at_newest]
        return Page(tuple(items), _cursor(newest, at_newest, self._next_poll()), notice)

    def _polled_comments(self) -> list[IncomingItem]:
        items: list[IncomingItem] = []
        media = self.graph.get(
            f"{self.user_id}/media", {"fields": "id,timestamp,comments_count", "limit": INBOX_MEDIA}
        )
        own = self.user_id
        fields = ",".join(mapping.COMMENT_FIELDS)
        for row in media.get("data") or ():
            if not row.get("comments_count") and row.get("comments_count") is not None:
                continue
            answer = self.graph.get(
                f"{row['id']}/comments",
                {"fields": f"{fields},replies{{{fields}}}", "limit": 50},
            )
            for data in answer.get("data") or ():
                for found in (data, *((data.get("replies") or {}).get("data") or ())):
                    if (found.get("from") or {}).get("id") == own:
                        continue
                    items.append(mapping.comment(found, media_id=str(row["id"])))
        return items

    @staticmethod
    def _messages_after(after: str) -> datetime:
        if after:
            with contextlib.suppress(ValueError):
                return datetime.fromisoformat(after)
        return datetime.now(UTC) - FIRST_LOOK_BACK

    @property
    def _own_ids(self) -> frozenset[str]:
        """The account as `from` names it: its Instagram id (the webhook's entry id)."""
        known = (self.user_id, self.context.account_id, self.context.config.get("ig_user_id"))
        return frozenset(str(each) for each in known if each)

    def _next_poll(self) -> float:
        """Polling is the backstop behind the webhook: once half of Meta's budget is used it
        spaces itself out, up to POLL_BACK_OFF apart when the budget is nearly spent, leaving
        the rest to publishing and answers (as the Facebook connector's does)."""
        usage = self.graph.usage
        if usage.percent < POLL_EASE_FROM:
            return 0.0
        share = min((usage.percent - POLL_EASE_FROM) / (100 - POLL_EASE_FROM), 1.0)
        return round(datetime.now(UTC).timestamp() + share * POLL_BACK_OFF.total_seconds(), 3)

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        text = post.text
        if to.kind == ItemKind.DIRECT_MESSAGE:
            answer = self.graph.post(
                f"{self._messages_node}/messages",
                {"recipient": {"id": to.author.remote_id}, "message": {"text": text}},
            )
            return PublishedRef(str(answer.get("message_id") or answer.get("id") or ""))
        if post.options.get("private_reply"):
            # One private reply per comment, within 7 days of it (Private Replies reference).
            answer = self.graph.post(
                f"{self._messages_node}/messages",
                {"recipient": {"comment_id": to.remote_id}, "message": {"text": text}},
            )
            return PublishedRef(str(answer.get("message_id") or answer.get("id") or ""))
        if to.kind == ItemKind.MENTION:
            answer = self.graph.post(
                f"{self.user_id}/mentions",
                {"media_id": to.root_id, "comment_id": to.remote_id, "message": text},
            )
        else:
            answer = self.graph.post(f"{to.remote_id}/replies", {"message": text})
        return PublishedRef(str(answer.get("id") or ""))

    @property
    def _messages_node(self) -> str:
        """Instagram messaging with Facebook Login goes through the linked Page (Messenger
        Platform, `POST /{page-id}/messages` with the Page token); `me` is the Page when the
        token is a Page token and its id was not kept."""
        return str(self.context.config.get("page_id") or "me")

    # --- Moderator, ReplyHider -------------------------------------------------------------------

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        """Comments on the account's own media may be hidden or deleted; the account's own
        comments deleted. The API likes nothing, and messages and mentions on others' media
        cannot be moderated from here."""
        if item.kind not in (ItemKind.COMMENT, ItemKind.REPLY):
            return frozenset()
        if item.ours:
            return frozenset({Moderation.DELETE})
        return frozenset({Moderation.HIDE, Moderation.UNHIDE, Moderation.DELETE})

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        raise Rejected(_("Instagram's API cannot like comments."))

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        raise Rejected(_("Instagram's API cannot like comments."))

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        self.graph.delete(item.remote_id)

    def hide(self, item: ItemRef, *, idempotency_key: str) -> None:
        self.graph.post(item.remote_id, {"hide": True})

    def unhide(self, item: ItemRef, *, idempotency_key: str) -> None:
        self.graph.post(item.remote_id, {"hide": False})

    # --- InsightsReader --------------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        now = datetime.now(UTC)
        rows: list[MetricRow] = []
        for ref in refs:
            try:
                answer = self.graph.get(
                    f"{ref.remote_id}/insights", {"metric": ",".join(MEDIA_METRICS)}
                )
            except Rejected:
                # A story or an old post does not have every metric: ask for the story set.
                try:
                    answer = self.graph.get(
                        f"{ref.remote_id}/insights", {"metric": ",".join(STORY_METRICS)}
                    )
                except Rejected:
                    continue  # gone, or insights not available for it
            for metric in answer.get("data") or ():
                value = _metric_value(metric)
                if value is not None:
                    name = str(metric.get("name"))
                    rows.append(MetricRow(RENAMED.get(name, name), value, now, ref.remote_id))
        return rows

    def channel_metrics(self) -> list[MetricRow]:
        answer = self.graph.get(self.user_id, {"fields": ",".join(ACCOUNT_FIELDS)})
        now = datetime.now(UTC)
        return [
            MetricRow(RENAMED.get(name, name), int(answer[name]), now)
            for name in ACCOUNT_FIELDS
            if isinstance(answer.get(name), int)
        ]


def _from_change(account: str, change: Any) -> IncomingItem | None:
    if not isinstance(change, dict):
        raise ValueError("a change is not an object")
    field, value = change.get("field"), change.get("value") or {}
    if not isinstance(value, dict):
        raise ValueError("a change's value is not an object")
    if field == "comments" and value.get("id"):
        if str((value.get("from") or {}).get("id") or "") == account:
            return None  # the account's own comment (a reply Kalrav sent)
        return mapping.comment(value)
    if field == "mentions" and (value.get("comment_id") or value.get("media_id")):
        return mapping.mention(value)
    return None  # fields Kalrav did not subscribe to


def _metric_value(metric: Mapping[str, Any]) -> int | float | None:
    values = metric.get("values") or []
    if values and isinstance(values[0], dict):
        value = values[0].get("value")
    else:
        value = (metric.get("total_value") or {}).get("value")
    return value if isinstance(value, int | float) else None


def _new(item: IncomingItem, after: str, seen: list[str]) -> bool:
    stamp = item.created_at.isoformat()
    return not after or stamp > after or (stamp == after and item.remote_id not in seen)


def _read_cursor(cursor: Cursor | None) -> tuple[str, list[str], float]:
    """The newest time seen (ISO, UTC), the ids seen at it, and when the next poll is due."""
    if cursor is None:
        return "", [], 0.0
    try:
        data = json.loads(cursor.value)
        return (
            str(data.get("after") or ""),
            [str(i) for i in data.get("seen") or []],
            float(data.get("not_before") or 0.0),
        )
    except (ValueError, TypeError, AttributeError):
        return "", [], 0.0


def _cursor(after: str, seen: list[str], not_before: float = 0.0) -> Cursor:
    return Cursor(json.dumps({"after": after, "seen": seen, "not_before": not_before}))


def _verify_either_secret(headers: Mapping[str, str], body: bytes) -> None:
    """Accounts connected through a Page are delivered signed with the Meta app's secret, those
    connected with Instagram Login with the Instagram app's (login.py): both arrive with object
    "instagram" at the same address, so either configured secret may have signed it."""
    secrets = [secret for secret in (meta_app_secret(), instagram_app_secret()) if secret]
    if not secrets:
        verify_signature("", headers, body)  # refuses: nothing configured to trust
    for secret in secrets:
        try:
            verify_signature(secret, headers, body)
        except PermissionError:
            continue
        return
    raise PermissionError("X-Hub-Signature-256 matches neither the Meta nor the Instagram app")
