"""Where a connector keeps a network session between uses, and how one renewal at a time is made.

A network that signs in with a password and hands back short-lived tokens (Bluesky: a 2-hour
access token, a 90-day refresh token that rotates on every refresh) must not be signed in to for
every post, poll or reconnect: bsky.social allows 30 sign-ins in 5 minutes and 300 a day. The
connector asks its context's SessionKeeper for the session it kept, and when that session needs
renewing, asks the keeper to run the renewal: the keeper lets one renewal per channel run at a
time (across threads and processes), re-reads the kept session once it has the turn (another
worker may have renewed it meanwhile) and keeps what the renewal returns.

The session is opaque here (a string the connector encodes); the channels app keeps it encrypted
with the channel's credentials. `KeptInMemory` is the keeper of a connector made without one (a
test, a one-off command): sessions then last as long as the object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

# Decides, from the session kept now ("" when none), whether it must be renewed.
NeedsRenewal = Callable[[str], bool]
# Makes a new session from the kept one ("" when none); returns it and when it stops being
# renewable (the refresh token's expiry), or None when it never does.
Renewal = Callable[[str], tuple[str, datetime | None]]


@runtime_checkable
class SessionKeeper(Protocol):
    def kept(self) -> str:
        """The session last kept for the channel, "" when there is none."""
        ...

    def renew(self, needs_renewal: NeedsRenewal, renewal: Renewal) -> str:
        """With this channel's renewal turn held: the kept session if `needs_renewal` says it is
        still good, else the one `renewal` makes, which is kept. Errors of `renewal` propagate."""
        ...


class KeptInMemory:
    """A keeper for one object's lifetime: a lock and a string."""

    def __init__(self, session: str = "") -> None:
        self._session = session
        self._lock = threading.Lock()

    def kept(self) -> str:
        return self._session

    def renew(self, needs_renewal: NeedsRenewal, renewal: Renewal) -> str:
        with self._lock:
            if needs_renewal(self._session):
                self._session, _expires = renewal(self._session)
            return self._session
