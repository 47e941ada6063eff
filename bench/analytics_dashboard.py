"""The analytics dashboard on a year of 2,000 channels: about 10 million rollup rows, then the
dashboard's queries many times (p50/p95 each, and the whole page), then the collection of
50,000 posts' figures from a simulated network with a rate budget.

What is generated, and why there: dashboards read only the rollups (kalrav/analytics/rollups),
so the rows the dashboard meets are those: per channel and day of publication 7 figures
(likes, reposts, replies, views and Kalrav's @posts, @engagements, @impressions), the same per
hour, one PostFigures row per post (one post a channel a day), each channel's followers per day;
plus the inbox conversations (response times), tracked links with clicks and conversions. The
raw readings behind them are not generated at that size: the third part measures the path from
readings to rollups.

SQLite by default in a fresh temporary data directory; PostgreSQL when DATABASE_URL is given
(rows go in with COPY there, executemany on SQLite). --reuse measures an earlier load again.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-dash-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")

PER_WORKSPACE = 50  # channels per workspace: an agency's bigger clients
NETWORKS = ("bluesky", "mastodon", "telegram", "sandbox")
TAGS = ("tea", "diwali", "recipe", "offer", "story")
RAW = ("likes", "reposts", "replies", "views")
BATCH = 50_000


class Loader:
    """Rows straight into tables: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def when(self, moment: datetime):
        return moment if self.postgres else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def day(self, value: date):
        return value if self.postgres else value.isoformat()

    def insert(self, table: str, columns: tuple[str, ...], rows) -> None:
        names = ", ".join(f'"{c}"' for c in columns)  # "values" is a keyword
        if self.postgres:
            with (
                self.connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    self.rows += 1
            return
        raw = self.connection.connection
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - our own names
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                raw.executemany(sql, batch)
                self.rows += len(batch)
                batch = []
        raw.executemany(sql, batch)
        self.rows += len(batch)

    def fix_sequences(self, tables: list[str]) -> None:
        if not self.postgres:
            return
        with self.connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )


