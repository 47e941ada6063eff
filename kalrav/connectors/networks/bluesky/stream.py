"""New replies, mentions and quotes for one account, from a repository firehose
(com.atproto.sync.subscribeRepos) read with the SDK's firehose client.

A PDS's firehose carries only the accounts it hosts; a relay's (bsky.network) carries the whole
network. So the stream listens to the channel's `relay_url` when set and to its PDS otherwise (the
local reference network, a community PDS whose members talk among themselves). Each commit's new
post records are decoded and kept when they reply to, mention or quote our account.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from atproto_core.car import CAR
from atproto_firehose import AsyncFirehoseSubscribeReposClient, parse_subscribe_repos_message
from django.utils.translation import gettext as _

from kalrav.connectors.base import IncomingItem
from kalrav.connectors.errors import ConnectorError, Transient
from kalrav.connectors.networks.bluesky import mapping


def websocket_base(url: str) -> str:
    url = url.rstrip("/").removesuffix("/xrpc")
    for web, socket in (("https://", "wss://"), ("http://", "ws://")):
        if url.startswith(web):
            url = socket + url[len(web) :]
    return f"{url}/xrpc"


def items_from_commit(commit: Any, our_did: str) -> Iterable[IncomingItem]:
    """The posts in one #commit message that concern `our_did`."""
    creates = [
        op
        for op in commit.ops
        if op.action == "create" and op.path.startswith(f"{mapping.POST}/") and op.cid
    ]
    if not creates or commit.repo == our_did or commit.too_big:
        return []
    blocks = CAR.from_bytes(commit.blocks).blocks
    items = []
    for op in creates:
        record = blocks.get(op.cid)
        if not isinstance(record, dict):
            continue
        uri = f"at://{commit.repo}/{op.path}"
        item = mapping.incoming_from_record(uri, record, our_did, commit.repo)
        if item is not None:
            items.append(item)
    return items


class FirehoseStream:
    """One subscription. `position` is where to resume after the item last taken from `items()`:
    pass it back as the cursor after a restart to lose nothing that happened in between.

    It follows the items handed out, not the frames read: frames are read ahead into a queue, and
    a position past items still queued would skip them on resume. The firehose replays events
    after the cursor, so the position is the item's own sequence number when it is the last item
    of its commit, and the one before when more of the same commit follow."""

    def __init__(
        self,
        base_url: str,
        our_did: str,
        *,
        cursor: int | None = None,
        recv_timeout: float = 30.0,
        client_factory: Callable[..., Any] = AsyncFirehoseSubscribeReposClient,
        pick: Callable[[Any], Iterable[IncomingItem]] | None = None,
    ) -> None:
        self.our_did = our_did
        # Which posts of a commit to hand out: by default those that concern our account;
        # listening's public stream (public_stream.py) passes its own.
        self._pick = pick or (lambda commit: items_from_commit(commit, our_did))
        self.position = cursor
        params = {"cursor": cursor} if cursor is not None else None
        self._client = client_factory(
            params=params, base_uri=websocket_base(base_url), recv_timeout=recv_timeout
        )
        self._queue: asyncio.Queue[tuple[IncomingItem, int | None]] = asyncio.Queue(maxsize=1000)

    async def _on_message(self, frame: Any) -> None:
        message = parse_subscribe_repos_message(frame)
        seq = getattr(message, "seq", None)
        seq = seq if isinstance(seq, int) else None
        if seq is not None:
            # The client reconnects by itself after a dropped connection, with the parameters
            # it was given: without this it would resume at its first cursor (or at "now"), and
            # what was said while the connection was down would never come.
            self._client.update_params({"cursor": seq})
        if getattr(message, "py_type", "") == "com.atproto.sync.subscribeRepos#commit":
            found = list(self._pick(message))
            for number, item in enumerate(found, start=1):
                resume = seq if seq is None or number == len(found) else seq - 1
                await self._queue.put((item, resume))

    async def items(self) -> AsyncIterator[IncomingItem]:
        runner = asyncio.create_task(self._client.start(self._on_message))
        waiter: asyncio.Task | None = None
        try:
            while True:
                waiter = asyncio.create_task(self._queue.get())
                done, _pending = await asyncio.wait(
                    {waiter, runner}, return_when=asyncio.FIRST_COMPLETED
                )
                if waiter in done:
                    item, resume = waiter.result()
                    if resume is not None:
                        self.position = resume
                    yield item
                    continue
                waiter.cancel()
                error = runner.exception()
                if error is None:
                    return  # stopped from outside
                if isinstance(error, ConnectorError):
                    raise error
                raise Transient(
                    _("The Bluesky event stream stopped: %(kind)s.")
                    % {"kind": type(error).__name__}
                ) from error
        finally:
            if waiter is not None and not waiter.done():
                waiter.cancel()  # cancelled while waiting: no task left pending behind us
            await self._client.stop()
            if not runner.done():
                runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    async def stop(self) -> None:
        await self._client.stop()
