"""X API v2 payloads (Post, User, as X's OpenAPI description names them) as Kalrav's dataclasses,
and the text of a post as its author wrote it, for reconcile."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kalrav.connectors.base import Author, IncomingItem, ItemKind

WEB = "https://x.com"


def status_url(post_id: str, username: str = "") -> str:
    # x.com/i/web/status/<id> opens any post without knowing its author's handle.
    return f"{WEB}/{username}/status/{post_id}" if username else f"{WEB}/i/web/status/{post_id}"


def author(user: Mapping[str, Any]) -> Author:
    username = str(user.get("username") or "")
    return Author(
        remote_id=str(user.get("id") or ""),
        handle=username,
        display_name=str(user.get("name") or ""),
        url=f"{WEB}/{username}" if username else "",
        avatar_url=str(user.get("profile_image_url") or ""),
    )


def created_at(post: Mapping[str, Any]) -> datetime:
    raw = str(post.get("created_at") or "")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def replied_to(post: Mapping[str, Any]) -> str:
    for reference in post.get("referenced_posts") or ():
        if reference.get("type") == "replied_to":
            return str(reference.get("id") or "")
    return ""


def incoming(post: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]]) -> IncomingItem:
    """A mention; a reply when it answers another post (X makes a reply mention the author
    it answers, so replies to the channel's posts arrive among its mentions)."""
    parent = replied_to(post)
    writer = author(users.get(str(post.get("author_id") or ""), {"id": post.get("author_id")}))
    post_id = str(post["id"])
    return IncomingItem(
        kind=ItemKind.REPLY if parent else ItemKind.MENTION,
        remote_id=post_id,
        author=writer,
        text=html.unescape(str(post.get("text") or "")),
        created_at=created_at(post),
        url=status_url(post_id, writer.handle),
        parent_id=parent,
        root_id=str(post.get("conversation_id") or ""),
        language=_language(post),
    )


def _language(post: Mapping[str, Any]) -> str:
    lang = str(post.get("lang") or "")
    return "" if lang in ("und", "zxx", "qme", "qst") else lang  # X's "no language" codes


def written_text(post: Mapping[str, Any]) -> str:
    """The words as the author sent them: X answers with each link shortened to t.co (the
    entity keeps the expanded one), a link to the attached media appended, and &, < and >
    escaped as HTML."""
    # Entity offsets count the unescaped text.
    text = html.unescape(str(post.get("text") or ""))
    urls = sorted(
        (post.get("entities") or {}).get("urls") or (), key=lambda url: -int(url.get("start", 0))
    )
    for url in urls:
        start, end = int(url.get("start", 0)), int(url.get("end", 0))
        if url.get("media_key"):
            replacement = ""
        else:
            replacement = str(url.get("expanded_url") or url.get("url") or text[start:end])
        text = text[:start] + replacement + text[end:]
    return comparable(text)


def comparable(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()
