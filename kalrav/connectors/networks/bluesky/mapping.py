"""XRPC payloads (as the lexicons document them, in their JSON spelling) turned into the contract's
dataclasses. Everything here is pure: it takes dicts and returns values, so the fakes test it with
the documented payloads and the live tests with real ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from kalrav.connectors.base import Author, IncomingItem, ItemKind, MetricRow

POST = "app.bsky.feed.post"
WEB = "https://bsky.app"

# listNotifications reasons that bring something to answer; likes, reposts and follows are counted
# by the insights instead.
INBOX_REASONS = {"mention": ItemKind.MENTION, "reply": ItemKind.REPLY, "quote": ItemKind.MENTION}

# PostView counters (app.bsky.feed.defs#postView) and the metric names Kalrav shows.
COUNTERS = {
    "likeCount": "likes",
    "repostCount": "reposts",
    "replyCount": "replies",
    "quoteCount": "quotes",
}


def parse_datetime(value: str | None) -> datetime:
    """atproto datetimes are RFC 3339 with a zone; a missing or broken one reads as now, so a
    malformed record from a third-party client still reaches the inbox."""
    if value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey → (did, collection, rkey)."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        raise ValueError(f"not a record URI: {uri!r}")
    return parts[0], parts[1], parts[2]


def post_url(uri: str, handle: str = "") -> str:
    try:
        did, collection, rkey = split_uri(uri)
    except ValueError:
        return ""
    if collection != POST:
        return ""
    return f"{WEB}/profile/{handle or did}/post/{rkey}"


def author(view: Mapping[str, Any]) -> Author:
    """app.bsky.actor.defs#profileViewBasic (and its richer siblings)."""
    did = view.get("did", "")
    handle = view.get("handle", "")
    return Author(
        remote_id=did,
        handle=handle,
        display_name=view.get("displayName") or "",
        url=f"{WEB}/profile/{handle or did}" if did else "",
        avatar_url=view.get("avatar") or "",
    )


def _reply_ids(record: Mapping[str, Any]) -> tuple[str, str]:
    reply = record.get("reply") or {}
    return (reply.get("parent") or {}).get("uri", ""), (reply.get("root") or {}).get("uri", "")


def _language(record: Mapping[str, Any]) -> str:
    langs = record.get("langs") or []
    return langs[0] if langs else ""


def notification_item(notification: Mapping[str, Any]) -> IncomingItem | None:
    """app.bsky.notification.listNotifications#notification, or None when it is not something to
    answer (a like, a follow) or its record is not a post."""
    kind = INBOX_REASONS.get(notification.get("reason", ""))
    record = notification.get("record") or {}
    if kind is None or record.get("$type", POST) != POST:
        return None
    parent, root = _reply_ids(record)
    who = author(notification.get("author") or {})
    return IncomingItem(
        kind=kind,
        remote_id=notification["uri"],
        author=who,
        text=record.get("text", ""),
        created_at=parse_datetime(record.get("createdAt") or notification.get("indexedAt")),
        url=post_url(notification["uri"], who.handle),
        parent_id=parent,
        root_id=root,
        language=_language(record),
    )


def post_item(view: Mapping[str, Any], kind: ItemKind = ItemKind.MENTION) -> IncomingItem:
    """app.bsky.feed.defs#postView, as searchPosts and getPosts return it."""
    record = view.get("record") or {}
    parent, root = _reply_ids(record)
    who = author(view.get("author") or {})
    return IncomingItem(
        kind=kind,
        remote_id=view["uri"],
        author=who,
        text=record.get("text", ""),
        created_at=parse_datetime(record.get("createdAt") or view.get("indexedAt")),
        url=post_url(view["uri"], who.handle),
        parent_id=parent,
        root_id=root,
        language=_language(record),
    )


def post_metrics(views: Iterable[Mapping[str, Any]], measured_at: datetime) -> list[MetricRow]:
    rows = []
    for view in views:
        for counter, metric in COUNTERS.items():
            rows.append(
                MetricRow(
                    metric=metric,
                    value=int(view.get(counter) or 0),
                    measured_at=measured_at,
                    remote_id=view["uri"],
                )
            )
    return rows


def profile_metrics(profile: Mapping[str, Any], measured_at: datetime) -> list[MetricRow]:
    """app.bsky.actor.defs#profileViewDetailed counters for the channel as a whole."""
    names = {"followersCount": "followers", "followsCount": "follows", "postsCount": "posts"}
    return [
        MetricRow(metric=metric, value=int(profile.get(key) or 0), measured_at=measured_at)
        for key, metric in names.items()
    ]


def incoming_from_record(
    uri: str, record: Mapping[str, Any], our_did: str, created_by: str
) -> IncomingItem | None:
    """A post record seen on the firehose, when it concerns our account: a reply to one of our
    posts, a mention of us, or a quote of our post. The firehose carries DIDs only."""
    if created_by == our_did or record.get("$type") != POST:
        return None
    parent, root = _reply_ids(record)
    ours = f"at://{our_did}/"
    kind: ItemKind | None = None
    if parent.startswith(ours):
        kind = ItemKind.REPLY
    elif any(
        feature.get("did") == our_did
        for facet in record.get("facets") or []
        for feature in facet.get("features") or []
    ) or _quoted_uri(record).startswith(ours):
        kind = ItemKind.MENTION
    if kind is None:
        return None
    return IncomingItem(
        kind=kind,
        remote_id=uri,
        author=Author(remote_id=created_by, url=f"{WEB}/profile/{created_by}"),
        text=record.get("text", ""),
        created_at=parse_datetime(record.get("createdAt")),
        url=post_url(uri),
        parent_id=parent,
        root_id=root,
        language=_language(record),
    )


def _quoted_uri(record: Mapping[str, Any]) -> str:
    embed = record.get("embed") or {}
    if embed.get("$type") == "app.bsky.embed.record":
        return (embed.get("record") or {}).get("uri", "")
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        return ((embed.get("record") or {}).get("record") or {}).get("uri", "")
    return ""
