"""The counts behind listening dashboards, all over a monitor's matches by (monitor, time), or
joined to the mentions for authors, sources and words. Each returns plain numbers."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, tzinfo

from django.db.models import Count
from django.db.models.functions import TruncDay, TruncHour

from kalrav.listening.models import Mention, MentionMatch
from kalrav.listening.trends.terms import terms_of, text_of

SENTIMENTS = ("positive", "neutral", "negative")
# Newest mentions read for the words; enough for a stable top list, fast on any monitor.
SCANNED = 5000
TOP = 10


def bucket_starts(since: datetime, until: datetime, zone: tzinfo, hourly: bool) -> list[datetime]:
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    local = since.astimezone(zone)
    first = local.replace(minute=0, second=0, microsecond=0)
    if not hourly:
        first = first.replace(hour=0)
    found, at = [], first
    while at < until:
        found.append(at)
        # Days step in local wall time, so a daylight-saving change keeps days on midnight.
        at = (
            (at + step).astimezone(zone)
            if hourly
            else (at.replace(tzinfo=None) + step).replace(tzinfo=zone)
        )
    return found


def _matches(monitor_ids: list[int], since: datetime, until: datetime):
    return MentionMatch.objects.filter(
        monitor_id__in=monitor_ids, published_at__gte=since, published_at__lt=until
    )


def volume(
    monitor_ids: list[int], since: datetime, until: datetime, zone: tzinfo, hourly: bool, by: str
) -> dict[tuple[datetime, object], int]:
    """Counts per (bucket start, `by` value): by "sentiment" or "monitor_id"."""
    trunc = TruncHour if hourly else TruncDay
    rows = (
        _matches(monitor_ids, since, until)
        .annotate(bucket=trunc("published_at", tzinfo=zone))
        .values("bucket", by)
        .annotate(n=Count("id"))
    )
    return {(row["bucket"], row[by]): row["n"] for row in rows}


def languages(monitor_id: int, since: datetime, until: datetime) -> list[tuple[str, int]]:
    rows = (
        _matches([monitor_id], since, until)
        .values("language")
        .annotate(n=Count("id"))
        .order_by("-n", "language")
    )
    return [(row["language"], row["n"]) for row in rows]


def _mentions(monitor_id: int, since: datetime, until: datetime):
    return Mention.objects.filter(
        matches__monitor_id=monitor_id,
        matches__published_at__gte=since,
        matches__published_at__lt=until,
    )


def top_authors(monitor_id: int, since: datetime, until: datetime) -> list[tuple[str, str, int]]:
    rows = (
        _mentions(monitor_id, since, until)
        .exclude(author_handle="", author_name="")
        .values("author_handle", "author_name", "network")
        .annotate(n=Count("id"))
        .order_by("-n", "author_handle")[:TOP]
    )
    return [(row["author_handle"] or row["author_name"], row["network"], row["n"]) for row in rows]


def sources(monitor_id: int, since: datetime, until: datetime) -> list[tuple[str, int]]:
    """Mentions per source: its title (or address), else the network they came from."""
    rows = (
        _mentions(monitor_id, since, until)
        .values("source__title", "source__url", "network")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    counts: Counter[str] = Counter()
    for row in rows:
        counts[row["source__title"] or row["source__url"] or row["network"]] += row["n"]
    return counts.most_common(TOP)


def terms(
    monitor_id: int, since: datetime, until: datetime
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], int]:
    """The top words and the top hashtags (mentions holding each), and how many were read."""
    rows = _mentions(monitor_id, since, until).order_by("-published_at").only("title", "text")
    found: Counter[str] = Counter()
    read = 0
    for mention in rows[:SCANNED].iterator(chunk_size=1000):
        read += 1
        found.update(terms_of(text_of(mention.title, mention.text)))
    ranked = found.most_common()
    words = [(t, n) for t, n in ranked if not t.startswith("#")][:TOP]
    tags = [(t, n) for t, n in ranked if t.startswith("#")][:TOP]
    return words, tags, read
