"""Best time from the channel's own per-post engagement rates (publishing/queues/best_time.py):
finds a truly better hour in synthetic history, is unsure with little data, and falls back to
incoming engagement counts when too few posts are measured."""

from __future__ import annotations

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from kalrav.analytics.tests.figures import published, read
from kalrav.publishing.queues import best_time
from kalrav.publishing.tests.helpers import channel

pytestmark = pytest.mark.django_db

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # a Monday
# Hours of the week (Monday = 0) in Kolkata; Wednesday 19:00 is truly better.
HOURS = [(0, 9), (1, 13), (2, 19), (3, 9), (4, 17)]
BETTER = (2, 19)


def _history(ch, weeks: int, rates: dict, seed: int, hours=HOURS) -> None:
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not a secret
    monday = datetime(2026, 11, 30, tzinfo=KOLKATA)  # the week before NOW
    for week in range(weeks):
        for weekday, hour in hours:
            when = monday - timedelta(weeks=week) + timedelta(days=weekday, hours=hour)
            views = rng.randrange(800, 1500)
            # Posts differ more than coin flips: the rate itself varies from post to post.
            rate = max(0.001, rng.gauss(rates.get((weekday, hour), 0.03), 0.01))
            variant = published(ch, when.astimezone(UTC))
            read(variant, when.astimezone(UTC) + timedelta(days=2),
                 likes=round(views * rate), views=views)  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prefers_the_truly_better_hour_and_is_confident_with_history(workspace, seed):
    ch = channel(workspace)
    _history(ch, weeks=16, rates={BETTER: 0.05}, seed=seed)
    found = best_time.compute(ch.pk, KOLKATA, now=NOW)
    best = found.top[0]
    assert found.method == best_time.RATES and (best.weekday, best.hour) == BETTER
    assert best.confidence is not None and best.confidence > 0.95
    assert best.low is not None and best.low > found.overall_rate  # the interval clears the usual
    assert found.next_at == datetime(2026, 12, 9, 19, 0, tzinfo=KOLKATA)
    assert "Wednesday around 19:00" in found.message and "likely to beat the usual" in found.message


def test_is_unsure_with_little_data(workspace):
    ch = channel(workspace)
    # Three weeks, every hour alike: whichever hour comes first, the model must not claim it.
    _history(ch, weeks=3, rates={}, seed=5)
    found = best_time.compute(ch.pk, KOLKATA, now=NOW)
    assert found.method == best_time.RATES and found.measured_posts == 15
    assert all((h.confidence or 0) < 0.9 for h in found.top)


def test_one_lucky_post_does_not_make_an_hour_best(workspace):
    ch = channel(workspace)
    _history(ch, weeks=8, rates={BETTER: 0.045}, seed=9)
    lucky = published(ch, datetime(2026, 12, 5, 23, 30, tzinfo=UTC))  # Sunday 05:00 Kolkata
    read(lucky, NOW, likes=400, views=1000)  # 40%: once
    found = best_time.compute(ch.pk, KOLKATA, now=NOW)
    assert (found.top[0].weekday, found.top[0].hour) == BETTER
    sunday = next((h for h in found.top if (h.weekday, h.hour) == (6, 5)), None)
    assert sunday is None or (sunday.confidence or 0) < found.top[0].confidence


def test_falls_back_to_engagement_counts_with_too_few_measured_posts(workspace):
    ch = channel(workspace)
    _history(ch, weeks=2, rates={}, seed=4)  # 10 posts: fewer than MIN_POSTS
    found = best_time.compute(ch.pk, KOLKATA, now=NOW)
    assert found.method == best_time.COUNTS and not found.enough


def test_the_queue_page_shows_the_rate_and_how_sure(workspace, member_client):
    import time_machine

    ch = channel(workspace)
    _history(ch, weeks=16, rates={BETTER: 0.05}, seed=1)
    with time_machine.travel(NOW, tick=False):
        html = member_client("editor").get(f"/w/{workspace.slug}/calendar/queues/").content.decode()
    assert "likely to beat the usual, from 80 measured posts" in html
    assert "engagement rate (90% interval" in html
