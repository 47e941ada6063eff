"""The webhook capability: networks that push new items to Kalrav instead of being asked.

`receive` checks the delivery's signature or secret and reads it; it raises PermissionError
when the delivery is not from the network (nothing may be stored) and ValueError when it cannot
be read (the message says what is wrong). `set_webhook` asks the network to deliver to a URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kalrav.connectors.base import IncomingItem


class Delivered(Protocol):
    items: Sequence[IncomingItem]


@runtime_checkable
class WebhookReceiver(Protocol):
    def receive(self, headers: Mapping[str, str], body: bytes | str) -> Delivered: ...

    def set_webhook(self, url: str) -> None: ...


# --- Deliveries for the whole app -----------------------------------------------------------------
# Meta and X's Account Activity API deliver every subscribed account's events to one address per
# app, not one per channel: Kalrav answers them at /hooks/networks/<slug>/ and hands each item to
# every live channel whose `remote_id` is the account it is for.


@dataclass(frozen=True)
class HandshakeAnswer:
    """What to answer a network's GET that checks the address is Kalrav's (Meta's
    `hub.challenge`, X's CRC)."""

    status: int
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class AppDelivery:
    """A delivery read and checked: (account remote id, item) pairs, in the order delivered.
    Items the payload gave only in part carry what the network sent; a channel's connector that
    is an ItemCompleter fills them in from the worker."""

    items: Sequence[tuple[str, IncomingItem]] = ()


@runtime_checkable
class AppWebhookReceiver(Protocol):
    """Class-level: the app's secret comes from the operator's settings, not from a channel.

    `answer_handshake` returns None when the query is not a handshake it knows (404), and raises
    PermissionError when the handshake's token does not match (403). `receive_for_app` checks the
    signature over the raw body before reading anything: PermissionError when it is missing or
    wrong, ValueError (saying what) when the body cannot be read."""

    @classmethod
    def answer_handshake(
        cls, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> HandshakeAnswer | None: ...

    @classmethod
    def receive_for_app(cls, headers: Mapping[str, str], body: bytes) -> AppDelivery: ...


@runtime_checkable
class ItemCompleter(Protocol):
    """Fetches what a push left out (Meta sends a comment's id and text but not always its
    author or parent); runs in the worker with the channel's credentials."""

    def complete(self, items: Sequence[IncomingItem]) -> list[IncomingItem]: ...
