"""The dashboard's figures, read from the rollups only (never the readings), so a year of 2,000
channels answers in milliseconds: see bench/analytics_dashboard.py.

Filters by channel and network narrow the channels and read the per-channel sums (ChannelDay,
ChannelHour); filters by campaign, tag or language concern posts and read PostFigures. Both
count a post's figures on the day it was published, so the numbers agree.
"""

from __future__ import annotations

import math
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from django.db import connections
from django.db.models import (
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate, TruncHour

from kalrav.analytics.campaigns import services as campaigns
from kalrav.analytics.campaigns.models import Campaign
from kalrav.analytics.models import Click, Conversion
from kalrav.analytics.rollups.models import AudienceDay, ChannelDay, ChannelHour, PostFigures
from kalrav.analytics.rollups.services import ENGAGED, POSTS, SEEN
from kalrav.channels.models import Channel
from kalrav.inbox.models import Conversation

# A post with fewer impressions than this is left out of top and bottom posts: 3 likes on 10
# views is a 30% rate that says nothing.
MIN_IMPRESSIONS = 100
TOP = 5
HOURLY_UP_TO = 7  # days: a week is drawn by the hour, longer periods by the day


@dataclass(frozen=True)
class Filters:
    workspace_id: int
    zone: zoneinfo.ZoneInfo
    start: date
    end: date  # inclusive
    channel_id: int | None = None
    network: str = ""
    campaign: Campaign | None = None
    tag: str = ""
    language: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        from dataclasses import replace

        length = timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.end - length)

    @property
    def by_post(self) -> bool:
        return bool(self.campaign or self.tag or self.language)

    @cached_property
    def _channel_ids(self) -> list[int]:
        found = Channel.everything.filter(workspace_id=self.workspace_id)
        if self.channel_id:
            found = found.filter(pk=self.channel_id)
        if self.network:
            found = found.filter(network=self.network)
        return list(found.values_list("pk", flat=True))

    def channel_ids(self) -> list[int]:
        """The channels the channel and network filters leave (asked once per Filters)."""
        return self._channel_ids

    def moments(self) -> tuple[datetime, datetime]:
        """The period as instants: local midnight to local midnight after its last day."""
        return (
            datetime.combine(self.start, time(), self.zone),
            datetime.combine(self.end + timedelta(days=1), time(), self.zone),
        )


def post_figures(filters: Filters) -> QuerySet[PostFigures]:
    found = PostFigures.objects.filter(
        workspace_id=filters.workspace_id, day__gte=filters.start, day__lte=filters.end
    )
    if filters.channel_id:
        found = found.filter(channel_id=filters.channel_id)
    if filters.network:
        found = found.filter(network=filters.network)
    if filters.campaign is not None:
        found = found.filter(campaigns.figures_of(filters.campaign))
    if filters.tag:
        found = found.filter(tags__contains=f"|{filters.tag.lower()}|")
    if filters.language:
        found = found.filter(language=filters.language)
    return found


def totals(filters: Filters) -> dict[str, float]:
    """Posts, impressions, engagements, engagement rate, clicks and conversions of the period."""
    if filters.by_post:
        sums = post_figures(filters).aggregate(
            posts=Count("id"), engaged=Sum("engagements"), seen=Sum("impressions")
        )
        posts, engaged, seen = sums["posts"], sums["engaged"] or 0, sums["seen"] or 0
    else:
        rows = dict(
            ChannelDay.objects.filter(
                channel_id__in=filters.channel_ids(),
                metric__in=(ENGAGED, SEEN, POSTS),
                day__gte=filters.start,
                day__lte=filters.end,
            )
            .values("metric")
            .annotate(total=Sum("value"))
            .values_list("metric", "total")
        )
        posts, engaged, seen = rows.get(POSTS, 0), rows.get(ENGAGED, 0), rows.get(SEEN, 0)
    clicks, conversions = link_totals(filters)
    return {
        "posts": posts,
        "impressions": seen,
        "engagements": engaged,
        "engagement_rate": 100 * engaged / seen if seen else None,
        "clicks": clicks,
        "conversions": conversions,
    }


def deltas(now: dict, before: dict) -> dict[str, float | None]:
    """The change against the previous period in percent; None where there is nothing to compare."""
    found: dict[str, float | None] = {}
    for name, value in now.items():
        old = before.get(name)
        if value is None or old is None or not old:
            found[name] = None
        elif name == "engagement_rate":
            found[name] = value - old  # points, not percent of a percent
        else:
            found[name] = 100 * (value - old) / old
    return found


