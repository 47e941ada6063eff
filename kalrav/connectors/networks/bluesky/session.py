"""One Bluesky session per channel, kept and refreshed, instead of a sign-in per use.

Signing in (com.atproto.server.createSession) is the most tightly limited call on bsky.social:
30 in 5 minutes and 300 a day per account. A session is a 2-hour access token and a 90-day
refresh token that rotates on every refresh. So:

- every connector of a channel starts from the session its SessionKeeper kept, with no request
  at all while the access token has more than ACCESS_MARGIN left;
- an access token near its end (or refused before its end: revoked) is renewed through the
  keeper, which lets one renewal per channel run at a time and hands the others its result;
- a renewal refreshes (com.atproto.server.refreshSession) and signs in with the app password only
  when the refresh token is refused, expired or missing.

The SDK would refresh by itself in each client, each with its own copy of the rotating refresh
token; SessionClient takes that over so that every refresh goes through the keeper.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from atproto_client import Client
from atproto_client import exceptions as sdk
from atproto_client.client.session import Session
from django.utils.translation import gettext as _

from kalrav.connectors.errors import AuthExpired
from kalrav.connectors.networks.bluesky.errors import translated, xrpc_error
from kalrav.connectors.sessions import SessionKeeper

if TYPE_CHECKING:
    from atproto_client.client.base import InvokeType
    from atproto_client.request import Response

# An access token is renewed this long before it expires, so no call is sent with one that runs
# out on the way.
ACCESS_MARGIN = timedelta(minutes=5)


def _decoded(session: str) -> Session | None:
    try:
        return Session.decode(session) if session else None
    except ValueError:
        return None


def _expiry(jwt: str) -> float:
    """The token's `exp` (seconds since the epoch); 0 when it cannot be read, which renews it."""
    try:
        return float(Session("", "", jwt, "").access_jwt_payload.exp or 0)
    except Exception:  # a malformed token is simply not used
        return 0.0


def access_usable(session: str, now: float | None = None) -> bool:
    decoded = _decoded(session)
    return decoded is not None and _expiry(decoded.access_jwt) - ACCESS_MARGIN.total_seconds() > (
        now if now is not None else time.time()
    )


def refresh_expires_at(session: str) -> datetime | None:
    decoded = _decoded(session)
    seconds = _expiry(decoded.refresh_jwt) if decoded else 0
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


# What a PDS answers for an access token it no longer takes before its time (revoked with its
# session, or signed with a key since rotated): worth one renewal. Other refusals
# (AuthenticationRequired, AccountTakedown…) are not, and go straight to the user.
TOKEN_REFUSED = frozenset({"ExpiredToken", "InvalidToken"})


def _token_refused(exc: sdk.RequestErrorBase) -> bool:
    return xrpc_error(exc)[0] in TOKEN_REFUSED


class SessionClient(Client):
    """The SDK client, with its session taken from and renewed through a SessionKeeper."""

    def __init__(
        self, base_url: str, *, keeper: SessionKeeper, handle: str, app_password: str, **kwargs
    ) -> None:
        super().__init__(base_url, **kwargs)
        self._keeper = keeper
        self._handle = handle
        self._app_password = app_password

    # --- what every call goes through ------------------------------------------------------------

    def _invoke(self, invoke_type: InvokeType, **kwargs: Any) -> Response:
        if kwargs.pop("ignore_session_check", False):
            # The session calls themselves (createSession, refreshSession).
            return super(Client, self)._invoke(invoke_type, **kwargs)
        session = self._session
        if session is None or not access_usable(session.export()):
            self.open()
        try:
            return super(Client, self)._invoke(invoke_type, **kwargs)
        except sdk.RequestErrorBase as exc:
            if not _token_refused(exc):
                raise
        # Refused before its time: revoked, or rotated away. Renew once and call again.
        assert self._session is not None
        self.open(refused=self._session.export())
        return super(Client, self)._invoke(invoke_type, **kwargs)

    # --- opening and renewing --------------------------------------------------------------------

    def open(self, *, refused: str = "", force: bool = False) -> str:
        """Take the kept session if it is usable, else renew it through the keeper; returns it."""
        kept = self._keeper.kept()
        if force or refused or not (self._fits(kept) and access_usable(kept)):

            def needs_renewal(current: str) -> bool:
                return (
                    force
                    or current == refused
                    or not (self._fits(current) and access_usable(current))
                )

            kept = self._keeper.renew(needs_renewal, self._renewal)
            force = False  # the keeper renewed it, or another worker did just before
        self._import_session_string(kept)
        return kept

    def _fits(self, session: str) -> bool:
        """A kept session belongs to the configured account (a channel reconnected to another
        account must not go on as the old one)."""
        decoded = _decoded(session)
        if decoded is None:
            return False
        wanted = self._handle.lower()
        return not wanted or wanted in (decoded.handle.lower(), decoded.did.lower())

    def _renewal(self, kept: str) -> tuple[str, datetime | None]:
        """Refresh the kept session; sign in with the app password only when that is refused."""
        if self._fits(kept):
            self._import_session_string(kept)
            try:
                with translated():
                    self._refresh_and_set_session()
                return self._exported()
            except AuthExpired:
                pass  # the refresh token expired or was revoked: sign in
        if not self._handle or not self._app_password:
            raise AuthExpired(_("The channel has no handle or app password; reconnect it."))
        with translated():
            self._get_and_set_session(self._handle, self._app_password)
        return self._exported()

    def _exported(self) -> tuple[str, datetime | None]:
        session = self.export_session_string()
        return session, refresh_expires_at(session)
