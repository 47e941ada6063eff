"""Insights: each post's figures from GET /2/tweets, the account's from GET /2/users/me.

X gives the private figures (non_public_metrics, organic_metrics: impressions, link and profile
clicks) only for the account's own posts less than 30 days old; asked for others, it answers
with an error for the whole batch. A post's age is in its id (a snowflake), so the batch is split
before asking: recent posts with the private figures, older ones with the public ones only, and
any post X still refuses the private figures for is asked again with the public ones.
Each figure is named as X names it; `repost_count` keeps X's older name `retweet_count`, which is
what the organic figures call it, so one figure has one name whatever the post's age.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kalrav.connectors.base import MetricRow, PublishedRef
from kalrav.connectors.declared import metrics
from kalrav.connectors.networks.x import client

PUBLIC = "public_metrics"
PRIVATE = "public_metrics,non_public_metrics,organic_metrics"
PRIVATE_FOR = timedelta(days=30)
# A little short of 30 days: a post that turns 30 between the split and X's answer is asked
# with the public figures only.
PRIVATE_MARGIN = timedelta(hours=1)
BATCH = 100
TWITTER_EPOCH_MS = 1288834974657
# X's names for figures Kalrav adds up across networks (kalrav.connectors.declared.metrics); the others
# keep X's own name. X's v2 answers call reposts `retweet_count` or `repost_count` by version.
RENAMED = {
    "impression_count": metrics.IMPRESSIONS,
    "like_count": metrics.LIKES,
    "retweet_count": metrics.REPOSTS,
    "repost_count": metrics.REPOSTS,
    "reply_count": metrics.REPLIES,
    "quote_count": metrics.QUOTES,
    "bookmark_count": metrics.SAVES,
    "url_link_clicks": metrics.LINK_CLICKS,
    "user_profile_clicks": metrics.PROFILE_CLICKS,
}
ACCOUNT_RENAMED = {"followers_count": metrics.FOLLOWERS}
# Of the private groups, the figures X counts there and nowhere else, or counts better there.
FROM_PRIVATE = (
    "impression_count",
    "url_link_clicks",
    "user_profile_clicks",
)
ACCOUNT = ("followers_count", "following_count", "post_count", "listed_count", "like_count")


def posted_at(post_id: str) -> datetime | None:
    if not post_id.isdigit():
        return None
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def post_metrics(api: client.XApi, refs: Sequence[PublishedRef], now: datetime) -> list[MetricRow]:
    ids = list(dict.fromkeys(ref.remote_id for ref in refs if ref.remote_id.isdigit()))
    recent: list[str] = []
    older: list[str] = []
    for post_id in ids:
        made = posted_at(post_id)
        young = made is not None and now - made < PRIVATE_FOR - PRIVATE_MARGIN
        (recent if young else older).append(post_id)
    rows: list[MetricRow] = []
    for start in range(0, len(recent), BATCH):
        batch = recent[start : start + BATCH]
        found, refused = _lookup(api, batch, PRIVATE)
        rows.extend(_rows(found, now))
        older.extend(post_id for post_id in batch if post_id in refused)
    for start in range(0, len(older), BATCH):
        found, _refused = _lookup(api, older[start : start + BATCH], PUBLIC)
        rows.extend(_rows(found, now))
    return rows


def _lookup(
    api: client.XApi, ids: list[str], fields: str
) -> tuple[list[Mapping[str, Any]], set[str]]:
    """The posts found, and the ids X answered with an error for (deleted, or not the
    account's own for the private figures)."""
    answer = api.call("GET", "/2/tweets", params={"ids": ",".join(ids), "post.fields": fields})
    refused = {
        str(error.get("resource_id") or error.get("value") or "")
        for error in answer.get("errors") or ()
    }
    return list(answer.get("data") or ()), refused


def _rows(posts: list[Mapping[str, Any]], now: datetime) -> list[MetricRow]:
    rows: list[MetricRow] = []
    for post in posts:
        figures: dict[str, int | float] = {}
        for name, value in (post.get("public_metrics") or {}).items():
            figures[RENAMED.get(name, name)] = value
        for group in ("organic_metrics", "non_public_metrics"):
            for name, value in (post.get(group) or {}).items():
                if name in FROM_PRIVATE:
                    figures[RENAMED.get(name, name)] = value
        rows.extend(
            MetricRow(metric=name, value=value, measured_at=now, remote_id=str(post["id"]))
            for name, value in figures.items()
            if isinstance(value, int | float)
        )
    return rows


def channel_metrics(api: client.XApi, now: datetime) -> list[MetricRow]:
    answer = api.call("GET", "/2/users/me", params={"user.fields": "public_metrics"})
    figures = ((answer.get("data") or {}).get("public_metrics")) or {}
    return [
        MetricRow(metric=ACCOUNT_RENAMED.get(name, name), value=figures[name], measured_at=now)
        for name in ACCOUNT
        if isinstance(figures.get(name), int | float)
    ]
