"""Between Kalrav's dataclasses and Bot API objects: the entities a post is sent with, Messages
read back into PublishedRef and IncomingItem, and the fingerprint reconciliation matches on.

Message ids are unique only within their chat, and a channel and its discussion group number
their messages independently, so every remote id here is "<chat id>:<message id>".
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from kalrav.connectors.base import (
    Author,
    IncomingItem,
    ItemKind,
    MediaItem,
    MediaKind,
    OutgoingPost,
    PublishedRef,
)
from kalrav.connectors.networks.telegram.rules import entities as auto_entities
from kalrav.connectors.networks.telegram.rules import entity
from kalrav.connectors.rules import Problem

# Formatting a post may carry in `options["entities"]`, as {"type", "start", "end"} with string
# indices like every other position in Kalrav, plus "url" for text_link and "language" for pre.
FORMATTING = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "text_link",
        "blockquote",
        "expandable_blockquote",
    }
)
SEND_METHOD = {
    MediaKind.IMAGE: ("sendPhoto", "photo"),
    MediaKind.VIDEO: ("sendVideo", "video"),
    MediaKind.GIF: ("sendAnimation", "animation"),
}
ALBUM_TYPE = {MediaKind.IMAGE: "photo", MediaKind.VIDEO: "video"}


class MalformedUpdate(ValueError):
    """A payload that is not a Bot API Update as documented; the message says what is wrong."""


# --- Remote ids and links ------------------------------------------------------------------------


def remote_id(chat_id: int | str, message_id: int | str) -> str:
    return f"{chat_id}:{message_id}"


def split_remote_id(value: str) -> tuple[str, int]:
    chat, _sep, message = value.rpartition(":")
    if not chat or not message.lstrip("-").isdigit():
        raise ValueError(f"not a Telegram message id: {value!r}")
    return chat, int(message)


def message_url(chat: Mapping[str, Any], message_id: int) -> str:
    """t.me link: by username for public chats; /c/ links (members only) for private
    supergroups and channels, whose ids are -100 followed by the internal id."""
    username = chat.get("username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""


def _moment(timestamp: Any) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def published_ref(messages: Sequence[Mapping[str, Any]], kind: str) -> PublishedRef:
    """A ref to what was sent; an album is several messages, the first one stands for them."""
    first = messages[0]
    chat = first["chat"]
    extra = {
        "chat_id": str(chat["id"]),
        "message_id": str(first["message_id"]),
        "kind": kind,
    }
    if len(messages) > 1:
        extra["message_ids"] = ",".join(str(m["message_id"]) for m in messages)
    if first.get("media_group_id"):
        extra["media_group_id"] = str(first["media_group_id"])
    return PublishedRef(
        remote_id=remote_id(chat["id"], first["message_id"]),
        url=message_url(chat, first["message_id"]),
        published_at=_moment(first["date"]),
        extra=extra,
    )


def message_ids(ref: PublishedRef) -> tuple[str, list[int]]:
    """The chat and every message a ref stands for (all of an album's)."""
    chat, first = split_remote_id(ref.remote_id)
    listed = ref.extra.get("message_ids", "")
    ids = [int(part) for part in listed.split(",") if part] if listed else [first]
    return ref.extra.get("chat_id", chat), ids


# --- What goes out -------------------------------------------------------------------------------


def formatting_problems(post: OutgoingPost) -> list[Problem]:
    problems = []
    for index, item in enumerate(post.options.get("entities") or ()):
        target = f"options.entities[{index}]"
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind not in FORMATTING:
            problems.append(
                Problem(
                    "entity_type",
                    _("Telegram has no formatting called %(type)s.") % {"type": kind},
                    target=target,
                )
            )
            continue
        start, end = item.get("start"), item.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            problems.append(
                Problem("entity_range", _("Formatting must cover some text."), target=target)
            )
        elif end > len(post.text):
            problems.append(
                Problem(
                    "entity_range",
                    _("Formatting runs past the end of the text."),
                    start,
                    end,
                    target=target,
                )
            )
        elif kind == "text_link" and not str(item.get("url", "")).startswith(
            ("https://", "http://", "tg://")
        ):
            problems.append(
                Problem("entity_url", _("A link needs an address."), start, end, target=target)
            )
    return problems


def message_entities(text: str, formatting: Sequence[Mapping[str, Any]] = ()) -> list[dict]:
    """Links, mentions and hashtags found in the text plus the post's formatting, as
    MessageEntity objects with UTF-16 offsets. Once entities are sent Telegram stops finding
    links itself, so the found ones always go along."""
    found = auto_entities(text)
    for item in formatting:
        extra = {key: item[key] for key in ("url", "language") if item.get(key)}
        found.append(entity(text, item["start"], item["end"], item["type"], **extra))
    # Telegram wants entities ordered by offset; the longer one first where two start together.
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return found


def text_fields(post: OutgoingPost, *, caption: bool) -> dict[str, Any]:
    found = message_entities(post.text, post.options.get("entities") or ())
    if caption:
        return {"caption": post.text or None, "caption_entities": found or None}
    return {"text": post.text, "entities": found or None}


def reply_parameters(message_id: int) -> dict[str, Any]:
    # Refusing to send when the message answered is gone keeps a reply from landing as a new
    # top-level post.
    return {"message_id": message_id, "allow_sending_without_reply": False}


def upload_name(item: MediaItem, index: int) -> str:
    return f"file{index}"


def poll_fields(post: OutgoingPost) -> dict[str, Any]:
    assert post.poll is not None
    fields: dict[str, Any] = {
        "question": post.text,
        "options": [{"text": option} for option in post.poll.options],
        "allows_multiple_answers": post.poll.multiple,
        # Channels accept only anonymous polls; groups keep the voters private too, which is
        # what a brand asking its audience wants.
        "is_anonymous": True,
    }
    if post.poll.duration is not None:
        fields["open_period"] = int(post.poll.duration.total_seconds())
    return fields


# --- What comes in -------------------------------------------------------------------------------

MESSAGE_UPDATES = ("message", "edited_message")
LATEST_DATE = 2**33  # Unix seconds, year 2242: beyond it a date is garbage, not a message


def _need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict):
        raise MalformedUpdate(f"{where} is not an object")
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedUpdate(f"{where}.{key} is missing or not {_type_name(kind)}")
    return value


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({int: "an integer", str: "a string", dict: "an object"}[k] for k in kinds)


