"""What a report says, computed from the readings analytics stores (PostMetric, ChannelMetric),
the clicks on tracked links and the conversions: one `Figures` for a workspace, a period and an
optional set of channels. The PDF, CSV and XLSX are drawn from the same object, so they can never
disagree with each other.

A post counts in the period it was published in, with the newest reading of each figure taken at
or before the period's end: a report for last month does not change when this month's readings
arrive. The audience is the newest "followers" reading per channel at or before each day's end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Sum

from kalrav.analytics.models import ChannelMetric, Click, Conversion, PostMetric
from kalrav.channels.models import Channel
from kalrav.connectors.declared import metrics
from kalrav.publishing.models import Variant, VariantState
from kalrav.workspaces.models import Workspace

# What "engagement" adds up, where a network counts these (its own names for them); the same
# definition as on a post's page.
ENGAGEMENTS = metrics.ENGAGEMENTS
TOP_POSTS = 10


@dataclass(frozen=True)
class Period:
    """Whole days in the workspace's time zone, first and last included."""

    first: date
    last: date
    zone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=ZoneInfo(self.zone))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass
class PostRow:
    variant_id: int
    post_id: int
    title: str
    channel: str
    network: str
    published_at: datetime
    url: str
    views: float
    engagements: float
    values: dict[str, float]

    @property
    def engagement_rate(self) -> float | None:
        return 100 * self.engagements / self.views if self.views else None


@dataclass
class ChannelRow:
    channel_id: int
    name: str
    network: str
    posts: int = 0
    views: float = 0
    engagements: float = 0
    followers_start: float | None = None
    followers_end: float | None = None
    clicks: int = 0
    conversions: int = 0

    @property
    def growth(self) -> float | None:
        if self.followers_start is None or self.followers_end is None:
            return None
        return self.followers_end - self.followers_start


@dataclass
class Figures:
    workspace: Workspace
    period: Period
    channels: list[ChannelRow]
    posts: list[PostRow]
    # Per day: engagements and views of the posts published that day, followers at its end.
    daily: list[tuple[date, float, float, float | None]]
    clicks: int
    conversions: int
    conversion_values: dict[str, Decimal] = field(default_factory=dict)

    @property
    def views(self) -> float:
        return sum(p.views for p in self.posts)

    @property
    def engagements(self) -> float:
        return sum(p.engagements for p in self.posts)

    @property
    def engagement_rate(self) -> float | None:
        views = self.views
        return 100 * self.engagements / views if views else None

    @property
    def followers(self) -> float | None:
        known = [c.followers_end for c in self.channels if c.followers_end is not None]
        return sum(known) if known else None

    @property
    def growth(self) -> float | None:
        known = [c.growth for c in self.channels if c.growth is not None]
        return sum(known) if known else None

    def top_posts(self) -> list[PostRow]:
        return sorted(self.posts, key=lambda p: (-p.engagements, -p.views, p.variant_id))[
            :TOP_POSTS
        ]

    def summary(self) -> dict[str, object]:
        """The headline figures as plain values: what two installations must agree on."""
        return {
            "posts": len(self.posts),
            "views": self.views,
            "engagements": self.engagements,
            "followers": self.followers,
            "growth": self.growth,
            "clicks": self.clicks,
            "conversions": self.conversions,
            # Two places whatever the database: PostgreSQL keeps a sum's scale, SQLite drops it.
            "values": {k: f"{v:.2f}" for k, v in sorted(self.conversion_values.items())},
            "daily": [(d.isoformat(), e, v, f) for d, e, v, f in self.daily],
            "channels": [
                (c.name, c.posts, c.views, c.engagements, c.followers_end, c.clicks)
                for c in self.channels
            ],
            "top": [(p.title, p.channel, p.engagements) for p in self.top_posts()],
        }


