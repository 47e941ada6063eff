"""The user stream (GET /api/v1/streaming/user, Server-Sent Events) as incoming items.

Kalrav's AsyncHttpClient reads whole bodies, so the stream opens its own httpx connection with
the same guard, user agent and error mapping (kalrav.connectors.http); a `stream()` on the
shared client would let this module shrink to the parsing.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from kalrav.connectors.base import IncomingItem, ItemKind
from kalrav.connectors.errors import Transient
from kalrav.connectors.http import (
    USER_AGENT,
    check_url,
    error_for,
    private_addresses_allowed,
    system_resolver,
)
from kalrav.connectors.networks.mastodon import mapping
from kalrav.connectors.networks.mastodon.errors import mapped
from kalrav.connectors.text.public_terms import Prefilter

# Mastodon sends a heartbeat comment every few seconds; a minute of silence means a dead link.
STREAM_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=15.0, pool=5.0)
_REMEMBERED = (
    512  # ids kept to drop the second copy of a direct message (notification + conversation)
)


def http_base(url: str) -> str:
    """The instance advertises its streaming server as ws(s)://; SSE is served at http(s)://."""
    url = url.rstrip("/")
    for websocket, plain in (("wss://", "https://"), ("ws://", "http://")):
        if url.startswith(websocket):
            return plain + url[len(websocket) :]
    return url


async def events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs from SSE lines; comments (the ":thump" heartbeat) are skipped."""
    event = "message"
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _colon, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


def item_for(event: str, payload: Mapping[str, Any], own_account_id: str) -> IncomingItem | None:
    if event == "notification" and payload.get("type") == "mention" and payload.get("status"):
        status = payload["status"]
        return mapping.item(status, mapping.kind_for_mention(status, own_account_id))
    if event == "conversation":
        status = payload.get("last_status")
        if status and str(status["account"]["id"]) != own_account_id:
            return mapping.item(status, ItemKind.DIRECT_MESSAGE)
    return None  # home timeline updates, deletions, filters: not the inbox's business


async def user_stream(
    *,
    base_url: str,
    access_token: str,
    own_account_id: Callable[[], str],
    http_options: Mapping[str, Any],
) -> AsyncIterator[IncomingItem]:
    url = f"{base_url}/api/v1/streaming/user"
    resolver = http_options.get("resolver", system_resolver)
    if not http_options.get("allow_private", private_addresses_allowed()):
        await asyncio.to_thread(check_url, url, resolver)
    with mapped():
        me = await asyncio.to_thread(own_account_id)
    seen: OrderedDict[str, None] = OrderedDict()
    headers = {"Authorization": f"Bearer {access_token}", "User-Agent": USER_AGENT}
    try:
        async with (
            httpx.AsyncClient(timeout=STREAM_TIMEOUT, follow_redirects=False) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code >= 400:
                await response.aread()
                error = error_for(response)
                if error is not None:
                    raise error
            async for event, data in events(response.aiter_lines()):
                try:
                    payload = json.loads(data)
                except ValueError:
                    continue  # a malformed event must not end a stream that is otherwise fine
                found = item_for(event, payload, me) if isinstance(payload, dict) else None
                if found is None or found.remote_id in seen:
                    continue
                seen[found.remote_id] = None
                if len(seen) > _REMEMBERED:
                    seen.popitem(last=False)
                yield found
    except httpx.TransportError as exc:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        raise Transient(
            f"Stream from {httpx.URL(url).host} {kind}: {exc.__class__.__name__}"
        ) from exc


# Hashtag streams opened side by side at most; more tags read the public stream instead.
MAX_TAG_STREAMS = 4


def public_paths(terms: Sequence[str]) -> list[str]:
    """The hashtag streams when every term is a #tag (the instance then sends only those),
    else the public stream, filtered here by the terms."""
    tags = [term[1:] for term in terms if term.startswith("#") and len(term) > 1]
    if terms and len(tags) == len(terms) and len(tags) <= MAX_TAG_STREAMS:
        return [f"/api/v1/streaming/hashtag?{urlencode({'tag': tag})}" for tag in tags]
    return ["/api/v1/streaming/public"]


async def _events_of(
    url: str, access_token: str, http_options: Mapping[str, Any]
) -> AsyncIterator[tuple[str, str]]:
    resolver = http_options.get("resolver", system_resolver)
    if not http_options.get("allow_private", private_addresses_allowed()):
        await asyncio.to_thread(check_url, url, resolver)
    headers = {"Authorization": f"Bearer {access_token}", "User-Agent": USER_AGENT}
    try:
        async with (
            httpx.AsyncClient(timeout=STREAM_TIMEOUT, follow_redirects=False) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code >= 400:
                await response.aread()
                error = error_for(response)
                if error is not None:
                    raise error
            async for pair in events(response.aiter_lines()):
                yield pair
    except httpx.TransportError as exc:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        raise Transient(
            f"Stream from {httpx.URL(url).host} {kind}: {exc.__class__.__name__}"
        ) from exc


async def public_stream(
    *,
    base_url: str,
    access_token: str,
    terms: Sequence[str],
    http_options: Mapping[str, Any],
) -> AsyncIterator[IncomingItem]:
    """New public statuses containing a term (base.PublicStreamer). Mastodon's streams have no
    replay: what is said while the stream is closed is left to listening's search. Ends by
    itself when the terms change so that the hashtag streams opened no longer fit them."""
    opened_with = tuple(terms)
    paths = public_paths(opened_with)
    tags_only = paths != ["/api/v1/streaming/public"]
    prefilter = Prefilter(terms)
    queue: asyncio.Queue[tuple[str, str] | BaseException] = asyncio.Queue(maxsize=1000)

    async def read(path: str) -> None:
        try:
            async for pair in _events_of(f"{base_url}{path}", access_token, http_options):
                await queue.put(pair)
            raise Transient(f"Stream from {httpx.URL(base_url).host} ended.")
        except BaseException as error:  # handed to the reader, which raises it
            await queue.put(error)
            raise

    readers = [asyncio.create_task(read(path)) for path in paths]
    seen: OrderedDict[str, None] = OrderedDict()
    try:
        while True:
            try:
                got = await asyncio.wait_for(queue.get(), timeout=1.0)
            except TimeoutError:
                got = None
            if tags_only and tuple(terms) != opened_with:
                return  # the caller listens for other words now: open again
            if got is None:
                continue
            if isinstance(got, BaseException):
                raise got
            event, data = got
            if event != "update":
                continue  # deletions, edits, filters
            try:
                payload = json.loads(data)
            except ValueError:
                continue
            if not isinstance(payload, dict) or payload.get("visibility", "public") != "public":
                continue
            status = payload.get("reblog") or payload
            found = mapping.item(status, ItemKind.MENTION)
            if found.remote_id in seen or not prefilter.passes(found.text):
                continue  # a status with two watched tags comes by both streams
            seen[found.remote_id] = None
            if len(seen) > _REMEMBERED:
                seen.popitem(last=False)
            yield found
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
