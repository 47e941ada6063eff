"""When to post on a channel, from that channel's own history only: the comments, replies and
mentions it received (the inbox's incoming messages) by hour of the week in the workspace's time
zone, over the last four weeks. Below a threshold the answer is "not enough history yet"; a guess
from other accounts or from industry averages would look like knowledge and is not.

Published variants are counted per hour too and shown beside the engagement, so a team can see
whether an hour is busy because the audience is there or only because we always post then.
"""

from __future__ import annotations

import zoneinfo
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


@dataclass(frozen=True)
class HourOfWeek:
    weekday: int  # 0 = Monday
    hour: int
    engagements: int
    posts: int

    @property
    def day_name(self) -> str:
        return weekday_name(self.weekday)


@dataclass(frozen=True)
class BestTime:
    channel_id: int
    enough: bool
    engagements: int
    needed: int
    since: datetime
    top: list[HourOfWeek] = field(default_factory=list)
    next_at: datetime | None = None  # the next start of the best hour, in UTC

    @property
    def message(self) -> str:
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


def compute(channel_id: int, zone: zoneinfo.ZoneInfo, *, now: datetime | None = None) -> BestTime:
    now = now or timezone.now()
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
