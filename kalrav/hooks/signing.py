"""Signing outgoing webhooks: `Kalrav-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
HMAC-SHA256 with the endpoint's secret over `<t>.<raw body>`. Signing the timestamp with the body
lets a receiver refuse old deliveries replayed at it (docs/webhooks.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Kalrav-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker that says what the value is, not a secret
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={signature(secret, moment, body)}"


def verify(
    secret: str,
    body: bytes,
    value: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (Kalrav's tests and the snippet in the docs do the same)."""
    parts: dict[str, list[str]] = {}
    for piece in value.split(","):
        key, _sep, item = piece.strip().partition("=")
        parts.setdefault(key, []).append(item)
    try:
        moment = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - moment) > tolerance:
        return False
    expected = signature(secret, moment, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