def check_message(message: Any, where: str) -> dict:
    """Require the fields of a Message that Kalrav relies on; raise MalformedUpdate otherwise."""
    _need(message, "message_id", int, where)
    date = _need(message, "date", int, where)
    if not 0 <= date < LATEST_DATE:
        raise MalformedUpdate(f"{where}.date is not a time Telegram could have sent")
    chat = _need(message, "chat", dict, where)
    _need(chat, "id", int, f"{where}.chat")
    _need(chat, "type", str, f"{where}.chat")
    for key in ("from", "sender_chat", "reply_to_message"):
        if key in message and not isinstance(message[key], dict):
            raise MalformedUpdate(f"{where}.{key} is not an object")
    if "from" in message:
        _need(message["from"], "id", int, f"{where}.from")
    if "sender_chat" in message:
        _need(message["sender_chat"], "id", int, f"{where}.sender_chat")
    if "reply_to_message" in message:
        check_message(message["reply_to_message"], f"{where}.reply_to_message")
    for key in ("text", "caption"):
        if key in message and not isinstance(message[key], str):
            raise MalformedUpdate(f"{where}.{key} is not a string")
    return message


def check_update(update: Any) -> dict:
    if not isinstance(update, dict):
        raise MalformedUpdate("the update is not a JSON object")
    _need(update, "update_id", int, "update")
    for key in (*MESSAGE_UPDATES, "channel_post", "edited_channel_post"):
        if key in update:
            check_message(update[key], f"update.{key}")
    return update


def author_of(message: Mapping[str, Any]) -> Author:
    # A channel or an anonymous admin writing in a group appears as sender_chat, not as a user.
    sender = message.get("sender_chat")
    if sender:
        username = sender.get("username") or ""
        return Author(
            remote_id=str(sender["id"]),
            handle=f"@{username}" if username else "",
            display_name=sender.get("title") or "",
            url=f"https://t.me/{username}" if username else "",
        )
    user = message.get("from") or {}
    username = user.get("username") or ""
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    return Author(
        remote_id=str(user.get("id", "")),
        handle=f"@{username}" if username else "",
        display_name=name,
        url=f"https://t.me/{username}" if username else "",
    )


def forwarded_post(message: Mapping[str, Any]) -> str:
    """For a channel post that Telegram copied into the linked discussion group, the remote id of
    the original post in the channel; empty for any other message."""
    if not message.get("is_automatic_forward"):
        return ""
    origin = message.get("forward_origin")
    if isinstance(origin, dict) and origin.get("type") == "channel":
        chat, number = origin.get("chat") or {}, origin.get("message_id")
    else:  # the fields Bot API used before forward_origin (7.0)
        chat, number = (
            message.get("forward_from_chat") or {},
            message.get("forward_from_message_id"),
        )
    if isinstance(chat, dict) and isinstance(chat.get("id"), int) and isinstance(number, int):
        return remote_id(chat["id"], number)
    return ""


