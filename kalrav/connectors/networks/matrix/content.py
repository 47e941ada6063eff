"""The event contents Kalrav sends to a Matrix room, built in one place so that the rules measure
exactly the bytes that publishing sends.

Text goes out as `m.text` with a plain `body` and an HTML `formatted_body` (links and user pills as
anchors). Every message carries `m.mentions` (intentional mentions, spec v1.7): with it, clients
notify only the users listed there instead of everyone whose name happens to appear in the body.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any
from urllib.parse import quote

import regex

# Links with a scheme; trailing punctuation belongs to the sentence, not the link.
_URL = regex.compile(r"https?://[^\s<>\"']+?(?=[.,;:!?)\]]*(?:\s|$))", regex.IGNORECASE)
# A Matrix user id (@localpart:server[:port]) standing on its own.
_USER_ID = regex.compile(r"(?<![\w@])@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::\d{1,5})?(?![\w:])")

MATRIX_TO = "https://matrix.to/#/"


def permalink(room_id: str, event_id: str = "") -> str:
    link = MATRIX_TO + quote(room_id, safe="")
    return link + "/" + quote(event_id, safe="") if event_id else link


def user_link(user_id: str) -> str:
    return MATRIX_TO + quote(user_id, safe="@:")


def mentioned_users(text: str) -> list[str]:
    found: list[str] = []
    for match in _USER_ID.finditer(text):
        if match.group() not in found:
            found.append(match.group())
    return found


def formatted_body(text: str) -> str:
    """HTML for `text`: everything escaped, links and user ids as anchors, newlines as <br/>."""
    spans = [(m.start(), m.end(), m.group()) for m in _URL.finditer(text)]
    spans += [(m.start(), m.end(), m.group()) for m in _USER_ID.finditer(text)]
    out: list[str] = []
    position = 0
    for start, end, found in sorted(spans):
        if start < position:  # an "@" inside a link belongs to the link
            continue
        out.append(html.escape(text[position:start]))
        href = user_link(found) if found.startswith("@") else found
        out.append(f'<a href="{html.escape(href)}">{html.escape(found)}</a>')
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\r\n", "\n").replace("\n", "<br/>")


def text_content(
    text: str, *, reply_to: str = "", reply_to_sender: str = "", thread_root: str = ""
) -> dict[str, Any]:
    """An m.text message; with `reply_to`, a rich reply (and a thread reply with `thread_root`).

    No reply fallback (the quoted "> <@user> ..." lines) is sent: the spec dropped it in v1.13 and
    clients build the quote from `m.in_reply_to`."""
    users = mentioned_users(text)
    if reply_to_sender and reply_to_sender not in users:
        users.append(reply_to_sender)  # the spec asks replies to mention whom they answer
    content: dict[str, Any] = {
        "msgtype": "m.text",
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted_body(text),
        "m.mentions": {"user_ids": users} if users else {},
    }
    if reply_to:
        relation: dict[str, Any] = {"m.in_reply_to": {"event_id": reply_to}}
        if thread_root:
            relation |= {"rel_type": "m.thread", "event_id": thread_root, "is_falling_back": False}
        content["m.relates_to"] = relation
    return content


def image_content(
    *, url: str, alt_text: str, filename: str, mime_type: str, size: int, width, height
) -> dict[str, Any]:
    """An m.image. Matrix has no separate alt text field: `body` is the image's textual
    representation, which clients put in the <img alt>. `filename` is left out when there is alt
    text, because since spec v1.10 a `body` that differs from `filename` is shown as a caption."""
    info: dict[str, Any] = {"mimetype": mime_type, "size": size}
    if width and height:
        info |= {"w": width, "h": height}
    content: dict[str, Any] = {
        "msgtype": "m.image",
        "body": alt_text or filename,
        "url": url,
        "info": info,
        "m.mentions": {},
    }
    if not alt_text:
        content["filename"] = filename
    return content


def reaction_content(event_id: str, key: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def canonical_size(content: dict[str, Any]) -> int:
    """Bytes of `content` as Canonical JSON (sorted keys, no spaces, UTF-8): how the homeserver
    sizes the event it signs."""
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return len(encoded.encode("utf-8", "surrogatepass"))


def transaction_id(idempotency_key: str, part: int = 0) -> str:
    """The txnId of part `part` of a write. A homeserver answers a repeated PUT with the same
    access token and txnId with the first event instead of sending a second one; hashing keeps
    the key's own characters (any the caller likes) out of the URL."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
    return f"kalrav.{digest}.{part}"
