"""A source's health: claiming it so one worker fetches it at a time, and the wait after a
failure, which doubles from 30 seconds up to 6 hours so a broken feed costs almost nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from kalrav.connectors.errors import AuthExpired, BlockedAddress, RateLimited, Rejected, Transient
from kalrav.listening.models import Source, SourceErrorKind, SourceState

FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
# Long enough for one slow fetch; a worker that died holding a source frees it after this.
LEASE = timedelta(minutes=5)


def wait_after(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row (1 -> 30 s, 2 -> 60 s, ...)."""
    if failures <= 0:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - 1, 20), LONGEST_WAIT)


def claim(source_id: int) -> bool:
    """Hold the source for this worker; False when another worker holds it. One UPDATE, so
    two workers asking at once cannot both win."""
    now = timezone.now()
    return bool(
        Source.objects.filter(pk=source_id)
        .exclude(state=SourceState.PAUSED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )


def succeeded(source: Source, next_in: timedelta, **fields: object) -> None:
    now = timezone.now()
    values = {
        "state": SourceState.OK,
        "failures": 0,
        "error_kind": "",
        "last_error": "",
        "last_fetched_at": now,
        "next_fetch_at": now + next_in,
        "claimed_until": None,
        **fields,
    }
    Source.objects.filter(pk=source.pk).exclude(state=SourceState.PAUSED).update(**values)
    Source.objects.filter(pk=source.pk, state=SourceState.PAUSED).update(claimed_until=None)
    for name, value in values.items():
        setattr(source, name, value)


def kind_of(error: BaseException) -> SourceErrorKind:
    """The stable kind of a fetch's failure, from the error's type (and, for a transient one,
    whether it timed out); an error may name its own (`kind`, as FeedError does)."""
    own = getattr(error, "kind", None)
    if isinstance(own, SourceErrorKind):
        return own
    if isinstance(error, RateLimited):
        return SourceErrorKind.RATE_LIMITED
    if isinstance(error, AuthExpired):
        return SourceErrorKind.AUTH
    if isinstance(error, BlockedAddress):
        return SourceErrorKind.BLOCKED
    if isinstance(error, Rejected):
        return SourceErrorKind.REFUSED
    if isinstance(error, TimeoutError) or isinstance(error.__cause__, TimeoutError):
        return SourceErrorKind.TIMEOUT
    if isinstance(error, Transient):
        # kalrav.connectors.http words a transport timeout "… timed out: ReadTimeout".
        # kalrav.connectors.http words a 5xx "… HTTP 503: …".
        if "timed out" in str(error) or "Timeout" in str(error):
            return SourceErrorKind.TIMEOUT
        if "HTTP 5" in str(error):
            return SourceErrorKind.SERVER_ERROR
        return SourceErrorKind.UNREACHABLE
    return SourceErrorKind.OTHER


def failed(source: Source, kind: SourceErrorKind, detail: str = "") -> None:
    """Record a failure: its kind (shown translated) and the raw detail (shown beside it)."""
    now = timezone.now()
    failures = source.failures + 1
    values = {
        "state": SourceState.FAILING,
        "failures": failures,
        "error_kind": kind,
        "last_error": detail[:2000],
        "last_fetched_at": now,
        "next_fetch_at": now + wait_after(failures),
        "claimed_until": None,
    }
    Source.objects.filter(pk=source.pk).exclude(state=SourceState.PAUSED).update(**values)
    Source.objects.filter(pk=source.pk, state=SourceState.PAUSED).update(claimed_until=None)
    for name, value in values.items():
        setattr(source, name, value)


def pause(source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(state=SourceState.PAUSED)


def resume(source: Source) -> None:
    """Back to work at once, the failure count kept so a still-broken feed keeps backing off."""
    Source.objects.filter(pk=source.pk, state=SourceState.PAUSED).update(
        state=SourceState.FAILING if source.failures else SourceState.OK,
        next_fetch_at=timezone.now(),
        claimed_until=None,
    )
