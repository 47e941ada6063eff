"""Meta's webhooks, shared by the Facebook Pages and Instagram connectors: the operator's app
settings, the subscribe handshake and the signature every delivery carries.

Meta delivers every subscribed Page's (or Instagram account's) events to one address per app
(https://developers.facebook.com/docs/graph-api/webhooks/getting-started/). Setting it up, Meta
sends a GET with hub.mode=subscribe, the verify token the operator typed in the app dashboard and
a hub.challenge to echo back. Every POST is signed: X-Hub-Signature-256 is `sha256=` and the
HMAC-SHA256 of the raw body keyed with the app secret, so the body is checked exactly as it came,
before it is parsed or anything is stored. Meta's deliveries carry no timestamp to refuse a
replay by; a replay is harmless because every item is stored once by its id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from django.conf import settings

from kalrav.connectors.webhooks import HandshakeAnswer

SIGNATURE_HEADER = "X-Hub-Signature-256"


# --- The operator's Meta app (settings KALRAV_META_*) -------------------------------------------


def meta_app_id() -> str:
    """KALRAV_META_APP_ID: the app's id, the OAuth client_id."""
    return str(getattr(settings, "META_APP_ID", "") or "")


def meta_app_secret() -> str:
    """KALRAV_META_APP_SECRET: signs webhook deliveries and appsecret_proof, trades OAuth codes."""
    return str(getattr(settings, "META_APP_SECRET", "") or "")


def meta_verify_token() -> str:
    """KALRAV_META_WEBHOOK_VERIFY_TOKEN: what the operator typed as "Verify token" in the app's
    Webhooks settings."""
    return str(getattr(settings, "META_WEBHOOK_VERIFY_TOKEN", "") or "")


# --- Checking deliveries -------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return str(value or "")


def signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends for `body`."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(app_secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """PermissionError unless X-Hub-Signature-256 is the HMAC of these exact bytes with the app
    secret. Without a secret configured nothing can be trusted, so nothing is accepted."""
    if not app_secret:
        raise PermissionError("the Meta app secret is not configured")
    given = _header(headers, SIGNATURE_HEADER).strip()
    if not given:
        raise PermissionError("the delivery has no X-Hub-Signature-256")
    # Meta writes the digest in lower case; compare_digest over the whole value takes the same
    # time wherever the first difference is.
    if not hmac.compare_digest(
        given.lower().encode("ascii", "replace"), signature(app_secret, body).encode("ascii")
    ):
        raise PermissionError("X-Hub-Signature-256 does not match the body")


def answer_subscribe(query: Mapping[str, str], verify_token: str) -> HandshakeAnswer | None:
    """The answer to Meta's subscribe check: the challenge, echoed, when the verify token matches;
    None when the query is not a subscribe check; PermissionError when the token is wrong or none
    is configured."""
    mode = query.get("hub.mode") or query.get("hub_mode")
    if mode != "subscribe":
        return None
    given = str(query.get("hub.verify_token") or query.get("hub_verify_token") or "")
    if not verify_token or not hmac.compare_digest(given.encode(), verify_token.encode()):
        raise PermissionError("the verify token does not match")
    challenge = str(query.get("hub.challenge") or query.get("hub_challenge") or "")
    return HandshakeAnswer(200, challenge)
