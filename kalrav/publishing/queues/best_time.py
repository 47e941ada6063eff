"""When to post on a channel, from that channel's own history only; a guess from other accounts
or from industry averages would look like knowledge and is not.

The model, first choice: **the engagement rate of the channel's own posts by the hour of the week
they were published, shrunk toward the channel's overall rate (empirical Bayes), with recency
weights** (`rates_model`). Each measured post (newest figures from the analytics rollups, at
least MIN_IMPRESSIONS impressions) is one observation of a rate, weighted 0.5 ** (age / 4 weeks).
Per hour of the week, the weighted mean rate is a noisy estimate whose variance is the
between-post variance over the hour's effective number of posts (Kish). The spread of true hour
effects (tau^2) is estimated from the data (method of moments, as in DerSimonian-Laird), and each
hour's estimate is pulled toward the channel's rate by B = noise / (noise + tau^2): an hour with
one lucky post barely moves, an hour with many consistently good posts keeps its lead. Rates are
first capped at the channel's 95th percentile (one viral post would otherwise set both its hour's
mean and the spread), and an hour needs MIN_HOUR_POSTS posts to be suggested at all. The
confidence shown is the posterior probability that the hour beats the channel's usual rate, and
a 90% interval goes with it.

Why not a fixed 16-week average of raw counts: counts reward the hours we already post in most,
old weeks count as much as last week though audiences drift, and a single viral post makes its
hour "best". Rates remove the first, the 4-week half-life the second, shrinkage the third. Why not
Beta-Binomial on impressions: posts differ far more than coin flips (overdispersion), so counting
each impression as a trial would claim certainty after one post; treating each post as one
observation keeps the confidence honest.

Fallback, while the channel has fewer than MIN_POSTS measured posts in RATE_WINDOW (new channels,
networks that count no views): the comments, replies and mentions the channel received (the
inbox's incoming messages) by hour of the week in the workspace's time zone, over the last four
weeks, and below a threshold the answer is "not enough history yet". Published variants are
counted per hour there too, so a team can see whether an hour is busy because the audience is
there or only because we always post then.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.connectors.base import ItemKind
from kalrav.inbox.models import Direction, Message
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.queues.services import local_to_utc

WINDOW = timedelta(weeks=4)
MIN_ENGAGEMENTS = 30
TOP = 3
ENGAGEMENT_KINDS = (ItemKind.COMMENT, ItemKind.REPLY, ItemKind.MENTION)
CACHE_SECONDS = 600
# The rates model (see the module's docstring).
RATE_WINDOW = timedelta(weeks=26)
HALF_LIFE = timedelta(weeks=4)
MIN_POSTS = 12
MIN_IMPRESSIONS = 100
MIN_HOUR_POSTS = 2  # one post at an hour is an anecdote, not a time to recommend
CAP_QUANTILE = 0.95
RATES, COUNTS = "rates", "engagement counts"
Z90 = 1.6449


@dataclass(frozen=True)
class HourOfWeek:
    weekday: int  # 0 = Monday
    hour: int
    engagements: int
    posts: int
    # The rates model only: estimated engagement rate (percent), its 90% interval, and the
    # probability that this hour beats the channel's usual rate.
    rate: float | None = None
    low: float | None = None
    high: float | None = None
    confidence: float | None = None

    @property
    def day_name(self) -> str:
        return weekday_name(self.weekday)

    @property
    def confidence_percent(self) -> int | None:
        return None if self.confidence is None else round(100 * self.confidence)


@dataclass(frozen=True)
class BestTime:
    channel_id: int
    enough: bool
    engagements: int
    needed: int
    since: datetime
    top: list[HourOfWeek] = field(default_factory=list)
    next_at: datetime | None = None  # the next start of the best hour, in UTC
    method: str = COUNTS
    overall_rate: float | None = None  # the channel's rate, percent (rates model)
    measured_posts: int = 0  # the posts the rates model learnt from

    @property
    def message(self) -> str:
        if self.method == RATES:
            best = self.top[0]
            return _(
                "Posts published on %(day)s around %(hour)02d:00 get an engagement rate of about "
                "%(rate).1f%% (the channel's usual: %(usual).1f%%); %(sure)d%% likely to beat the "
                "usual, from %(n)d measured posts."
            ) % {
                "day": weekday_name(best.weekday),
                "hour": best.hour,
                "rate": best.rate or 0.0,
                "usual": self.overall_rate or 0.0,
                "sure": best.confidence_percent or 0,
                "n": self.measured_posts,
            }
        if not self.enough:
            return _(
                "Not enough history yet: %(n)d comments, replies and mentions in the last "
                "4 weeks; a suggestion needs %(needed)d."
            ) % {"n": self.engagements, "needed": self.needed}
        best = self.top[0]
        return _(
            "Most engagement arrives on %(day)s around %(hour)02d:00 (%(n)d of %(total)d)."
        ) % {
            "day": weekday_name(best.weekday),
            "hour": best.hour,
            "n": best.engagements,
            "total": self.engagements,
        }


def weekday_name(weekday: int) -> str:
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS[weekday])


def _by_hour(rows, field_day: str, field_hour: str) -> dict[tuple[int, int], int]:
    # ExtractIsoWeekDay gives Monday = 1; ours is Monday = 0, as Python's weekday().
    return {(row[field_day] - 1, row[field_hour]): row["n"] for row in rows}


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


# (published at, engagements, impressions) of a channel's posts published in [since, now) with at
# least `min_impressions`. Analytics measures posts and imports publishing, so publishing cannot
# import analytics: the analytics app hands its reader in at start-up (AnalyticsConfig.ready).
MeasuredPosts = Callable[[int, datetime, datetime, int], list[tuple[datetime, float, float]]]
measured_posts: MeasuredPosts | None = None


def rates_model(channel_id: int, zone: zoneinfo.ZoneInfo, now: datetime) -> BestTime | None:
    """The shrunk engagement rate per hour of the week (module docstring); None below MIN_POSTS."""
    if measured_posts is None:
        return None
    since = now - RATE_WINDOW
    rows = measured_posts(channel_id, since, now, MIN_IMPRESSIONS)
    if len(rows) < MIN_POSTS:
        return None
    # A viral post would set both its hour's mean and the spread: rates are capped at the
    # channel's 95th percentile first (winsorised), so one post cannot make an hour.
    ordered = sorted(engaged / seen for _p, engaged, seen in rows)
    cap = ordered[min(len(ordered) - 1, int(CAP_QUANTILE * len(ordered)))]
    hours: dict[tuple[int, int], list[tuple[float, float, float]]] = defaultdict(list)
    for published, engaged, seen in rows:
        weight = 0.5 ** ((now - published) / HALF_LIFE)
        local = published.astimezone(zone)
        hours[(local.weekday(), local.hour)].append((weight, min(cap, engaged / seen), engaged))
    every = [o for obs in hours.values() for o in obs]
    total = sum(w for w, _r, _e in every)
    mean = sum(w * r for w, r, _e in every) / total
    spread = sum(w * (r - mean) ** 2 for w, r, _e in every) / total or 1e-12
    found: dict[tuple[int, int], tuple[float, float]] = {}  # hour: (hour's mean, noise variance)
    for key, obs in hours.items():
        weights = sum(w for w, _r, _e in obs)
        effective = weights**2 / sum(w * w for w, _r, _e in obs)
        found[key] = (sum(w * r for w, r, _e in obs) / weights, spread / effective)
    means = [m for m, _v in found.values()]
    between = sum((m - mean) ** 2 for m in means) / len(means)
    tau2 = max(0.0, between - sum(v for _m, v in found.values()) / len(found))
    estimates = []
    for (weekday, hour), (hour_mean, noise) in found.items():
        pull = noise / (noise + tau2) if tau2 else 1.0
        rate = pull * mean + (1 - pull) * hour_mean
        variance = (1 - pull) * noise
        sure = _phi((rate - mean) / math.sqrt(variance)) if variance > 0 else 0.5
        estimates.append(
            HourOfWeek(
                weekday=weekday,
                hour=hour,
                engagements=round(sum(e for _w, _r, e in hours[(weekday, hour)])),
                posts=len(hours[(weekday, hour)]),
                rate=100 * rate,
                low=100 * (rate - Z90 * math.sqrt(variance)),
                high=100 * (rate + Z90 * math.sqrt(variance)),
                confidence=sure,
            )
        )
    estimates = [h for h in estimates if h.posts >= MIN_HOUR_POSTS]
    if not estimates:
        return None
    estimates.sort(key=lambda h: (-(h.rate or 0), -(h.confidence or 0), h.weekday, h.hour))
    top = estimates[:TOP]
    return BestTime(
        channel_id,
        True,
        round(sum(e for _w, _r, e in every)),
        MIN_POSTS,
        since,
        top,
        next_start(top[0], zone, now),
        method=RATES,
        overall_rate=100 * mean,
        measured_posts=len(rows),
    )


def compute(channel_id: int, zone: zoneinfo.ZoneInfo, *, now: datetime | None = None) -> BestTime:
    now = now or timezone.now()
    from_rates = rates_model(channel_id, zone, now)
    if from_rates is not None:
        return from_rates
    return from_counts(channel_id, zone, now)


def from_counts(channel_id: int, zone: zoneinfo.ZoneInfo, now: datetime) -> BestTime:
    """The fallback: incoming engagement counted by hour of the week over WINDOW."""
    since = now - WINDOW
    engagement = _by_hour(
        Message.objects.filter(
            channel_id=channel_id,
            direction=Direction.IN,
            kind__in=[k.value for k in ENGAGEMENT_KINDS],
            created_at__gte=since,
            created_at__lt=now,
        )
        .annotate(
            d=ExtractIsoWeekDay("created_at", tzinfo=zone), h=ExtractHour("created_at", tzinfo=zone)
        )
        .values("d", "h")
        .annotate(n=Count("id"))
        .order_by(),
        "d",
        "h",
    )
    posts = _by_hour(
        Variant.objects.filter(
            channel_id=channel_id,
            state=VariantState.PUBLISHED,
            published_at__gte=since,
            published_at__lt=now,
        )
        .annotate(
            d=ExtractIsoWeekDay("published_at", tzinfo=zone),
            h=ExtractHour("published_at", tzinfo=zone),
        )
        .values("d", "h")
        .annotate(n=Count("id"))
        .order_by(),
        "d",
        "h",
    )
    total = sum(engagement.values())
    if total < MIN_ENGAGEMENTS:
        return BestTime(channel_id, False, total, MIN_ENGAGEMENTS, since)
    # Most engagement first; ties go to the hour we have posted in less, then to the earlier hour.
    ranked = sorted(engagement.items(), key=lambda kv: (-kv[1], posts.get(kv[0], 0), kv[0]))
    top = [
        HourOfWeek(weekday=d, hour=h, engagements=n, posts=posts.get((d, h), 0))
        for (d, h), n in ranked[:TOP]
    ]
    return BestTime(
        channel_id, True, total, MIN_ENGAGEMENTS, since, top, next_start(top[0], zone, now)
    )


def next_start(slot: HourOfWeek, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    """The next time the best hour begins, at least an hour from now so there is time to prepare."""
    today = (now + timedelta(hours=1)).astimezone(zone).date()
    for offset in range(15):
        day = today + timedelta(days=offset)
        if day.weekday() == slot.weekday:
            when = local_to_utc(day, time(slot.hour), zone)
            if when > now + timedelta(hours=1):
                return when
    raise AssertionError("a weekday recurs within a fortnight")


def suggest(channel_id: int, zone: zoneinfo.ZoneInfo) -> BestTime:
    """`compute`, kept for ten minutes: the pages ask for it per channel on every view."""
    key = f"kalrav:best-time:{channel_id}:{zone.key}"
    found = cache.get(key)
    if found is None:
        found = compute(channel_id, zone)
        cache.set(key, found, CACHE_SECONDS)
    return found


# --- The queue's suggested slots -----------------------------------------------------------------

# How many of the next free slots are searched for one in a best hour: about two weeks of a
# twice-a-day queue, so a suggestion is near enough to be useful.
LOOKAHEAD = 14


@dataclass(frozen=True)
class SuggestedSlot:
    at: datetime  # UTC
    hour: HourOfWeek | None  # the best hour the slot falls in, or None

    @property
    def in_best_hour(self) -> bool:
        return self.hour is not None


def mark_slots(
    slots: list[datetime], best: BestTime, zone: zoneinfo.ZoneInfo
) -> list[SuggestedSlot]:
    """The slots in their own order, each with the best hour (in the workspace's zone) it falls in."""
    # The rates model ranks its TOP hours even when some are below the channel's usual rate;
    # a slot is only called a best hour when its hour is more likely than not to beat it.
    hours = {
        (h.weekday, h.hour): h
        for h in (best.top if best.enough else [])
        if h.confidence is None or h.confidence > 0.5
    }
    marked = []
    for at in slots:
        local = at.astimezone(zone)
        marked.append(SuggestedSlot(at, hours.get((local.weekday(), local.hour))))
    return marked


def best_slot(marked: list[SuggestedSlot], best: BestTime) -> SuggestedSlot | None:
    """The slot to offer first: one in the best-ranked hour, the soonest of them; None when no slot
    falls in a best hour. The queue's own order stays as the user set it: this is only offered."""
    rank = {(h.weekday, h.hour): n for n, h in enumerate(best.top)}
    ranked = [(rank[(s.hour.weekday, s.hour.hour)], n) for n, s in enumerate(marked) if s.hour]
    return marked[min(ranked)[1]] if ranked else None