def item_from_message(message: Mapping[str, Any]) -> IncomingItem | None:
    """A message someone wrote to the channel's community, or None for what is not one (the
    channel's own posts copied into the discussion group, service messages)."""
    chat = message["chat"]
    text = message.get("text") or message.get("caption") or ""
    if message.get("is_automatic_forward"):
        return None
    if chat["type"] == "private":
        kind = ItemKind.DIRECT_MESSAGE
    elif chat["type"] in ("group", "supergroup"):
        kind = ItemKind.COMMENT
    else:
        return None  # channel posts are ours, not the audience's
    if not text and not any(
        key in message
        for key in (
            "photo",
            "video",
            "sticker",
            "voice",
            "document",
            "animation",
            "audio",
            "video_note",
        )
    ):
        return None  # joins, leaves, pins and other service messages
    parent_id = root_id = ""
    parent = message.get("reply_to_message")
    if parent:
        # A comment answers the channel post's copy in the discussion group; point at the post
        # itself so the inbox can tie the comment to what was published.
        parent_id = forwarded_post(parent) or remote_id(chat["id"], parent["message_id"])
        if not forwarded_post(parent):
            kind = ItemKind.REPLY if kind == ItemKind.COMMENT else kind
    thread = message.get("message_thread_id")
    if isinstance(thread, int):
        root_id = remote_id(chat["id"], thread)
    return IncomingItem(
        kind=kind,
        remote_id=remote_id(chat["id"], message["message_id"]),
        author=author_of(message),
        text=text,
        created_at=_moment(message["date"]),
        url=message_url(chat, message["message_id"]),
        parent_id=parent_id,
        root_id=root_id,
    )


def items_from_update(update: Mapping[str, Any]) -> list[IncomingItem]:
    """The community messages in one (checked) Update; an edit arrives again under the same
    remote id, for the inbox to update what it holds."""
    found = []
    for key in MESSAGE_UPDATES:
        message = update.get(key)
        if message:
            item = item_from_message(message)
            if item is not None:
                found.append(item)
    return found


# --- Reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Echo:
    """A channel post seen in an Update: a post in the channel itself, or the copy Telegram puts
    into the linked discussion group. `ref` points at the post in the channel."""

    ref: PublishedRef
    fingerprint: str


def _digest(kind: str, text: str, options: Sequence[str] = ()) -> str:
    # Telegram trims surrounding whitespace from what it stores; compare the way it keeps text.
    normal = unicodedata.normalize("NFC", text).strip()
    payload = "\x1f".join([kind, normal, *(unicodedata.normalize("NFC", o) for o in options)])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprint(post: OutgoingPost) -> str:
    """What a post looks like once Telegram has it: its kind, text (caption on the first item of
    an album) and poll options. Two posts with the same fingerprint cannot be told apart."""
    if post.poll is not None:
        return _digest("poll", post.text, post.poll.options)
    if post.media:
        return _digest(SEND_METHOD[post.media[0].kind][1], post.text)
    return _digest("text", post.text)


def message_fingerprint(message: Mapping[str, Any]) -> str:
    poll = message.get("poll")
    if isinstance(poll, dict):
        options = [str(o.get("text", "")) for o in poll.get("options") or () if isinstance(o, dict)]
        return _digest("poll", str(poll.get("question", "")), options)
    # An animation message also carries a "document"; test it before the others.
    for kind in ("animation", "photo", "video"):
        if kind in message:
            return _digest(kind, message.get("caption") or "")
    return _digest("text", message.get("text") or "")


def echo_from_update(update: Mapping[str, Any]) -> Echo | None:
    """An Echo when the (checked) Update shows a channel post, else None."""
    post = update.get("channel_post")
    if post:
        return Echo(published_ref([post], "echo"), message_fingerprint(post))
    message = update.get("message")
    original = forwarded_post(message) if message else ""
    if message and original:
        chat_id, number = split_remote_id(original)
        origin = message.get("forward_origin") or {}
        chat = origin.get("chat") or message.get("forward_from_chat") or {"id": int(chat_id)}
        date = origin.get("date")
        if not (isinstance(date, int) and 0 <= date < LATEST_DATE):
            date = message["date"]
        copy = {**message, "chat": chat, "message_id": number, "date": date}
        return Echo(published_ref([copy], "echo"), message_fingerprint(message))
    return None
