"""Telegram's webhook: telling our requests from anyone else's, and reading what they carry.

setWebhook takes a `secret_token` (1–256 of A–Z, a–z, 0–9, "_" and "-") that Telegram sends back
in the X-Telegram-Bot-Api-Secret-Token header of every delivery. Kalrav derives it from the bot
token and the channel, so every web process computes the same secret without storing one, and a
new bot token means a new secret.

The view that mounts this (the inbox app's) should answer 403 when `verify_webhook` is False,
400 with the message of MalformedUpdate, and 200 otherwise, quickly: Telegram redelivers an update
until it gets a 2xx and holds back the later ones meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from kalrav.connectors.base import IncomingItem
from kalrav.connectors.networks.telegram.mapping import (
    Echo,
    MalformedUpdate,
    check_update,
    echo_from_update,
    items_from_update,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY = 1_000_000  # bytes; a Message with every optional field is far below this

__all__ = [
    "SECRET_HEADER",
    "MalformedUpdate",
    "parse_echo",
    "parse_update",
    "secret_for",
    "verify_webhook",
]


def secret_for(bot_token: str, channel_id: int | str) -> str:
    """The secret_token for one channel's webhook: 43 URL-safe characters, all of them allowed by
    setWebhook, from which the bot token cannot be recovered."""
    digest = hmac.new(
        bot_token.encode(), f"kalrav-webhook:{channel_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_webhook(headers: Mapping[str, str], secret: str) -> bool:
    """True only when the secret-token header equals `secret`. The comparison takes the same time
    wherever the strings differ, so the secret cannot be guessed a character at a time; an empty
    secret verifies nothing."""
    if not secret:
        return False
    wanted = SECRET_HEADER.lower()
    given = next((value for name, value in headers.items() if name.lower() == wanted), None)
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8"))


def load(payload: bytes | str | Mapping[str, Any]) -> dict:
    """The Update in a webhook body (bytes or text of JSON, or already decoded), checked."""
    if isinstance(payload, bytes | bytearray):
        if len(payload) > MAX_BODY:
            raise MalformedUpdate(f"the body is larger than {MAX_BODY} bytes")
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedUpdate("the body is not UTF-8") from exc
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise MalformedUpdate(f"the body is not JSON: {exc}") from exc
    return check_update(payload)


def parse_update(payload: bytes | str | Mapping[str, Any]) -> list[IncomingItem]:
    """The community messages one webhook delivery carries; empty for updates Kalrav does not read
    (callback queries, chat member changes, types Telegram adds later). Raises MalformedUpdate with
    the reason when the payload is not an Update."""
    return items_from_update(load(payload))


def parse_echo(payload: bytes | str | Mapping[str, Any]) -> Echo | None:
    """The channel post a delivery shows, if any, for the publisher's reconciliation."""
    return echo_from_update(load(payload))
