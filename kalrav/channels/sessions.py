"""A channel's network session, kept encrypted with its credentials and renewed one at a time.

The session (for Bluesky: the access and refresh tokens) is the `session` field of the channel's
sealed credentials, so it is encrypted with the same keys and rotated by `rotate-keys`.

One renewal per channel at a time, across a worker's threads and every process: a thread lock
per channel in the process, and a lock entry in the cache (`cache.add`, which is atomic: an
INSERT on the database cache, SQLite's or PostgreSQL's; SET NX on Redis). The lock is held for at
most LOCK_SECONDS, longer than a renewal's HTTP timeouts, so a holder that dies frees it by itself.
No database transaction stays open during the network call.

The last session this process kept or read is remembered per channel with the one it replaced,
so connectors made from a channel row read before a renewal (a claimed batch) still start from
the newest session, while a row holding anything else (a new sign-in since) is taken as it is.

When a renewal returns the time its refresh token expires, renew_credentials is queued ahead of it
(`schedule_renewal`, RENEW_AHEAD before), so a channel nobody uses for months keeps its session.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel
from kalrav.connectors.errors import Transient
from kalrav.connectors.sessions import NeedsRenewal, Renewal

logger = logging.getLogger(__name__)

FIELD = "session"
LOCK_SECONDS = 60
WAIT_STEP = 0.05
RENEW_AHEAD = timedelta(days=7)

# channel id -> (the stored session a renewal replaced, the session it kept)
_latest: dict[int, tuple[str, str]] = {}
_thread_locks: dict[int, threading.Lock] = {}
_guard = threading.Lock()


def _thread_lock(channel_id: int) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(channel_id, threading.Lock())


def _stored(channel_id: int) -> str:
    row = Channel.everything.filter(pk=channel_id).values_list("credentials", flat=True).first()
    return sealed.unseal(row or "").get(FIELD, "")


def _store(channel_id: int, session: str) -> None:
    with transaction.atomic():
        channel = Channel.everything.select_for_update().filter(pk=channel_id).first()
        if channel is None or (not channel.credentials and channel.archived_at):
            return  # removed meanwhile: nothing to keep it for
        kept = sealed.unseal(channel.credentials)
        kept[FIELD] = session
        channel.credentials = sealed.seal(kept)
        channel.save(update_fields=["credentials"])


class _CacheLock:
    def __init__(self, channel_id: int) -> None:
        self.key = f"kalrav:session-renewal:{channel_id}"
        self.token = uuid.uuid4().hex

    def __enter__(self) -> None:
        deadline = time.monotonic() + LOCK_SECONDS
        while not cache.add(self.key, self.token, LOCK_SECONDS):
            if time.monotonic() > deadline:
                raise Transient(_("Another worker is renewing this channel's session."))
            time.sleep(WAIT_STEP)

    def __exit__(self, *_exc: object) -> None:
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


class ChannelSessions:
    """The SessionKeeper of one channel (connectors/sessions.py)."""

    def __init__(
        self,
        channel_id: int,
        stored: str = "",
        *,
        schedule_renewal: Callable[[int, datetime], None] | None = None,
    ) -> None:
        self.channel_id = channel_id
        self._stored = stored
        self._schedule_renewal = schedule_renewal

    def kept(self) -> str:
        replaced, newest = _latest.get(self.channel_id, ("", ""))
        if newest and self._stored == replaced:
            return newest  # this row was read before this process renewed the session
        return self._stored or newest

    def renew(self, needs_renewal: NeedsRenewal, renewal: Renewal) -> str:
        with _thread_lock(self.channel_id), _CacheLock(self.channel_id):
            # Another process may have renewed it while this one waited: read what is stored.
            current = _stored(self.channel_id)
            if not needs_renewal(current):
                _latest[self.channel_id] = (current, current)
                return current
            session, expires_at = renewal(current)
            _store(self.channel_id, session)
            _latest[self.channel_id] = (current, session)
        if expires_at is not None:
            self._queue_renewal(expires_at)
        return session

    def _queue_renewal(self, expires_at: datetime) -> None:
        """One renewal queued per channel: a later one is queued only once the earlier has run
        (renew_credentials itself renews and queues the next)."""
        if self._schedule_renewal is None:
            return
        now = timezone.now()
        if expires_at <= now:
            return
        # RENEW_AHEAD before the end, or at three quarters of a shorter life: never at once,
        # which would renew again and again.
        when = max(expires_at - RENEW_AHEAD, now + (expires_at - now) * 3 / 4)
        key = f"kalrav:session-renewal-queued:{self.channel_id}"
        queued = cache.get(key)
        if isinstance(queued, datetime) and now < queued <= when:
            return
        cache.set(key, when, timeout=int((when - now).total_seconds()) + 60)
        try:
            self._schedule_renewal(self.channel_id, when)
        except Exception:  # the session is kept; a missed renewal costs one sign-in later
            logger.exception("Queueing the session renewal of channel %s failed", self.channel_id)
            cache.delete(key)
