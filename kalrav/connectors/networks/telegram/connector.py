"""Telegram channels and groups through a bot, on the Bot API (no SDK: kalrav's HTTP client).

The bot must be an administrator of the channel or group. Comments reach the bot from the
channel's linked discussion group (the bot must be a member there, as an administrator or with
privacy mode off), by webhook or, as the fallback, by getUpdates. One bot serves one Kalrav
channel: Telegram hands each update to one reader, so two channels sharing a bot would take each
other's comments.

What bots cannot do, whatever Kalrav tries: read a channel's history, see view counts or
reactions per post, or attach anything to a message that would identify it later. See
`find_recent` for what reconciliation is possible instead.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.account import AccountInfo, AccountVerifier
from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    Editor,
    InboxReader,
    IncomingItem,
    InsightsReader,
    ItemKind,
    ItemRef,
    MediaItem,
    MetricRow,
    Moderation,
    Moderator,
    NetworkRules,
    OutgoingPost,
    Page,
    Problem,
    PublishedRef,
    Publisher,
    SettingsField,
)
from kalrav.connectors.declared import metrics
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.telegram import mapping
from kalrav.connectors.networks.telegram.client import BotApi
from kalrav.connectors.networks.telegram.mapping import Echo, MalformedUpdate
from kalrav.connectors.networks.telegram.rules import RULES
from kalrav.connectors.networks.telegram.webhook import load, secret_for, verify_webhook
from kalrav.connectors.rules import validate_post
from kalrav.connectors.webhooks import WebhookReceiver

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "channel_post"]
_CHAT = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?[0-9]{1,20})$")
_T_ME = re.compile(r"^(?:https?://)?t\.me/([A-Za-z][A-Za-z0-9_]{3,31})/?$")
# Answers that mean the request already had its effect: repeating an edit or a delete is safe.
_ALREADY_EDITED = "message is not modified"
_ALREADY_DELETED = "message to delete not found"
LIKE = "👍"
DELETE_WINDOW = timedelta(hours=48)  # deleteMessage refuses older messages

MediaReader = Callable[[MediaItem], "str | tuple[str, bytes]"]


def read_media(item: MediaItem) -> str | tuple[str, bytes]:
    """A public URL as is (Telegram downloads it), else the file's name and bytes from storage."""
    if item.source.startswith(("https://", "http://")):
        return item.source
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(item.source, "rb") as handle:
            return os.path.basename(item.source) or "upload", handle.read()
    except (OSError, ValueError) as exc:
        raise Rejected(
            _("The file %(name)s cannot be read for upload.") % {"name": item.source}
        ) from exc


@dataclass(frozen=True)
class Updates:
    """One read of getUpdates: the community's messages, and the channel posts it showed."""

    page: Page
    echoes: tuple[Echo, ...]


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery."""

    items: tuple[IncomingItem, ...]
    echo: Echo | None


class WebhookRefused(PermissionError):
    """The delivery does not carry this channel's secret token."""


