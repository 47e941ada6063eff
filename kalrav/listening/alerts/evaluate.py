"""Reading a monitor's recent mentions against its alert rules. Reads only; `fire` writes.

Every check runs on arrival, over the monitor's matches (indexed by monitor and time), so
the cost is a few counts per monitor that just heard something. The spike baseline needs eight
weeks of hourly counts: it is kept in the cache for the hour it judges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Min
from django.db.models.functions import TruncHour
from django.utils.translation import gettext as _

from kalrav.listening.alerts import spike
from kalrav.listening.alerts.models import AlertKind, AlertRule
from kalrav.listening.models import Mention, MentionMatch
from kalrav.listening.trends.terms import terms_of, text_of

HOUR = timedelta(hours=1)
WINDOWS = (10, 60)  # minutes: a burst is caught in seconds, a slower rise within the hour
NEW_TERM_DAYS = 30
# A new term is read from at most this many recent mentions, so a flood stays cheap.
SCANNED = 5000


@dataclass(frozen=True)
class Finding:
    kind: str
    started_at: datetime
    window_minutes: int
    count: int
    expected: float
    summary: str
    term: str = ""
    total: int = 0
    # A spike judged without a seasonal baseline (less than a week of history): on `min_count`.
    without_baseline: bool = False


def no_baseline_words() -> str:
    return _("no seasonal baseline yet: fired on the minimum count")


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hourly_counts(monitor_id: int, until: datetime, hours: int) -> list[int]:
    """Consecutive hourly counts of the monitor's matches, oldest first, ending before `until`
    (an hour's start)."""
    since = until - hours * HOUR
    rows = (
        MentionMatch.objects.filter(
            monitor_id=monitor_id, published_at__gte=since, published_at__lt=until
        )
        .annotate(hour=TruncHour("published_at"))
        .values("hour")
        .annotate(n=Count("id"))
    )
    counts = [0] * hours
    for row in rows:
        index = int((row["hour"] - since) / HOUR)
        if 0 <= index < hours:
            counts[index] = row["n"]
    return counts


def baseline(monitor_id: int, hour: datetime, settings: spike.SpikeSettings) -> spike.Baseline:
    key = f"listening:baseline:2:{monitor_id}:{hour.isoformat()}:{settings.weeks}"
    found = cache.get(key)
    if found is None:
        counts = hourly_counts(monitor_id, hour, settings.weeks * spike.HOURS_PER_WEEK)
        found = spike.baseline(counts, settings)
        cache.set(key, found, 2 * 3600)
    return found


def check_spike(rule: AlertRule, now: datetime) -> Finding | None:
    settings = spike.SpikeSettings(min_count=rule.min_count)
    hour = _hour(now)
    into = (now - hour).total_seconds() / 60
    for minutes in WINDOWS:
        since = now - timedelta(minutes=minutes)
        found = MentionMatch.objects.filter(
            monitor_id=rule.monitor_id, published_at__gt=since, published_at__lte=now
        ).aggregate(n=Count("id"), first=Min("published_at"))
        if found["n"] < rule.min_count:
            continue
        parts = [(baseline(rule.monitor_id, hour, settings), min(minutes, into))]
        if minutes > into:
            parts.append((baseline(rule.monitor_id, hour - HOUR, settings), minutes - into))
        if spike.is_spike(found["n"], parts, settings):
            expected, _variance = spike.expectation(parts)
            summary = _(
                "%(count)d mentions in %(minutes)d minutes, about %(expected)s expected"
            ) % {
                "count": found["n"],
                "minutes": minutes,
                "expected": f"{expected:.1f}",
            }
            without_baseline = not spike.seasonal(parts)
            if without_baseline:
                summary = f"{summary} ({no_baseline_words()})"
            return Finding(
                AlertKind.SPIKE,
                found["first"],
                minutes,
                found["n"],
                expected,
                summary,
                without_baseline=without_baseline,
            )
    return None


def check_negative_share(rule: AlertRule, now: datetime) -> Finding | None:
    rows = MentionMatch.objects.filter(
        monitor_id=rule.monitor_id, published_at__gt=now - HOUR, published_at__lte=now
    )
    total = rows.count()
    if total < rule.min_count:
        return None
    negative = rows.filter(sentiment="negative").aggregate(n=Count("id"), first=Min("published_at"))
    share = negative["n"] / total
    if share <= rule.negative_share:
        return None
    return Finding(
        AlertKind.NEGATIVE_SHARE,
        negative["first"],
        60,
        negative["n"],
        rule.negative_share * total,
        _("%(percent)d%% of the last hour's %(total)d mentions are negative")
        % {"percent": round(100 * share), "total": total},
        total=total,
    )


def _terms_between(monitor_id: int, since: datetime, until: datetime) -> Iterable[set[str]]:
    mentions = (
        Mention.objects.filter(
            matches__monitor_id=monitor_id,
            matches__published_at__gte=since,
            matches__published_at__lt=until,
        )
        .order_by("-published_at")
        .only("title", "text")
    )
    for mention in mentions[:SCANNED].iterator(chunk_size=1000):
        yield terms_of(text_of(mention.title, mention.text))


def known_terms(monitor_id: int, hour: datetime) -> set[str]:
    """Every term the monitor heard in the 30 days before the hour, kept for the hour."""
    key = f"listening:terms:{monitor_id}:{hour.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = set()
        for terms in _terms_between(monitor_id, hour - timedelta(days=NEW_TERM_DAYS), hour):
            found |= terms
        cache.set(key, found, 2 * 3600)
    return found


def check_new_term(rule: AlertRule, now: datetime) -> Finding | None:
    hour = _hour(now)
    known = known_terms(rule.monitor_id, hour)
    if not known:
        return None  # a monitor with no history has no "new": every word would be
    counts: Counter[str] = Counter()
    for terms in _terms_between(rule.monitor_id, hour, now + timedelta(seconds=1)):
        counts.update(terms - known)
    fresh = [(n, term) for term, n in counts.items() if n >= rule.min_count]
    if not fresh:
        return None
    fresh.sort(key=lambda pair: (-pair[0], pair[1]))
    count, term = fresh[0]
    return Finding(
        AlertKind.NEW_TERM,
        hour,
        60,
        count,
        0,
        _("“%(term)s” appeared %(count)d times this hour, never in the last 30 days")
        % {"term": term, "count": count},
        term=term[:100],
    )


CHECKS = {
    AlertKind.SPIKE: check_spike,
    AlertKind.NEGATIVE_SHARE: check_negative_share,
    AlertKind.NEW_TERM: check_new_term,
}


def check(rule: AlertRule, now: datetime) -> Finding | None:
    return CHECKS[AlertKind(rule.kind)](rule, now)