def compute(workspace: Workspace, period: Period, channel_ids: list[int] | None = None) -> Figures:
    channels = Channel.objects.filter(workspace=workspace).order_by("name", "pk")
    if channel_ids:
        channels = channels.filter(pk__in=channel_ids)
    rows = {c.pk: ChannelRow(c.pk, c.name, c.network) for c in channels}
    start, end = period.start, period.end
    variants = list(
        Variant.objects.filter(
            channel_id__in=list(rows),
            state=VariantState.PUBLISHED,
            published_at__gte=start,
            published_at__lt=end,
        ).select_related("post", "channel")
    )
    newest: dict[int, dict[str, float]] = defaultdict(dict)
    readings = (
        PostMetric.objects.filter(variant_id__in=[v.pk for v in variants], measured_at__lt=end)
        .order_by("-measured_at", "-id")
        .values_list("variant_id", "metric", "value")
    )
    for variant_id, metric, value in readings:
        newest[variant_id].setdefault(metric, value)
    zone = ZoneInfo(period.zone)
    posts = []
    by_day: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for variant in variants:
        values = newest.get(variant.pk, {})
        views = metrics.seen_of(values)
        engaged = metrics.engagements_of(values)
        assert variant.published_at is not None  # filtered on above
        posts.append(
            PostRow(
                variant.pk,
                variant.post_id,
                variant.post.title or variant.text[:80],
                variant.channel.name,
                variant.channel.network,
                variant.published_at,
                variant.remote_url,
                views,
                engaged,
                values,
            )
        )
        channel = rows[variant.channel_id]
        channel.posts += 1
        channel.views += views
        channel.engagements += engaged
        day = variant.published_at.astimezone(zone).date()
        by_day[day][0] += engaged
        by_day[day][1] += views
    audience = _audience(list(rows), period)
    for channel_id, series in audience.items():
        rows[channel_id].followers_start = _before(series, start)
        rows[channel_id].followers_end = _before(series, end)
    daily = []
    for day in period.days():
        day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        known = [v for s in audience.values() if (v := _before(s, day_end)) is not None]
        engaged, views = by_day[day]
        daily.append((day, engaged, views, sum(known) if known else None))
    clicks = (
        Click.objects.filter(link__workspace=workspace, automated=False, at__gte=start, at__lt=end)
        .values("link__channel_id")
        .annotate(n=Count("id"))
    )
    conversions = Conversion.objects.filter(
        workspace=workspace, occurred_at__gte=start, occurred_at__lt=end
    )
    if channel_ids:
        clicks = clicks.filter(link__channel_id__in=channel_ids)
        conversions = conversions.filter(channel_id__in=channel_ids)
    total_clicks = 0
    for entry in clicks:
        total_clicks += entry["n"]
        if entry["link__channel_id"] in rows:
            rows[entry["link__channel_id"]].clicks += entry["n"]
    for by_channel in conversions.values("channel_id").annotate(n=Count("id")):
        if by_channel["channel_id"] in rows:
            rows[by_channel["channel_id"]].conversions += by_channel["n"]
    sales = {
        entry["currency"] or "-": Decimal(entry["total"])
        for entry in conversions.exclude(value=None)
        .values("currency")
        .annotate(total=Sum("value"))
        .order_by("currency")
    }
    return Figures(
        workspace=workspace,
        period=period,
        channels=list(rows.values()),
        posts=sorted(posts, key=lambda p: (p.published_at, p.variant_id)),
        daily=daily,
        clicks=total_clicks,
        conversions=conversions.count(),
        conversion_values=sales,
    )


def _audience(channel_ids: list[int], period: Period) -> dict[int, list[tuple[datetime, float]]]:
    """Each channel's followers readings up to the period's end, oldest first, starting with the
    last one before the period (the audience it began with)."""
    series: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    readings = ChannelMetric.objects.filter(
        channel_id__in=channel_ids, metric="followers", measured_at__lt=period.end
    )
    # Everything before the start but the last reading is history the report does not need.
    before = dict(
        readings.filter(measured_at__lt=period.start)
        .values("channel_id")
        .annotate(at=Max("measured_at"))
        .values_list("channel_id", "at")
    )
    for channel_id, at, value in readings.order_by("measured_at", "id").values_list(
        "channel_id", "measured_at", "value"
    ):
        if at < period.start and at != before.get(channel_id):
            continue
        series[channel_id].append((at, value))
    return series


def _before(series: list[tuple[datetime, float]], moment: datetime) -> float | None:
    found = None
    for at, value in series:
        if at >= moment:
            break
        found = value
    return found
