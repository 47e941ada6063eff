"""The response-time report over 200,000 conversations: the report function and the report page.

Fills a fresh database (SQLite by default; DATABASE_URL for PostgreSQL) with N conversations
received over the last 4 weeks, stored in the order they arrive (plus a tenth as many older ones the range must skip), in 4 teams,
assigned to 6 members (some to nobody), on 3 networks, with a realistic mix: most answered, some
late, some unanswered and past due, some resolved, a few spam. Measured business and wall-clock
minutes are stored as the targets module stores them. Then times `sla_report.build` for the
default range and the report page (template rendering included). The last line is one JSON object.

--reuse measures the database filled by an earlier run (same DATABASE_URL or KALRAV_DATA_DIR);
--dump PATH writes the report as JSON, to compare two implementations on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as datetime_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "KALRAV_DATA_DIR" not in os.environ:  # a fresh SQLite database unless one is given
    os.environ["KALRAV_DATA_DIR"] = tempfile.mkdtemp(prefix="kalrav-sla-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
BATCH = 5000
NETWORKS = ("bluesky", "mastodon", "telegram")
# Rows as wide as real ones: the excerpt is most of a conversation's bytes.
TEXT = "Hello, my order has not arrived and the tracking page says nothing since Monday. " * 4


def conversation(random_, number, received, workspace, channels, teams, people, now):
    from kalrav.inbox.models import Conversation

    first_target = random_.choice((15, 30, 60))
    first_due = received + timedelta(minutes=first_target * random_.uniform(1, 3))
    resolution_due = received + timedelta(hours=random_.uniform(8, 48))
    state = random_.choices(("new", "open", "pending", "resolved", "spam"), (1, 2, 1, 6, 0.3))[0]
    row = Conversation(
        workspace=workspace, channel=random_.choice(channels), root_remote_id=f"c{number}",
        kind="comment", author_handle=f"user{random_.randint(1, 50000)}", state=state,
        author_name="Someone", excerpt=TEXT[: random_.randint(40, 280)],
        team=random_.choice(teams), assignee=random_.choice(people), received_at=received,
        last_message_at=received, first_response_due=first_due, resolution_due=resolution_due,
    )  # fmt: skip
    if state != "new" and random_.random() < 0.9:
        business = random_.lognormvariate(3, 1.2)
        wall = business * random_.uniform(1, 4)
        row.first_response_at = received + timedelta(minutes=wall)
        row.first_response_business_minutes = business
        row.first_response_wall_minutes = wall
    if state == "resolved":
        business = random_.lognormvariate(6, 1)
        wall = business * random_.uniform(1, 3)
        row.resolved_at = received + timedelta(minutes=wall)
        row.resolution_business_minutes = business
        row.resolution_wall_minutes = wall
    if row.first_response_at and row.first_response_at > now:
        row.first_response_at = row.first_response_business_minutes = None
        row.first_response_wall_minutes = None
    if row.resolved_at and row.resolved_at > now:
        row.resolved_at = row.resolution_business_minutes = row.resolution_wall_minutes = None
    return row


def fill(count: int):
    from django.db import transaction
    from django.utils import timezone

    from kalrav.accounts.models import User
    from kalrav.channels.models import Channel
    from kalrav.inbox.models import Conversation, Team
    from kalrav.inbox.sla import report as sla_report
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor
    from kalrav.workspaces.models import Member

    random_ = random.Random(7)
    owner = User.objects.create_user(f"sla{time.time_ns()}@example.test", "scale-pass-123")
    workspace = services.create_workspace(owner, Actor(user=owner), name="SLA scale")
    channels = [
        Channel.objects.create(workspace=workspace, network=network, name=f"{network} {i}")
        for network in NETWORKS
        for i in range(2)
    ]
    teams: list = [Team.objects.create(workspace=workspace, name=f"Team {i}") for i in range(4)]
    people: list = []
    for i in range(6):
        user = User.objects.create_user(f"agent{i}-{time.time_ns()}@example.test", "pass-123-x")
        Member.objects.create(workspace=workspace, user=user, role="agent")
        people.append(user)
    people.append(None)  # one conversation in seven is assigned to nobody
    now = timezone.now()
    first_day, _last = sla_report.default_range(workspace.time_zone)
    zone = ZoneInfo(workspace.time_zone)
    range_start = datetime.combine(first_day, datetime_time(0), tzinfo=zone)
    inside = (now - range_start).total_seconds() - 120
    # In the default range, away from both of its edges; a tenth as many in the 4 weeks before.
    times = [now - timedelta(seconds=60 + random_.uniform(0, inside)) for _ in range(count)]
    times += [
        range_start - timedelta(seconds=random_.uniform(60, 28 * 86400)) for _ in range(count // 10)
    ]
    times.sort()  # stored in the order they arrive, as ingestion stores them
    with transaction.atomic():
        for first in range(0, len(times), BATCH):
            batch = [
                conversation(random_, first + i, received, workspace, channels, teams, people, now)
                for i, received in enumerate(times[first : first + BATCH])
            ]
            Conversation.objects.bulk_create(batch)
            print(f"\r{first + len(batch):,} conversations", end="", flush=True)
    print()
    return workspace, owner


def as_dict(report) -> dict:
    def figures(item) -> dict:
        return {
            "key": item.key,
            "label": item.label,
            **{
                name: getattr(item, name)
                for name in (
                    "received",
                    "answered",
                    "first_within",
                    "first_missed",
                    "resolved",
                    "resolution_within",
                    "resolution_missed",
                )
            },
            "times": item.times,
        }

    return {
        "start": str(report.start),
        "end": str(report.end),
        "overall": figures(report.overall),
        "groups": {d: [figures(i) for i in items] for d, items in report.groups.items()},
    }


def timed(function, rounds: int) -> dict:
    """Wall-clock and this process's CPU time (on SQLite the database's work is in-process;
    on PostgreSQL the server's is not counted). On a shared machine CPU time is the steadier
    figure: wall-clock adds the time spent waiting for a core."""
    function()  # warm-up: connections, caches, planner statistics
    wall, cpu = [], []
    for _ in range(rounds):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - begin) * 1000)
        cpu.append((time.process_time() - begin_cpu) * 1000)
    wall.sort()
    return {
        "min_ms": round(wall[0], 1),
        "p50_ms": round(statistics.median(wall), 1),
        "max_ms": round(wall[-1], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure an earlier run's data")
    parser.add_argument("--dump", help="write the report as JSON to this file")
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from kalrav.inbox import planner
    from kalrav.inbox.models import Conversation
    from kalrav.inbox.sla import report as sla_report
    from kalrav.workspaces.models import Member, Workspace

    started = time.monotonic()
    found = Workspace.objects.filter(name="SLA scale").order_by("-id").first()
    if options.reuse and found is not None:
        workspace = found
        owner = Member.objects.get(workspace=found, role="owner").user
        fill_seconds = 0.0
    else:
        workspace, owner = fill(options.conversations)
        fill_seconds = time.monotonic() - started
        print(f"filled in {fill_seconds:.0f} s")
    # Planner statistics, as autovacuum (PostgreSQL) and the hourly task (SQLite) keep them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE inbox_conversation")
    planner.refresh_statistics()

    report = sla_report.build(workspace)
    in_range = report.overall.received
    total = Conversation.objects.filter(workspace=workspace).count()
    print(f"{in_range:,} conversations in range (spam left out), {total:,} in the workspace")
    if options.dump:
        Path(options.dump).write_text(json.dumps(as_dict(report), indent=1, sort_keys=True))

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    page = f"/w/{workspace.slug}/inbox/report/"

    def request() -> None:
        response = client.get(page)
        assert response.status_code == 200, response.status_code

    results = {
        "build": timed(lambda: sla_report.build(workspace), options.rounds),
        "page": timed(request, options.rounds),
    }
    for name, figures in results.items():
        print(
            f"{name:6} min {figures['min_ms']:8.1f} ms   p50 {figures['p50_ms']:8.1f} ms"
            f"   CPU p50 {figures['cpu_p50_ms']:8.1f} ms"
        )
    print(json.dumps({
        "benchmark": "sla_report", "database": connection.vendor, "conversations": total,
        "in_range": in_range, "fill_seconds": round(fill_seconds), "rounds": options.rounds,
        "cpus": os.cpu_count(), "load_average": [round(x, 1) for x in os.getloadavg()], **results,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
