"""Every new public post, for listening: from Jetstream when KALRAV_BLUESKY_JETSTREAM_URL names
one, otherwise from the repository firehose (com.atproto.sync.subscribeRepos) of the channel's
relay or PDS, decoded with the SDK's firehose client and CAR reader.

Jetstream sends JSON and lets the server drop everything but posts (`wantedCollections`): about
a tenth of the firehose's bytes, and no CBOR to decode here. Its position is the event's
`time_us`; Jetstream replays from a cursor (inclusive, so the last post may come twice: intake
recognises it). Production default: wss://jetstream2.us-east.bsky.network/subscribe.

Posts are prefiltered here with a lowercase substring test against the listening terms, so the
whole network's posts (hundreds a second) never reach the database; the monitors' queries then
decide in intake. The firehose carries DIDs, not handles: items name their author by DID.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import websockets
from atproto_core.car import CAR
from django.utils.translation import gettext as _

from kalrav.connectors.base import Author, Cursor, IncomingItem, ItemKind
from kalrav.connectors.errors import Transient
from kalrav.connectors.networks.bluesky import mapping
from kalrav.connectors.networks.bluesky.stream import FirehoseStream
from kalrav.connectors.text.public_terms import Prefilter

# A minute without a frame on a public stream means a dead link (the network never goes quiet).
RECV_TIMEOUT = 60.0


def public_item(uri: str, record: Mapping[str, Any], did: str) -> IncomingItem | None:
    if record.get("$type", mapping.POST) != mapping.POST:
        return None
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri", "")
    root = ((record.get("reply") or {}).get("root") or {}).get("uri", "")
    return IncomingItem(
        kind=ItemKind.MENTION,
        remote_id=uri,
        author=Author(remote_id=did, url=f"{mapping.WEB}/profile/{did}"),
        text=str(record.get("text") or ""),
        created_at=mapping.parse_datetime(record.get("createdAt")),
        url=mapping.post_url(uri),
        parent_id=parent,
        root_id=root,
        language=str((record.get("langs") or [""])[0] or ""),
    )


def commit_picker(prefilter: Prefilter) -> Callable[[Any], Iterable[IncomingItem]]:
    """The new posts of one firehose #commit that pass the prefilter. The prefilter reads the
    decoded record, so the CAR is decoded only for commits that create a post."""

    def pick(commit: Any) -> Iterable[IncomingItem]:
        creates = [
            op
            for op in commit.ops
            if op.action == "create" and op.path.startswith(f"{mapping.POST}/") and op.cid
        ]
        if not creates or commit.too_big:
            return []
        blocks = CAR.from_bytes(commit.blocks).blocks
        items = []
        for op in creates:
            record = blocks.get(op.cid)
            if not isinstance(record, dict) or not prefilter.passes(str(record.get("text", ""))):
                continue
            item = public_item(f"at://{commit.repo}/{op.path}", record, commit.repo)
            if item is not None:
                items.append(item)
        return items

    return pick


def jetstream_item(event: Mapping[str, Any]) -> IncomingItem | None:
    """One Jetstream event, when it creates a post."""
    commit = event.get("commit") or {}
    if (
        event.get("kind") != "commit"
        or commit.get("operation") != "create"
        or commit.get("collection") != mapping.POST
        or not isinstance(commit.get("record"), dict)
    ):
        return None
    did = str(event.get("did") or "")
    return public_item(f"at://{did}/{mapping.POST}/{commit.get('rkey', '')}", commit["record"], did)


class JetstreamStream:
    """One Jetstream subscription; `position` is the time_us of the item last handed out."""

    def __init__(self, url: str, terms: Sequence[str], *, cursor: int | None = None) -> None:
        self.url = url
        self.position = cursor
        self.prefilter = Prefilter(terms)

    def _address(self) -> str:
        params: list[tuple[str, str]] = [("wantedCollections", mapping.POST)]
        if self.position is not None:
            params.append(("cursor", str(self.position)))
        return f"{self.url}{'&' if '?' in self.url else '?'}{urlencode(params)}"

    async def items(self) -> AsyncIterator[IncomingItem]:
        try:
            async with websockets.connect(self._address(), max_size=2**21) as socket:
                while True:
                    frame = await asyncio.wait_for(socket.recv(), timeout=RECV_TIMEOUT)
                    try:
                        event = json.loads(frame)
                    except ValueError:
                        continue  # one malformed frame must not end the stream
                    if not isinstance(event, dict):
                        continue
                    item = jetstream_item(event)
                    if item is None or not self.prefilter.passes(item.text):
                        continue
                    if isinstance(event.get("time_us"), int):
                        self.position = event["time_us"]
                    yield item
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            raise Transient(
                _("The Bluesky event stream stopped: %(kind)s.") % {"kind": type(error).__name__}
            ) from error


def firehose_stream(base_url: str, terms: Sequence[str], cursor: int | None) -> FirehoseStream:
    return FirehoseStream(
        base_url,
        "",
        cursor=cursor,
        recv_timeout=RECV_TIMEOUT,
        pick=commit_picker(Prefilter(terms)),
    )


def open_stream(
    *,
    jetstream: str,
    base_url: str,
    terms: Sequence[str],
    since: Cursor | None,
    guard: Callable[[str], None],
) -> tuple[str, JetstreamStream | FirehoseStream]:
    """The stream to read and the name of its kind of position. Jetstream's positions are
    microseconds and the firehose's sequence numbers, so a kept cursor says which it is
    ("jetstream:1725911162329308") and one from the other kind is not passed on."""
    kind = "jetstream" if jetstream else "firehose"
    cursor = None
    if since is not None:
        kept_kind, _sep, value = since.value.partition(":")
        cursor = int(value) if kept_kind == kind and value.isdigit() else None
    if jetstream:
        guard(jetstream)
        return kind, JetstreamStream(jetstream, terms, cursor=cursor)
    guard(base_url)
    return kind, firehose_stream(base_url, terms, cursor)
