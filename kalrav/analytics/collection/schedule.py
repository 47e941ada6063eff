"""How often a post's figures are read: they move fast in a post's first two days and hardly at
all after a month, and every reading spends the network's rate budget. So the gap grows with
the post's age: every 15 minutes in its first 6 hours, hourly to 48 hours, every 6 hours to a
week, daily to 30 days, weekly to 90 days, then never."""

from __future__ import annotations

from datetime import datetime, timedelta

COLLECT_FOR = timedelta(days=90)
STEPS = (
    (timedelta(hours=6), timedelta(minutes=15)),
    (timedelta(hours=48), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (timedelta(days=30), timedelta(days=1)),
    (COLLECT_FOR, timedelta(days=7)),
)
# After a failure the next try waits longer each time, up to a day.
RETRY_LIMIT = timedelta(days=1)


def next_reading(published_at: datetime, now: datetime) -> datetime | None:
    """When to read next after a reading at `now`; None once the post is past COLLECT_FOR."""
    age = now - published_at
    for until, gap in STEPS:
        if age < until:
            return now + gap
    return None


def after_failure(now: datetime, failures: int) -> datetime:
    return now + min(timedelta(minutes=5) * 2 ** min(failures, 10), RETRY_LIMIT)