def over_time(filters: Filters) -> list[tuple[object, float, float]]:
    """(day or hour, impressions, engagements) for every day (or hour, for a week) of the period."""
    hourly = filters.days <= HOURLY_UP_TO
    sums: dict[object, list[float]] = defaultdict(lambda: [0.0, 0.0])
    if filters.by_post:
        # Summed by the database: a period's posts (thousands on a busy workspace) never come
        # back to Python one by one.
        slot = TruncHour("published_at", tzinfo=filters.zone) if hourly else F("day")
        for key, seen, engaged in (
            post_figures(filters)
            .annotate(slot=slot)
            .values("slot")
            .annotate(seen=Sum("impressions"), engaged=Sum("engagements"))
            .order_by()
            .values_list("slot", "seen", "engaged")
        ):
            moment = key.astimezone(filters.zone) if hourly else key
            sums[moment][0] += seen or 0.0
            sums[moment][1] += engaged or 0.0
    elif hourly:
        begin, end = filters.moments()
        for hour, metric, value in ChannelHour.objects.filter(
            channel_id__in=filters.channel_ids(),
            metric__in=(ENGAGED, SEEN),
            hour__gte=begin,
            hour__lt=end,
        ).values_list("hour", "metric", "value"):
            key = hour.astimezone(filters.zone)
            sums[key][0 if metric == SEEN else 1] += value
    else:
        for day, metric, value in (
            ChannelDay.objects.filter(
                channel_id__in=filters.channel_ids(),
                metric__in=(ENGAGED, SEEN),
                day__gte=filters.start,
                day__lte=filters.end,
            )
            .values("day", "metric")
            .annotate(total=Sum("value"))
            .values_list("day", "metric", "total")
        ):
            sums[day][0 if metric == SEEN else 1] += value
    if hourly:
        first = datetime.combine(filters.start, time(), filters.zone)
        keys: list[object] = [
            (first + timedelta(hours=h)).astimezone(filters.zone) for h in range(24 * filters.days)
        ]
        # Hours of a zone with a half-hour offset start at :30 in UTC; keep what was found.
        keys = sorted(set(keys) | set(sums), key=lambda k: k)  # type: ignore[arg-type, return-value]
    else:
        keys = [filters.start + timedelta(days=d) for d in range(filters.days)]
    return [(key, sums[key][0], sums[key][1]) if key in sums else (key, 0.0, 0.0) for key in keys]


def audience(filters: Filters, metric: str = "followers") -> dict[int, list[tuple[date, float]]]:
    """Each channel's followers as last read on each day of the period (days unread are absent)."""
    found: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for channel_id, day, value in (
        AudienceDay.objects.filter(
            channel_id__in=filters.channel_ids(),
            metric=metric,
            day__gte=filters.start,
            day__lte=filters.end,
        )
        .order_by("channel_id", "day")
        .values_list("channel_id", "day", "value")
    ):
        found[channel_id].append((day, value))
    return dict(found)


def ranked_posts(filters: Filters, *, best: bool) -> list[PostFigures]:
    """Top (or bottom) posts by engagement rate, among those with at least MIN_IMPRESSIONS."""
    rate = ExpressionWrapper(F("engagements") * 100.0 / F("impressions"), output_field=FloatField())
    order = ("-rate", "-impressions", "pk") if best else ("rate", "-impressions", "pk")
    ranked = (
        post_figures(filters)
        .filter(impressions__gte=MIN_IMPRESSIONS)
        .annotate(rate=rate)
        .order_by(*order)
        .values("pk")[:TOP]
    )
    # The TOP rows are chosen first and joined to their posts and channels after: joined before
    # the limit, PostgreSQL hashes the whole post table to keep five rows (40 ms at a quarter of
    # bench size, against 3 ms).
    return list(
        PostFigures.objects.filter(pk__in=ranked)
        .annotate(rate=rate)
        .order_by(*order)
        .select_related("post", "channel")
    )


def link_totals(filters: Filters) -> tuple[int, int]:
    clicks, conversions = _link_queries(filters)
    return clicks.count(), conversions.count()


def _link_queries(filters: Filters) -> tuple[QuerySet[Click], QuerySet[Conversion]]:
    begin, end = filters.moments()
    links = Q(link__workspace_id=filters.workspace_id)
    if filters.channel_id or filters.network:
        links &= Q(link__channel_id__in=filters.channel_ids())
    if filters.campaign is not None:
        links &= Q(link__campaign=filters.campaign.name)
    made = Q(workspace_id=filters.workspace_id)
    if filters.channel_id or filters.network:
        made &= Q(channel_id__in=filters.channel_ids())
    if filters.campaign is not None:
        made &= Q(campaign=filters.campaign.name)
    return (
        Click.objects.filter(links, automated=False, at__gte=begin, at__lt=end),
        Conversion.objects.filter(made, occurred_at__gte=begin, occurred_at__lt=end),
    )


