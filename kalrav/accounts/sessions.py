"""How long a sign-in lasts, and what it proved.

A session ends a fixed time after the sign-in (KALRAV_SESSION_HOURS, or KALRAV_SESSION_REMEMBER_DAYS
when the person asked to be remembered), however busy it is: the end is stored as a date, which
Django keeps when it saves the session again (a number of seconds would restart at every save).
With KALRAV_SESSION_IDLE_MINUTES set, a session nobody used for that long ends too; the last use is
written at most once a minute, so reading pages does not turn into a write each.

A sign-in that gave a two-factor code is marked, so creating API tokens can ask for one.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest
from django.utils import timezone

TWO_FACTOR_KEY = "kalrav_two_factor"
SEEN_KEY = "kalrav_seen"
EXPIRY_KEY = "_session_expiry"  # Django's own key; set_expiry() writes it
SEEN_WRITE_SECONDS = 60


def lifetime(*, remember: bool) -> timedelta:
    if remember and settings.SESSION_REMEMBER_DAYS:
        return timedelta(days=settings.SESSION_REMEMBER_DAYS)
    return timedelta(hours=settings.SESSION_HOURS)


def start(request: HttpRequest, *, remember: bool = False) -> None:
    """Fix when the session that has just signed in ends."""
    now = timezone.now()
    request.session.set_expiry(now + lifetime(remember=remember))
    request.session[SEEN_KEY] = int(now.timestamp())


def end_every_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Receives user_logged_in (connected in AccountsConfig.ready)."""
    # Whatever signed the person in (the sign-in page, accepting an invitation), the session gets
    # its fixed end; the sign-in page then lengthens it when asked to remember.
    if request is not None and hasattr(request, "session"):
        start(request)


def mark_two_factor(request: HttpRequest) -> None:
    request.session[TWO_FACTOR_KEY] = True


def two_factor_proven(request: HttpRequest) -> bool:
    return bool(request.session.get(TWO_FACTOR_KEY))


class SessionLimitsMiddleware:
    """Ends idle sessions, and gives sessions from before the fixed end one, counted from now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.user.is_authenticated:
            self._apply(request)
        return self.get_response(request)

    def _apply(self, request: HttpRequest) -> None:
        session = request.session
        now = timezone.now()
        if not isinstance(session.get(EXPIRY_KEY), str):
            session.set_expiry(now + lifetime(remember=False))
        idle_minutes = settings.SESSION_IDLE_MINUTES
        if not idle_minutes:
            return
        seen = session.get(SEEN_KEY)
        stamp = int(now.timestamp())
        if isinstance(seen, int) and stamp - seen > idle_minutes * 60:
            logout(request)
        elif not isinstance(seen, int) or stamp - seen >= SEEN_WRITE_SECONDS:
            session[SEEN_KEY] = stamp