class TelegramConnector:
    slug: ClassVar[str] = "telegram"
    label: ClassVar[str] = "Telegram"
    rules: NetworkRules = RULES
    # Neither an IdempotentPublisher nor a Reconciler: see `publish` and `find_recent`.
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        Editor,
        InboxReader,
        InsightsReader,
        Moderator,
        AccountVerifier,
        WebhookReceiver,
    )
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "bot_token",
            gettext_lazy("Bot token"),
            secret=True,
            kind="password",
            help_text=gettext_lazy(
                "From @BotFather; the bot must be an administrator of the channel."
            ),
        ),
        SettingsField(
            "chat_id",
            gettext_lazy("Channel or group"),
            help_text=gettext_lazy("@channelname or the numeric chat id."),
        ),
    )

    def __init__(
        self,
        context: ConnectorContext,
        *,
        http: HttpClient | None = None,
        media_reader: MediaReader = read_media,
        poll_timeout: int = 0,
    ) -> None:
        self.context = context
        self._http = http
        self._read_media = media_reader
        self.poll_timeout = poll_timeout  # seconds getUpdates waits; a listener sets ~25
        self._api: BotApi | None = None
        self._chat: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<TelegramConnector channel={self.context.channel_id}>"

    def close(self) -> None:
        """Close the HTTP client (also one the caller handed in: the connector owns it now)."""
        if self._api is not None:
            self._api.close()
        elif self._http is not None:
            self._http.close()

    # --- Plumbing --------------------------------------------------------------------------------

    @property
    def api(self) -> BotApi:
        if self._api is None:
            self._api = BotApi(self.context.credentials.get("bot_token", ""), http=self._http)
        return self._api

    @property
    def chat_id(self) -> str:
        value = str(self.context.config.get("chat_id", "")).strip()
        link = _T_ME.match(value)
        if link:
            value = f"@{link.group(1)}"
        if not _CHAT.match(value):
            raise Rejected(
                _("%(value)s is not a channel or group: use @name or the numeric chat id.")
                % {"value": value or "''"}
            )
        return value

    def chat(self) -> dict[str, Any]:
        """The configured chat as getChat describes it (asked once per connector)."""
        if self._chat is None:
            self._chat = self.api.read("getChat", {"chat_id": self.chat_id})
        return self._chat

    def community_chats(self) -> set[int]:
        """The chats whose messages belong to this channel's inbox: the chat itself when it is a
        group, and the discussion group linked to a channel."""
        chat = self.chat()
        chats = {chat["id"]} if chat.get("type") in ("group", "supergroup") else set()
        if isinstance(chat.get("linked_chat_id"), int):
            chats.add(chat["linked_chat_id"])
        return chats

    def _belongs(self, item: IncomingItem) -> bool:
        if item.kind == ItemKind.DIRECT_MESSAGE:
            return True  # people writing to the brand's bot privately
        chat, _number = mapping.split_remote_id(item.remote_id)
        return int(chat) in self.community_chats()

    # --- AccountVerifier ------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The channel, once Telegram confirms the token, the chat, and the bot's rights in it."""
        chat = self.chat()  # first: a setting that names no chat fails before any request
        bot = self.api.read("getMe")
        name = chat.get("title") or chat.get("username") or str(chat["id"])
        if chat.get("type") == "private":
            raise Rejected(
                _("%(name)s is a private chat; connect a channel or a group.") % {"name": name}
            )
        member = self.api.read("getChatMember", {"chat_id": chat["id"], "user_id": bot["id"]})
        status = member.get("status")
        bot_name = f"@{bot.get('username')}"
        if status not in ("administrator", "creator"):
            raise AuthExpired(
                _(
                    "%(bot)s is not an administrator of %(chat)s. Add it as an administrator "
                    "in Telegram, then reconnect the channel."
                )
                % {"bot": bot_name, "chat": name}
            )
        if (
            chat.get("type") == "channel"
            and status == "administrator"
            and not member.get("can_post_messages")
        ):
            raise AuthExpired(
                _(
                    "%(bot)s may not post in %(chat)s. Allow it to post messages in the "
                    "administrator settings, then reconnect the channel."
                )
                % {"bot": bot_name, "chat": name}
            )
        username = chat.get("username") or ""
        return AccountInfo(
            remote_id=str(chat["id"]),
            handle=f"@{username}" if username else "",
            display_name=chat.get("title") or "",
            url=f"https://t.me/{username}" if username else "",
            # A chat photo is only reachable through a file URL that contains the bot token.
            avatar_url="",
        )

    # --- Publisher -----------------------------------------------------------------------------

    def validate(self, post: OutgoingPost) -> list[Problem]:
        problems = validate_post(post, RULES)
        problems.extend(mapping.formatting_problems(post))
        kinds = {item.kind for item in post.media}
        if len(post.media) > 1 and not kinds <= set(mapping.ALBUM_TYPE):
            problems.append(
                Problem(
                    "album_media",
                    _("An album holds photos and videos only."),
                    target="media",
                )
            )
        if post.reply_to is not None:
            try:
                mapping.split_remote_id(post.reply_to.remote_id)
            except ValueError:
                problems.append(
                    Problem(
                        "reply_to",
                        _("The message to answer is not a Telegram message."),
                        target="reply_to",
                    )
                )
        return problems

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """Send the post. Telegram takes no idempotency key, so `idempotency_key` only names the
        attempt; a retry after an unknown outcome must go through `find_recent` first."""
        problems = self.validate(post)
        if problems:
            raise Rejected(problems[0].message)
        chat_id: int | str = self.chat_id
        extra: dict[str, Any] = {}
        if post.reply_to is not None:
            reply_chat, number = mapping.split_remote_id(post.reply_to.remote_id)
            chat_id = post.reply_to.extra.get("chat_id", reply_chat)
            extra["reply_parameters"] = mapping.reply_parameters(number)
        return self._send(chat_id, post, extra)

    def _send(self, chat_id: int | str, post: OutgoingPost, extra: dict[str, Any]) -> PublishedRef:
        base = {"chat_id": chat_id, **extra}
        if post.poll is not None:
            message = self.api.write("sendPoll", {**base, **mapping.poll_fields(post)})
            return mapping.published_ref([message], "poll")
        if not post.media:
            message = self.api.write(
                "sendMessage", {**base, **mapping.text_fields(post, caption=False)}
            )
            return mapping.published_ref([message], "text")
        if len(post.media) == 1:
            method, field = mapping.SEND_METHOD[post.media[0].kind]
            source = self._read_media(post.media[0])
            params = {**base, **mapping.text_fields(post, caption=True)}
            if isinstance(source, str):
                message = self.api.write(method, {**params, field: source})
            else:
                message = self.api.write(method, params, files={field: source})
            return mapping.published_ref([message], field)
        return self._send_album(base, post)

    def _send_album(self, base: dict[str, Any], post: OutgoingPost) -> PublishedRef:
        media, files = [], {}
        for index, item in enumerate(post.media):
            source = self._read_media(item)
            entry: dict[str, Any] = {"type": mapping.ALBUM_TYPE[item.kind]}
            if isinstance(source, str):
                entry["media"] = source
            else:
                name = mapping.upload_name(item, index)
                entry["media"] = f"attach://{name}"
                files[name] = source
            if index == 0:  # the first item's caption is the album's caption
                caption = mapping.text_fields(post, caption=True)
                entry.update({key: value for key, value in caption.items() if value is not None})
            media.append(entry)
        messages = self.api.write("sendMediaGroup", {**base, "media": media}, files=files or None)
        return mapping.published_ref(messages, "album")

    def edit(self, ref: PublishedRef, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """Change a sent message's text, or a media message's caption. Telegram cannot change a
        poll; new media would need editMessageMedia, which Kalrav does not send yet."""
        kind = ref.extra.get("kind", "text")
        if kind == "poll":
            raise Rejected(_("Telegram cannot edit a poll once it is sent."))
        problems = validate_post(
            OutgoingPost(post.text, media=post.media if kind != "text" else ()), RULES
        ) + mapping.formatting_problems(post)
        if problems:
            raise Rejected(problems[0].message)
        chat_id, (first, *_rest) = mapping.message_ids(ref)
        if kind == "text":
            method, fields = "editMessageText", mapping.text_fields(post, caption=False)
        else:
            method, fields = "editMessageCaption", mapping.text_fields(post, caption=True)
        try:
            self.api.write(method, {"chat_id": chat_id, "message_id": first, **fields})
        except Rejected as error:
            if _ALREADY_EDITED not in error.reason.lower():
                raise
        return ref

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        """Delete a message, or every message of an album. A message already gone counts as
        deleted, so a retried delete succeeds."""
        chat_id, numbers = mapping.message_ids(ref)
        try:
            if len(numbers) == 1:
                self.api.write("deleteMessage", {"chat_id": chat_id, "message_id": numbers[0]})
            else:
                self.api.write("deleteMessages", {"chat_id": chat_id, "message_ids": numbers})
        except Rejected as error:
            if _ALREADY_DELETED not in error.reason.lower():
                raise

    def find_recent(
        self, post: OutgoingPost, echoes: Iterable[Echo], *, not_before: datetime
    ) -> PublishedRef | None:
        """Reconciliation: the newest channel post seen since `not_before` that looks exactly like
        `post`, or None. Bots cannot list a channel's messages, so the evidence is the channel
        posts Telegram delivered as updates (a `channel_post`, or the copy in the linked
        discussion group), which the inbox keeps for the publisher. No match proves nothing
        when those updates may not have arrived yet; see the report in docs."""
        wanted = mapping.fingerprint(post)
        chat = self.chat()
        found = [
            echo.ref
            for echo in echoes
            if echo.fingerprint == wanted
            and echo.ref.extra.get("chat_id") == str(chat["id"])
            and echo.ref.published_at is not None
            and echo.ref.published_at >= not_before
        ]
        return max(found, key=lambda ref: ref.published_at or not_before, default=None)

    # --- InboxReader ---------------------------------------------------------------------------

    def read_updates(self, since: Cursor | None) -> Updates:
        """One getUpdates call from `since`. Asking from an offset confirms every earlier update
        to Telegram, which then forgets it: keep the returned cursor only once the items are
        stored. Fails while a webhook is set (Telegram answers 409)."""
        offset = int(since.value) if since else None
        updates = self.api.poll(
            {"offset": offset, "limit": 100, "allowed_updates": ALLOWED_UPDATES},
            timeout=self.poll_timeout,
        )
        if not isinstance(updates, list):
            raise MalformedUpdate("getUpdates did not return a list")
        items: list[IncomingItem] = []
        echoes: list[Echo] = []
        next_offset = offset
        for update in updates:
            number = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(number, int):
                next_offset = max(next_offset or 0, number + 1)
            try:
                checked = load(update)
            except MalformedUpdate as error:
                # Skip it rather than stop: the cursor must move past it or every later
                # comment would wait behind it forever.
                logger.warning("Skipping a Telegram update Kalrav cannot read: %s", error)
                continue
            items.extend(item for item in mapping.items_from_update(checked) if self._belongs(item))
            echo = mapping.echo_from_update(checked)
            if echo is not None:
                echoes.append(echo)
        cursor = Cursor(str(next_offset)) if next_offset is not None else since
        return Updates(Page(tuple(items), cursor), tuple(echoes))

    def fetch_inbox(self, since: Cursor | None) -> Page:
        return self.read_updates(since).page

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """Answer a comment or message where it was written, as a reply to it."""
        problems = validate_post(post, RULES) + mapping.formatting_problems(post)
        if problems:
            raise Rejected(problems[0].message)
        chat, number = mapping.split_remote_id(to.remote_id)
        return self._send(int(chat), post, {"reply_parameters": mapping.reply_parameters(number)})

    # --- Moderator -----------------------------------------------------------------------------
    # Telegram has no hiding: a comment is there or deleted. A like is the bot's one reaction.

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        try:
            mapping.split_remote_id(item.remote_id)
        except ValueError:
            return frozenset()
        actions = set() if item.ours else {Moderation.LIKE, Moderation.UNLIKE}
        # The bot deletes its own messages, private messages to it, and, as an administrator
        # with the right to delete, anyone's in the group; Telegram answers for the right.
        if item.created_at is None or timezone.now() - item.created_at < DELETE_WINDOW:
            actions.add(Moderation.DELETE)
        return frozenset(actions)

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        """setMessageReaction with 👍, replacing the bot's reaction (a bot has one per message),
        so repeating it is harmless. A reaction has no id of its own."""
        self._react(item, [{"type": "emoji", "emoji": LIKE}])
        return ""

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._react(item, [])  # an empty list takes the bot's reaction away

    def _react(self, item: ItemRef, reaction: list[dict[str, str]]) -> None:
        chat, number = mapping.split_remote_id(item.remote_id)
        self.api.write(
            "setMessageReaction", {"chat_id": int(chat), "message_id": number, "reaction": reaction}
        )

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        """deleteMessage; a message already gone counts as deleted."""
        self.delete(PublishedRef(item.remote_id), idempotency_key=idempotency_key)

    # --- Webhook -------------------------------------------------------------------------------

    def webhook_secret(self) -> str:
        return secret_for(self.context.credentials.get("bot_token", ""), self.context.channel_id)

    def set_webhook(self, url: str) -> None:
        """Ask Telegram to deliver updates to `url` (HTTPS, ports 443, 80, 88 or 8443) with this
        channel's secret token; getUpdates stops working until `delete_webhook`."""
        self.api.write(
            "setWebhook",
            {"url": url, "secret_token": self.webhook_secret(), "allowed_updates": ALLOWED_UPDATES},
        )

    def delete_webhook(self) -> None:
        self.api.write("deleteWebhook", {"drop_pending_updates": False})

    def receive(self, headers: Mapping[str, str], body: bytes | str) -> Delivery:
        """A webhook delivery checked and read: WebhookRefused when the secret is wrong,
        MalformedUpdate when the body is not an Update."""
        if not verify_webhook(headers, self.webhook_secret()):
            raise WebhookRefused(_("This request does not carry the channel's secret token."))
        update = load(body)
        items = tuple(item for item in mapping.items_from_update(update) if self._belongs(item))
        return Delivery(items, mapping.echo_from_update(update))

    # --- InsightsReader ------------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        """Always empty: the Bot API gives bots no view, forward or reaction counts for posts."""
        return []

    def channel_metrics(self) -> list[MetricRow]:
        count = self.api.read("getChatMemberCount", {"chat_id": self.chat_id})
        # A channel's members are its audience: Kalrav's `followers` (kalrav.connectors.declared.metrics).
        return [MetricRow(metrics.FOLLOWERS, int(count), timezone.now())]
