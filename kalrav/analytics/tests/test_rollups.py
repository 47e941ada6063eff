"""Rollups agree with the readings: incrementally as readings arrive (late, lower, repeated) and
after a rebuild from scratch; audience keeps each day's last reading."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum

from kalrav.analytics.models import ChannelMetric
from kalrav.analytics.rollups import services as rollups
from kalrav.analytics.rollups.models import AudienceDay, ChannelDay, ChannelHour, PostFigures
from kalrav.analytics.tests.figures import published, read
from kalrav.publishing.tests.helpers import channel

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 18, 45, tzinfo=UTC)  # 3 November 00:15 in Kolkata


@pytest.fixture
def kolkata(workspace):
    workspace.time_zone = "Asia/Kolkata"
    workspace.save(update_fields=["time_zone"])
    return workspace


def _snapshot() -> dict:
    return {
        "days": sorted(ChannelDay.objects.values_list("channel_id", "day", "metric", "value")),
        "hours": sorted(ChannelHour.objects.values_list("channel_id", "hour", "metric", "value")),
        "posts": sorted(
            PostFigures.objects.values_list("variant_id", "engagements", "impressions", "day")
        ),
    }


def test_a_post_counts_on_its_local_day_of_publication_with_its_newest_figures(kolkata):
    ch = channel(kolkata)
    variant = published(ch, T0)
    read(variant, T0 + timedelta(hours=1), likes=3, views=100)
    read(variant, T0 + timedelta(hours=5), likes=10, reposts=2, views=400)
    # An older reading that arrives late changes nothing; a lower newer one lowers.
    read(variant, T0 + timedelta(hours=2), likes=50)
    read(variant, T0 + timedelta(hours=9), likes=9)
    day = {m: v for m, v in ChannelDay.objects.filter(channel=ch).values_list("metric", "value")}
    assert ChannelDay.objects.filter(channel=ch).values("day").distinct().get()["day"] == date(
        2026, 11, 3
    )
    assert day == {"@posts": 1, "likes": 9, "reposts": 2, "views": 400, "@engagements": 11,
                   "@impressions": 400}  # fmt: skip
    hour = ChannelHour.objects.filter(channel=ch, metric="@engagements").get()
    assert hour.hour == datetime(2026, 11, 2, 18, tzinfo=UTC) and hour.value == 11
    figures = PostFigures.objects.get(variant=variant)
    assert figures.language == "bn" and (figures.engagements, figures.impressions) == (11, 400)


def test_incremental_rollups_equal_a_rebuild_from_the_readings(kolkata):
    rng = random.Random(7)  # noqa: S311 - repeatable test data, not a secret
    channels = [channel(kolkata, name=f"C{i}") for i in range(3)]
    variants = [
        published(rng.choice(channels), T0 + timedelta(hours=rng.randrange(0, 24 * 20)))
        for _ in range(25)
    ]
    for _round in range(4):
        for variant in rng.sample(variants, 15):
            when = variant.published_at + timedelta(hours=rng.randrange(1, 200))
            read(variant, when, likes=rng.randrange(0, 90), replies=rng.randrange(0, 9),
                 views=rng.randrange(50, 3000))  # fmt: skip
    incremental = _snapshot()
    assert incremental["days"] and incremental["hours"]
    call_command("rebuild_analytics_rollups", stdout=io.StringIO())
    rebuilt = _snapshot()
    assert rebuilt["posts"] == incremental["posts"]
    for key in ("days", "hours"):
        # A sum that went up and back down leaves a zero row on one path and none on the other.
        before = {r[:3]: r[3] for r in incremental[key] if abs(r[3]) > 1e-9}
        after = {r[:3]: r[3] for r in rebuilt[key] if abs(r[3]) > 1e-9}
        assert after == pytest.approx(before)
    # The day sums are the sums of each post's newest values.
    assert ChannelDay.objects.filter(metric="@impressions").aggregate(s=Sum("value"))[
        "s"
    ] == pytest.approx(PostFigures.objects.aggregate(s=Sum("impressions"))["s"])


def test_audience_keeps_the_last_reading_of_each_day(kolkata):
    ch = channel(kolkata)
    rows = ChannelMetric.objects.bulk_create(
        ChannelMetric(channel=ch, metric="followers", value=v, measured_at=T0 + timedelta(hours=h))
        for h, v in ((0, 100), (6, 120), (30, 150))
    )
    rollups.apply_channel_readings(reversed(rows))  # order of arrival does not matter
    assert list(AudienceDay.objects.order_by("day").values_list("day", "value")) == [
        (date(2026, 11, 3), 120),
        (date(2026, 11, 4), 150),
    ]


def test_a_campaign_named_after_publication_counts_from_the_next_reading(kolkata):
    ch = channel(kolkata)
    variant = published(ch, T0)
    read(variant, T0 + timedelta(hours=1), likes=3, views=100)
    variant.post.campaign, variant.post.tags = "Winter tea", ["Chai"]
    variant.post.save(update_fields=["campaign", "tags"])
    read(variant, T0 + timedelta(hours=2), likes=4, views=120)
    figures = PostFigures.objects.get(variant=variant)
    assert (figures.campaign, figures.tags) == ("Winter tea", "|chai|")
