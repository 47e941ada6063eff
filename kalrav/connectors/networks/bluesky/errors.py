"""The atproto SDK's exceptions turned into Kalrav's typed errors.

XRPC answers failures as JSON `{"error": "Name", "message": "..."}`. The name decides the type
(an expired or revoked session comes back as 400 ExpiredToken, not 401); the message, which the
PDS writes for people and never fills with the request's secrets, is what the user reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from atproto_client import exceptions as sdk
from atproto_client.models.common import XrpcError
from atproto_core.exceptions import AtProtocolError
from django.utils.translation import gettext as _

from kalrav.connectors import http
from kalrav.connectors.errors import (
    AuthExpired,
    ConnectorError,
    RateLimited,
    Rejected,
    Transient,
)

# Error names (com.atproto.server.* lexicons) that mean the credentials are no longer good.
AUTH_ERRORS = frozenset(
    {
        "AuthenticationRequired",
        "ExpiredToken",
        "InvalidToken",
        "AccountTakedown",
        "AuthFactorTokenRequired",
        "AccountDeactivated",
    }
)


def xrpc_error(exc: sdk.RequestErrorBase) -> tuple[str, str]:
    """(error name, message) of a failed XRPC call, both possibly empty."""
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return content.error or "", (content.message or "").strip()
    return "", ""


def _retry_after(exc: sdk.RequestErrorBase) -> float | None:
    if exc.response is None:
        return None
    # The SDK keeps only a header dict; the shared parser reads Retry-After and RateLimit-Reset.
    return http.retry_after(httpx.Response(exc.response.status_code, headers=exc.response.headers))


def translate(exc: Exception) -> ConnectorError:
    if isinstance(exc, ConnectorError):  # raised by our own address guard, already typed
        return exc
    if isinstance(exc, sdk.LoginRequiredError):
        return AuthExpired(_("Bluesky needs the channel to sign in again."))
    if not isinstance(exc, sdk.RequestErrorBase):
        if isinstance(exc, AtProtocolError):
            # An answer the SDK could not read: a server mid-upgrade or a proxy's error page.
            return Transient(_("Bluesky sent an answer Kalrav could not read."))
        raise exc
    name, message = xrpc_error(exc)
    status = exc.response.status_code if exc.response is not None else None
    detail = f"{name}: {message}" if name and message else (message or name)
    if status is None:
        kind = _("timed out") if isinstance(exc, sdk.InvokeTimeoutError) else _("failed")
        return Transient(_("The connection to Bluesky %(kind)s.") % {"kind": kind})
    if status == 401 or name in AUTH_ERRORS:
        return AuthExpired(
            _("Bluesky no longer accepts this channel's sign-in (%(detail)s). Reconnect it.")
            % {"detail": detail or status}
        )
    if status == 429:
        return RateLimited(
            _("Bluesky asks Kalrav to slow down (%(detail)s).") % {"detail": detail or status},
            retry_after=_retry_after(exc),
        )
    if status >= 500 or status in (408, 409, 425):
        return Transient(
            _("Bluesky had a problem (HTTP %(status)s: %(detail)s).")
            % {"status": status, "detail": detail or "-"},
            retry_after=_retry_after(exc),
        )
    if status == 403:
        return AuthExpired(
            _("Bluesky refused this channel access (%(detail)s). Reconnect it.")
            % {"detail": detail or status}
        )
    return Rejected(message or name or _("Bluesky refused the request (HTTP %s).") % status)


@contextmanager
def translated() -> Iterator[None]:
    """Run SDK calls; whatever fails leaves as a ConnectorError."""
    try:
        yield
    except ConnectorError:
        raise
    except (AtProtocolError, httpx.HTTPError) as exc:
        if isinstance(exc, httpx.HTTPError):
            # Only reached when the SDK let an httpx error through unwrapped.
            raise Transient(
                _("The connection to Bluesky failed: %(kind)s.") % {"kind": type(exc).__name__}
            ) from exc
        raise translate(exc) from exc