def link_series(filters: Filters) -> tuple[dict[date, int], dict[date, int]]:
    """Clicks by people and conversions per day. Tracked links know their channel and campaign,
    so the tag and language filters do not narrow these two."""
    clicks_of, conversions_of = _link_queries(filters)
    begin, end = filters.moments()
    return (
        per_local_day(clicks_of, "at", filters.zone, begin, end),
        per_local_day(conversions_of, "occurred_at", filters.zone, begin, end),
    )


class _ShiftedDate(Func):
    """SQLite's own date() of a UTC time moved by a fixed number of minutes."""

    output_field = DateField()

    def __init__(self, expression: str, minutes: int) -> None:
        super().__init__(F(expression))
        self.minutes = minutes

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def, override]
        inner, params = compiler.compile(self.source_expressions[0])
        return f"date({inner}, %s)", [*params, f"{self.minutes:+d} minutes"]


def offset_spans(
    zone: zoneinfo.ZoneInfo, begin: datetime, end: datetime
) -> list[tuple[datetime, datetime, int]]:
    """[begin, end) cut where the zone's UTC offset changes: (start, stop, offset in minutes)."""

    def offset(moment: datetime) -> int:
        found = moment.astimezone(zone).utcoffset()
        return int(found.total_seconds() // 60) if found else 0

    # In UTC: arithmetic on a zoned datetime is wall-clock arithmetic, which a change would skew.
    begin, end = begin.astimezone(UTC), end.astimezone(UTC)
    spans: list[tuple[datetime, datetime, int]] = []
    start, current, at = begin, offset(begin), begin
    while at < end:
        step = min(at + timedelta(days=1), end)
        if offset(step) != current:
            # The change is in (at, step]; zones change on whole seconds, so halve whole seconds.
            low, high = 0, math.ceil((step - at).total_seconds())
            while high - low > 1:
                middle = (low + high) // 2
                if offset(at + timedelta(seconds=middle)) != current:
                    high = middle
                else:
                    low = middle
            step = at + timedelta(seconds=high)
            spans.append((start, step, current))
            start, current = step, offset(step)
        at = step
    spans.append((start, end, current))
    return spans


def per_local_day(
    found: QuerySet, field: str, zone: zoneinfo.ZoneInfo, begin: datetime, end: datetime
) -> dict[date, int]:
    """Rows counted by their local day. SQLite converts time zones with a Python function called
    once per row (50 ms for a 90-day period's clicks); there, each stretch of constant UTC offset
    is counted with SQLite's own date() instead. PostgreSQL converts zones itself."""
    if connections[found.db].vendor != "sqlite":
        return dict(
            found.annotate(day=TruncDate(field, tzinfo=zone))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        )
    counts: dict[date, int] = defaultdict(int)
    for start, stop, minutes in offset_spans(zone, begin, end):
        for day, n in (
            found.filter(**{f"{field}__gte": start, f"{field}__lt": stop})
            .annotate(day=_ShiftedDate(field, minutes))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        ):
            counts[day] += n
    return dict(counts)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile: a value that was really observed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def response_times(filters: Filters) -> dict:
    """Per day (day, conversations answered, median, p90) of the minutes to the first response,
    by the day the conversation arrived, in wall-clock minutes as the inbox measures them; and
    the same over the whole period."""
    begin, end = filters.moments()
    found = Conversation.objects.filter(
        workspace_id=filters.workspace_id,
        received_at__gte=begin,
        received_at__lt=end,
        first_response_wall_minutes__isnull=False,
    )
    if filters.channel_id or filters.network:
        found = found.filter(channel_id__in=filters.channel_ids())
    by_day: dict[date, list[float]] = defaultdict(list)
    for received, minutes in found.values_list("received_at", "first_response_wall_minutes"):
        by_day[received.astimezone(filters.zone).date()].append(minutes or 0.0)
    every = [m for minutes in by_day.values() for m in minutes]
    return {
        "days": [
            (
                day,
                len(by_day.get(day, [])),
                statistics.median(by_day[day]) if by_day.get(day) else None,
                percentile(by_day.get(day, []), 0.9),
            )
            for day in (filters.start + timedelta(days=d) for d in range(filters.days))
        ],
        "answered": len(every),
        "median": statistics.median(every) if every else None,
        "p90": percentile(every, 0.9),
    }


def has_any(workspace_id: int) -> bool:
    return PostFigures.objects.filter(workspace_id=workspace_id).exists()
