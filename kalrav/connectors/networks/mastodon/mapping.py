"""Mastodon's JSON entities (https://docs.joinmastodon.org/entities/) as Kalrav's dataclasses.

Mastodon.py returns dict subclasses with timestamps already parsed; fakes and the raw stream give
plain JSON. Everything here reads both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

from kalrav.connectors.base import Author, IncomingItem, ItemKind, PublishedRef


class _TextExtractor(HTMLParser):
    """Mastodon sends status content as HTML (<p>, <br>, links, mention spans). The inbox and the
    language and sentiment models want the words a reader sees. Long links are split into
    "invisible" and "ellipsis" spans; joined, they give back the whole address, which is kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    if "<" not in content:
        return unescape(content)
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


def timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif value:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    else:
        return datetime.now(UTC)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def author(account: Mapping[str, Any]) -> Author:
    return Author(
        remote_id=str(account["id"]),
        handle=str(account.get("acct") or account.get("username") or ""),
        display_name=str(account.get("display_name") or ""),
        url=str(account.get("url") or ""),
        avatar_url=str(account.get("avatar") or ""),
    )


def status_text(status: Mapping[str, Any]) -> str:
    """What the author wrote; a content warning stays in front, as readers see it first."""
    text = html_to_text(str(status.get("content") or ""))
    warning = str(status.get("spoiler_text") or "")
    return f"{warning}\n\n{text}" if warning else text


def item(status: Mapping[str, Any], kind: ItemKind) -> IncomingItem:
    return IncomingItem(
        kind=kind,
        remote_id=str(status["id"]),
        author=author(status["account"]),
        text=status_text(status),
        created_at=timestamp(status.get("created_at")),
        url=str(status.get("url") or status.get("uri") or ""),
        parent_id=str(status.get("in_reply_to_id") or ""),
        language=str(status.get("language") or ""),
    )


def kind_for_mention(status: Mapping[str, Any], own_account_id: str) -> ItemKind:
    if str(status.get("visibility")) == "direct":
        return ItemKind.DIRECT_MESSAGE
    if status.get("in_reply_to_id") and str(status.get("in_reply_to_account_id")) == own_account_id:
        return ItemKind.REPLY
    return ItemKind.MENTION


def published(status: Mapping[str, Any], **extra: str) -> PublishedRef:
    return PublishedRef(
        remote_id=str(status["id"]),
        url=str(status.get("url") or status.get("uri") or ""),
        published_at=timestamp(status.get("created_at")),
        extra=extra,
    )


def id_key(remote_id: str) -> tuple[int, str]:
    """Mastodon ids are decimal strings of growing length (snowflakes); compare them as numbers
    without trusting that every fork keeps them numeric."""
    return (len(remote_id), remote_id)


def newest(ids: Iterable[str], current: str = "") -> str:
    return max([*ids, current] if current else list(ids), key=id_key, default=current)


# What the rules need from GET /api/v2/instance (or v1): kept small, stored in the channel config.
_KEPT_CONFIGURATION = ("statuses", "media_attachments", "polls", "urls")


def instance_config(instance: Mapping[str, Any]) -> dict[str, Any]:
    configuration = instance.get("configuration") or {}
    kept: dict[str, Any] = {
        "configuration": {
            section: _plain(configuration[section])
            for section in _KEPT_CONFIGURATION
            if configuration.get(section)
        }
    }
    # v1 and forks: the streaming address lives under "urls", the limit in max_toot_chars.
    if instance.get("max_toot_chars"):
        kept["max_toot_chars"] = int(instance["max_toot_chars"])
    urls = instance.get("urls") or {}
    if urls.get("streaming_api") and "urls" not in kept["configuration"]:
        kept["configuration"]["urls"] = {"streaming": urls["streaming_api"]}
    kept["version"] = str(instance.get("version") or "")
    return kept


def _plain(value: Any) -> Any:
    """JSON-serialisable copy (Mastodon.py's dict subclasses and datetimes)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
