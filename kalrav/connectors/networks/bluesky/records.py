"""app.bsky.feed.post records as the lexicon spells them, built from an OutgoingPost."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from kalrav.connectors.base import MediaItem, PublishedRef
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.bluesky.facets import Resolver, detect_facets
from kalrav.connectors.networks.bluesky.mapping import POST

THREADGATE = "app.bsky.feed.threadgate"
MAX_HIDDEN_REPLIES = 300  # the threadgate lexicon's maxLength for hiddenReplies


def now_iso() -> str:
    # Millisecond precision with "Z": the datetime form every atproto validator accepts.
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def strong_ref(uri: str, cid: str) -> dict[str, str]:
    return {"uri": uri, "cid": cid}


def reply_refs(parent: PublishedRef) -> dict[str, dict[str, str]]:
    """A reply cites its parent and the thread's root, each by URI and content hash (CID). A
    PublishedRef made by this connector carries both in `extra`."""
    cid = parent.extra["cid"]
    root_uri = parent.extra.get("root_uri") or parent.remote_id
    root_cid = parent.extra.get("root_cid") or cid
    return {"root": strong_ref(root_uri, root_cid), "parent": strong_ref(parent.remote_id, cid)}


def images_embed(
    media: Sequence[MediaItem], upload: Callable[[MediaItem], Mapping[str, Any]]
) -> dict[str, Any]:
    images = []
    for item in media:
        image: dict[str, Any] = {"alt": item.alt_text, "image": dict(upload(item))}
        if item.width and item.height:
            # Lets clients reserve the right space before the image loads.
            image["aspectRatio"] = {"width": item.width, "height": item.height}
        images.append(image)
    return {"$type": "app.bsky.embed.images", "images": images}


def post_record(
    text: str,
    *,
    resolve_handle: Resolver | None,
    reply: Mapping[str, Any] | None = None,
    embed: Mapping[str, Any] | None = None,
    language: str = "",
    created_at: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": created_at or now_iso()}
    facets = detect_facets(text, resolve_handle)
    if facets:
        record["facets"] = facets
    if reply:
        record["reply"] = dict(reply)
    if embed:
        record["embed"] = dict(embed)
    if language:
        record["langs"] = [language]
    return record


class RecordConflict(Rejected):
    """The record under a post's key is not the post meant (other words, or a reply to something
    else): another installation or an old backup used the key. Nothing was sent, and taking that
    record for the post would show as sent a post the network never got."""


def is_same_post(found: Mapping[str, Any], meant: Mapping[str, Any]) -> bool:
    """Whether the record found under a key is the one `meant`: the same words answering the same
    post. Its time and facets may differ, since each try builds the record afresh."""
    return found.get("text") == meant.get("text") and _parent_uri(found) == _parent_uri(meant)


def _parent_uri(record: Mapping[str, Any]) -> str:
    return str(((record.get("reply") or {}).get("parent") or {}).get("uri") or "")


def conflict() -> RecordConflict:
    return RecordConflict(
        _(
            "Bluesky already holds a different post under this post's key, so Kalrav did not "
            "send it."
        )
    )


def threadgate_record(root_uri: str) -> dict[str, Any]:
    """A threadgate that only hides: without `allow`, anyone may still reply, as before it."""
    return {"$type": THREADGATE, "post": root_uri, "createdAt": now_iso(), "hiddenReplies": []}