def load(channel_count: int, days: int, today: date) -> dict:
    from django.db import connection, transaction

    from kalrav.channels.models import Channel
    from kalrav.workspaces.models import Workspace

    rng = random.Random(7)
    loader = Loader(connection)
    started = time.perf_counter()
    if not loader.postgres:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    workspaces = [
        Workspace.objects.create(name=f"Bench {n}", slug=f"bench-{n}", time_zone="Asia/Kolkata")
        for n in range(-(-channel_count // PER_WORKSPACE))
    ]
    channels = Channel.objects.bulk_create(
        Channel(workspace=workspaces[n // PER_WORKSPACE], network=NETWORKS[n % len(NETWORKS)],
                name=f"Channel {n}", state="active")
        for n in range(channel_count)
    )  # fmt: skip
    first = today - timedelta(days=days - 1)
    posts, figures, by_day, by_hour, audience = [], [], [], [], []
    post_id = 0
    for channel in channels:
        followers = rng.randrange(500, 50_000)
        for d in range(days):
            day = first + timedelta(days=d)
            post_id += 1
            hour = rng.randrange(24)
            at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC)
            views = rng.randrange(100, 20_000)
            values = {"likes": rng.randrange(0, views // 20 + 1), "reposts": rng.randrange(0, 40),
                      "replies": rng.randrange(0, 30), "views": views}  # fmt: skip
            engaged = values["likes"] + values["reposts"] + values["replies"]
            tags = rng.sample(TAGS, 2)
            posts.append((post_id, channel.workspace_id, channel.pk, at, tags))
            figures.append((post_id, channel, at, day, values, engaged, views, tags))
            for metric, value in (*values.items(), ("@posts", 1), ("@engagements", engaged),
                                  ("@impressions", views)):  # fmt: skip
                by_day.append((channel.pk, loader.day(day), metric, value))
                by_hour.append((channel.pk, loader.when(at.replace(minute=0)), metric, value))
            followers += rng.randrange(-5, 40)
            audience.append((channel.pk, loader.day(day), "followers", followers,
                             loader.when(at)))  # fmt: skip
    with transaction.atomic():
        loader.insert(
            "publishing_post",
            ("id", "workspace_id", "title", "text", "campaign", "tags", "notes", "created_at",
             "updated_at"),
            ((pid, ws, f"Post {pid}", "Chai at six", "Winter tea" if pid % 7 == 0 else "",
              json.dumps(tags), "", loader.when(at), loader.when(at))
             for pid, ws, _ch, at, tags in posts),
        )  # fmt: skip
        loader.insert(
            "publishing_variant",
            ("id", "post_id", "channel_id", "text", "options", "state", "idempotency_key",
             "remote_id", "remote_url", "remote_extra", "published_at", "claimed_by",
             "last_error", "created_at", "updated_at"),
            ((pid, pid, ch, "Chai at six", '{"language": "bn"}', "published", f"bench-{pid}",
              f"r{pid}", "", "{}", loader.when(at), "", "", loader.when(at), loader.when(at))
             for pid, _ws, ch, at, _tags in posts),
        )  # fmt: skip
        loader.insert(
            "analytics_postfigures",
            ("id", "variant_id", "post_id", "workspace_id", "channel_id", "network", "language",
             "campaign", "tags", "published_at", "day", "values", "read_at", "engagements",
             "impressions"),
            ((pid, pid, pid, ch.workspace_id, ch.pk, ch.network, "bn",
              "Winter tea" if pid % 7 == 0 else "", "|" + "|".join(tags) + "|",
              loader.when(at), loader.day(day), json.dumps(values), "{}", engaged, views)
             for pid, ch, at, day, values, engaged, views, tags in figures),
        )  # fmt: skip
        loader.insert("analytics_channelday", ("channel_id", "day", "metric", "value"), by_day)
        loader.insert("analytics_channelhour", ("channel_id", "hour", "metric", "value"), by_hour)
        loader.insert(
            "analytics_audienceday",
            ("channel_id", "day", "metric", "value", "measured_at"),
            audience,
        )
        _inbox_and_links(loader, rng, channels, first, days)
    loader.fix_sequences(
        ["publishing_post", "publishing_variant", "analytics_postfigures", "analytics_channelday",
         "analytics_channelhour", "analytics_audienceday", "inbox_conversation",
         "analytics_trackedlink", "analytics_click", "analytics_conversion"]
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rollup_rows = len(by_day) + len(by_hour) + len(figures) + len(audience)
    return {"rows": loader.rows, "rollup_rows": rollup_rows,
            "load_seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def _inbox_and_links(loader: Loader, rng, channels, first: date, days: int) -> None:
    """Conversations with a first response (5 a channel a week) and a tracked link per channel
    with a click by a person a day and a conversion a week."""
    conversations, links, clicks, conversions = [], [], [], []
    number = 0
    for channel in channels:
        links.append((channel.pk, channel.workspace_id, channel.pk, "", f"b{channel.pk}",
                      "https://shop.example/", "https://shop.example/?utm_source=x",
                      loader.when(datetime.combine(first, datetime.min.time(), UTC))))  # fmt: skip
        for d in range(days):
            at = datetime.combine(first + timedelta(days=d), datetime.min.time(), UTC)
            number += 1
            clicks.append((number, channel.pk, f"c{number}", loader.when(at + timedelta(hours=9)),
                           "v", False, ""))  # fmt: skip
            if d % 7 == 0:
                conversions.append((number, channel.workspace_id, "sale", f"e{number}", "web",
                                    loader.when(at + timedelta(hours=10)),
                                    loader.when(at + timedelta(hours=10)), channel.pk,
                                    channel.pk, "", ""))  # fmt: skip
            if d % 7 < 5:
                minutes = rng.lognormvariate(3, 1)
                received = at + timedelta(hours=rng.randrange(24))
                conversations.append((number, channel.workspace_id, channel.pk, f"root{number}",
                                      "comment", "", "", "", "", "", "", "", "open", 2, "[]",
                                      loader.when(received),
                                      loader.when(received + timedelta(minutes=minutes)),
                                      minutes, loader.when(received), True))  # fmt: skip
    loader.insert(
        "analytics_trackedlink",
        (
            "id",
            "workspace_id",
            "channel_id",
            "campaign",
            "code",
            "target",
            "destination",
            "created_at",
        ),
        links,
    )
    loader.insert(
        "analytics_click",
        ("id", "link_id", "click_id", "at", "visitor", "automated", "referrer_host"),
        clicks,
    )
    loader.insert(
        "analytics_conversion",
        ("id", "workspace_id", "kind", "event_id", "source", "occurred_at", "received_at",
         "link_id", "channel_id", "currency", "campaign"),
        conversions,
    )  # fmt: skip
    loader.insert(
        "inbox_conversation",
        ("id", "workspace_id", "channel_id", "root_remote_id", "kind", "author_remote_id",
         "author_handle", "author_name", "author_url", "excerpt", "language", "sentiment",
         "state", "priority", "tags", "received_at", "first_response_at", "first_response_wall_minutes",
         "last_message_at", "unread"),
        conversations,
    )  # fmt: skip


def measure(rounds: int, today: date) -> dict:
    import zoneinfo

    from django.db import reset_queries
    from django.test import Client

    from kalrav.accounts.models import User
    from kalrav.analytics.campaigns.models import Campaign
    from kalrav.analytics.dashboards import queries
    from kalrav.channels.models import Channel
    from kalrav.workspaces.models import Member, Workspace

    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    workspaces = list(Workspace.objects.filter(slug__startswith="bench-").order_by("pk"))
    rng = random.Random(11)

    def filters(workspace, days: int, **extra) -> queries.Filters:
        return queries.Filters(workspace_id=workspace.pk, zone=zone, end=today,
                               start=today - timedelta(days=days - 1), **extra)  # fmt: skip

    def a_channel(workspace) -> int:
        return (
            Channel.objects.filter(workspace=workspace)
            .order_by("?")
            .values_list("pk", flat=True)[0]
        )

    campaign_of = {}
    for workspace in workspaces:
        campaign_of[workspace.pk] = Campaign.objects.get_or_create(
            workspace=workspace, name="Winter tea",
            defaults={"starts_on": today - timedelta(days=90), "ends_on": today,
                      "tags": ["diwali"]},
        )[0]  # fmt: skip
    cases = {
        "totals_28d_workspace": lambda w: queries.totals(filters(w, 28)),
        "totals_28d_previous": lambda w: queries.totals(filters(w, 28).previous()),
        "over_time_90d_workspace": lambda w: queries.over_time(filters(w, 90)),
        "over_time_7d_hourly": lambda w: queries.over_time(filters(w, 7)),
        "over_time_90d_channel": lambda w: queries.over_time(filters(w, 90, channel_id=a_channel(w))),
        "over_time_90d_network": lambda w: queries.over_time(filters(w, 90, network="mastodon")),
        "totals_90d_tag": lambda w: queries.totals(filters(w, 90, tag="diwali")),
        "over_time_90d_campaign": lambda w: queries.over_time(filters(w, 90, campaign=campaign_of[w.pk])),
        "totals_90d_language": lambda w: queries.totals(filters(w, 90, language="bn")),
        "audience_90d": lambda w: queries.audience(filters(w, 90)),
        "top_posts_90d": lambda w: queries.ranked_posts(filters(w, 90), best=True),
        "bottom_posts_90d": lambda w: queries.ranked_posts(filters(w, 90), best=False),
        "links_90d": lambda w: queries.link_series(filters(w, 90)),
        "response_times_90d": lambda w: queries.response_times(filters(w, 90)),
        "totals_365d_workspace": lambda w: queries.totals(filters(w, 365)),
    }  # fmt: skip
    results = {}
    for name, run in cases.items():
        run(workspaces[0])  # warm-up
        spent = []
        for _ in range(rounds):
            workspace = rng.choice(workspaces)
            started = time.perf_counter()
            run(workspace)
            spent.append(1000 * (time.perf_counter() - started))
        results[name] = _summary(spent)
    # The whole page, as a member sees it (all of the above plus templates).
    workspace = workspaces[0]
    user = User.objects.filter(email="bench@kalrav.local").first() or User.objects.create_user(
        email="bench@kalrav.local",
        password="bench-only",  # noqa: S106
    )
    for each in workspaces:
        Member.objects.get_or_create(workspace=each, user=user, defaults={"role": "analyst"})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    pages = {}
    for label, query in (("page_28d", "?period=28"), ("page_90d_tag", "?period=90&tag=diwali")):
        client.get(f"/w/{workspace.slug}/analytics/{query}")
        spent = []
        for _ in range(max(5, rounds // 3)):
            each = rng.choice(workspaces)
            started = time.perf_counter()
            answer = client.get(f"/w/{each.slug}/analytics/{query}")
            spent.append(1000 * (time.perf_counter() - started))
            assert answer.status_code == 200 and b"data-chart" in answer.content
            reset_queries()
        pages[label] = _summary(spent)
    return {"queries": results, "pages": pages}


def _summary(spent: list[float]) -> dict:
    ordered = sorted(spent)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)}  # fmt: skip


class SimulatedNetwork:
    """A network that gives figures for up to 25 posts a call and allows `budget` calls per
    channel per `window`, answering "rate limited" (and counting it) beyond: the weakest real
    budget Kalrav meets is Mastodon's 300 calls in 5 minutes per account."""

    def __init__(self, budget: int, window: timedelta, clock) -> None:
        self.budget, self.window, self.clock = budget, window, clock
        self.calls: dict[int, list[datetime]] = {}
        self.refused = 0
        self.total_calls = 0
        self.busiest = 0

    def connector(self, channel):
        network = self

        class Connector:
            def _spend(self) -> None:
                from kalrav.connectors.errors import RateLimited

                now = network.clock()
                recent = [t for t in network.calls.get(channel.pk, []) if now - t < network.window]
                if len(recent) >= network.budget:
                    network.refused += 1
                    raise RateLimited("budget spent", retry_after=network.window.total_seconds())
                recent.append(now)
                network.calls[channel.pk] = recent
                network.total_calls += 1
                network.busiest = max(network.busiest, len(recent))

            def post_metrics(self, refs):
                from kalrav.connectors.base import MetricRow

                self._spend()
                assert len(refs) <= 25
                now = network.clock()
                return [MetricRow(metric, (hash(ref.remote_id) + k) % 500, now, ref.remote_id)
                        for ref in refs for k, metric in enumerate(RAW)]  # fmt: skip

            def channel_metrics(self):
                from kalrav.connectors.base import MetricRow

                self._spend()
                return [MetricRow("followers", 1000, network.clock())]

        return Connector()


def collect(posts: int, channel_count: int, budget: int, window_minutes: int) -> dict:
    from kalrav.analytics.collection import services as collection
    from kalrav.analytics.models import MetricsSchedule, PostMetric
    from kalrav.channels import services as channel_services
    from kalrav.channels.models import Channel
    from kalrav.connectors.base import InsightsReader
    from kalrav.publishing.models import Post, Variant
    from kalrav.workspaces.models import Workspace

    # Only the simulated posts are due: the clock starts 100 days after the loaded year, past
    # collection's 90 days, so the year's posts are not read again.
    start = datetime(2027, 3, 17, 12, 0, tzinfo=UTC)
    now = [start]
    network = SimulatedNetwork(budget, timedelta(minutes=window_minutes), lambda: now[0])
    InsightsReader.register(type(network.connector(None)))  # type: ignore[attr-defined]
    channel_services.connector_for = network.connector  # the collection's only way out
    workspace = Workspace.objects.create(name="Collect", slug="bench-collect")
    channels = Channel.objects.bulk_create(
        Channel(workspace=workspace, network="sandbox", name=f"Sim {n}", state="active")
        for n in range(channel_count)
    )
    per_channel = posts // channel_count
    made = Post.objects.bulk_create(Post(workspace=workspace, title=f"p{n}") for n in range(posts))
    Variant.objects.bulk_create(
        Variant(post=post, channel=channels[n // per_channel % channel_count], state="published",
                remote_id=f"sim{post.pk}", published_at=start - timedelta(hours=1),
                options={"language": "en"})
        for n, post in enumerate(made)
    )  # fmt: skip
    ids = set(Variant.objects.filter(post__workspace=workspace).values_list("pk", flat=True))
    started, runs = time.perf_counter(), 0
    read = set()
    while len(read) < len(ids) and runs < 500:
        collection.collect(now[0])
        runs += 1
        read = set(
            PostMetric.objects.filter(variant__post__workspace=workspace)
            .values_list("variant_id", flat=True)
            .distinct()
        )
        now[0] += timedelta(minutes=5)  # the task runs every five minutes
    wall = time.perf_counter() - started
    return {
        "posts": len(ids), "channels": channel_count, "posts_read": len(read), "runs": runs,
        "simulated_minutes": runs * 5, "wall_seconds": round(wall, 1),
        "calls": network.total_calls, "budget": f"{budget} per {window_minutes} min per channel",
        "busiest_window_calls": network.busiest, "budget_refusals": network.refused,
        "readings": PostMetric.objects.filter(variant__post__workspace=workspace).count(),
        "schedules_left": MetricsSchedule.objects.filter(variant_id__in=ids).count(),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument(
        "--posts", type=int, default=50_000, help="collection: posts to read (0: skip it)"
    )
    parser.add_argument("--collect-channels", type=int, default=100)
    parser.add_argument("--budget", type=int, default=300, help="calls per window per channel")
    parser.add_argument("--window", type=int, default=5, help="the budget's window, minutes")
    parser.add_argument("--reuse", action="store_true", help="measure an earlier load again")
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    today = date(2026, 12, 7)
    from kalrav.workspaces.models import Workspace

    loaded = {"rows": 0, "rollup_rows": None, "load_seconds": 0.0}
    if not (options.reuse and Workspace.objects.filter(slug="bench-0").exists()):
        loaded = load(options.channels, options.days, today)
        print(f"loaded {loaded}", file=sys.stderr, flush=True)
    measured = measure(options.rounds, today)
    print(f"measured {json.dumps(measured)}", file=sys.stderr, flush=True)
    Workspace.objects.filter(slug="bench-collect").delete()
    collected = (
        collect(options.posts, options.collect_channels, options.budget, options.window)
        if options.posts
        else None  # --posts 0: the dashboard only
    )
    every = [v["p95_ms"] for v in measured["queries"].values()]
    print(json.dumps({
        "benchmark": "analytics_dashboard", "backend": connection.vendor,
        "channels": options.channels, "days": options.days, "rounds": options.rounds,
        **loaded, **measured, "worst_query_p95_ms": max(every),
        "worst_page_p95_ms": max(v["p95_ms"] for v in measured["pages"].values()),
        "collection": collected,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
