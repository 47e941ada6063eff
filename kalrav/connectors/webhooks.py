"""The webhook capability: networks that push new items to Kalrav instead of being asked.

`receive` checks the delivery's signature or secret and reads it; it raises PermissionError
when the delivery is not from the network (nothing may be stored) and ValueError when it cannot
be read (the message says what is wrong). `set_webhook` asks the network to deliver to a URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from kalrav.connectors.base import IncomingItem


class Delivered(Protocol):
    items: Sequence[IncomingItem]


@runtime_checkable
class WebhookReceiver(Protocol):
    def receive(self, headers: Mapping[str, str], body: bytes | str) -> Delivered: ...

    def set_webhook(self, url: str) -> None: ...
