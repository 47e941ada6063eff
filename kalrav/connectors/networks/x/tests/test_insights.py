"""Insights and rate budgets against the fake X: the private figures for the account's posts
under 30 days old, the public ones for the rest, the account's followers, and what X's
x-rate-limit-* and 24-hour headers said, kept per endpoint family."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from kalrav.connectors.base import ConnectorContext, OutgoingPost, PublishedRef, opened
from kalrav.connectors.networks.x import insights
from kalrav.connectors.networks.x.tests.fake import OWN_ID, FakeX

EPOCH_MS = 1288834974657


def _post_id(age: timedelta, serial: int = 0) -> str:
    made = datetime.now(UTC) - age
    return str(((int(made.timestamp() * 1000) - EPOCH_MS) << 22) + serial)


def _figures(age_days: int, author: str = OWN_ID) -> dict:
    return {
        "author_id": author,
        "age_days": age_days,
        "public_metrics": {
            "impression_count": 900,
            "like_count": 12,
            "repost_count": 3,
            "reply_count": 4,
            "quote_count": 1,
            "bookmark_count": 2,
        },
        "non_public_metrics": {
            "impression_count": 1000,
            "url_link_clicks": 25,
            "user_profile_clicks": 6,
        },
        "organic_metrics": {
            "impression_count": 1000,
            "like_count": 12,
            "retweet_count": 3,
            "reply_count": 4,
            "url_link_clicks": 25,
            "user_profile_clicks": 6,
        },
    }


def _by_post(rows) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for row in rows:
        found.setdefault(row.remote_id, {})[row.metric] = row.value
    return found


def test_the_id_says_when_a_post_was_made() -> None:
    made = insights.posted_at(_post_id(timedelta(days=3)))
    assert made is not None and abs(made - (datetime.now(UTC) - timedelta(days=3))) < timedelta(
        seconds=2
    )


def test_recent_posts_get_the_private_figures_older_ones_the_public(fake: FakeX) -> None:
    recent, old = _post_id(timedelta(days=2)), _post_id(timedelta(days=45))
    fake.metrics = {recent: _figures(2), old: _figures(45)}
    with opened(fake.connector()) as connector:
        rows = connector.post_metrics([PublishedRef(recent), PublishedRef(old)])
    found = _by_post(rows)
    # Named as Kalrav adds them up across networks (kalrav.connectors.declared.metrics).
    assert found[recent]["link_clicks"] == 25 and found[recent]["profile_clicks"] == 6
    assert found[recent]["impressions"] == 1000  # organic, not the public estimate
    assert "link_clicks" not in found[old] and found[old]["impressions"] == 900
    for figures in found.values():
        assert {"likes", "reposts", "replies", "quotes", "saves"} <= set(figures)
        assert not {"like_count", "retweet_count", "repost_count"} & set(figures)


def test_a_post_refused_the_private_figures_is_asked_again_for_the_public(fake: FakeX) -> None:
    theirs = _post_id(timedelta(days=1), 1)  # young, but X does not count it as the account's
    fake.metrics = {theirs: _figures(1, author="9876543210")}
    with opened(fake.connector()) as connector:
        found = _by_post(connector.post_metrics([PublishedRef(theirs)]))
    assert found[theirs]["likes"] == 12 and "link_clicks" not in found[theirs]
    assert [t for _m, t in fake.requests].count("/2/tweets") == 2


def test_the_accounts_figures(fake: FakeX) -> None:
    with opened(fake.connector()) as connector:
        rows = {row.metric: row.value for row in connector.channel_metrics()}
    assert rows == {
        "followers": 1520,
        "following_count": 88,
        "post_count": 431,
        "listed_count": 7,
    }


def test_budgets_are_reported_per_family_with_the_24_hour_limits(fake: FakeX) -> None:
    reset = int(time.time()) + 600
    fake.rate_headers = {
        "x-rate-limit-limit": "180",
        "x-rate-limit-remaining": "170",
        "x-rate-limit-reset": str(reset),
    }
    fake.daily_headers = {
        "x-user-limit-24hour-limit": "100",
        "x-user-limit-24hour-remaining": "97",
        "x-user-limit-24hour-reset": str(reset + 80_000),
    }
    fake.receive("@chaicorner hi")
    kept: list = []
    connector = fake.connector()
    connector.context = ConnectorContext(
        **{**connector.context.__dict__, "keep_budgets": kept.extend}
    )
    with opened(connector):
        assert connector.rate_budgets() == []  # nothing said yet
        connector.fetch_inbox(None)
        connector.publish(OutgoingPost("hello"), idempotency_key="k1")
    budgets = {budget.name: budget for budget in kept}
    mentions = budgets["GET /2/users/:id/mentions"]
    assert (mentions.remaining, mentions.limit) == (170, 180)
    assert mentions.resets_at == datetime.fromtimestamp(reset, UTC)
    daily = budgets["POST /2/tweets (24-hour, user)"]
    assert (daily.remaining, daily.limit) == (97, 100)
