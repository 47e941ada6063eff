"""Long-lived stream listeners (network firehoses, websocket streams) run by `kalrav listen`.

A capability registers a listener by dotted path to an async callable taking a stop Event; the
listener returns when the event is set. Kept as paths so `listen` imports only what it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib import import_module

Listener = Callable[[asyncio.Event], Awaitable[None]]

LISTENERS: dict[str, str] = {}


def register(name: str, dotted_path: str) -> None:
    LISTENERS[name] = dotted_path


def load(name: str) -> Listener:
    module, _, attribute = LISTENERS[name].rpartition(".")
    return getattr(import_module(module), attribute)
