"""The inbox with a million messages: filtered list and full-text search, p50/p95 per request.

Fills a fresh database (SQLite by default; DATABASE_URL for PostgreSQL) with N messages in
conversations of 1-5 messages, texts drawn from the labelled social posts in ../shared/data
(13 language sets), then requests the inbox page as an agent would: the default list, filtered
lists, and searches. The last line is one JSON object.

Response deadlines are set as ingestion sets them (15 minutes in business hours 09:00-18:00, so
everything received at night shares the next morning's deadline), except for one conversation in
ten, left without one as conversations stored before targets existed are. --reuse measures the
database filled by an earlier run (same DATABASE_URL or KALRAV_DATA_DIR) without filling it again.
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
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-scale-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
BATCH = 5000


def texts() -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted(SHARED.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append((row["text"], row["language"], row["label"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="measure an earlier run's data")
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from kalrav.accounts.models import User
    from kalrav.channels.models import Channel
    from kalrav.inbox import planner
    from kalrav.inbox.models import Conversation, Message
    from kalrav.inbox.sla import calendar as sla
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor
    from kalrav.workspaces.models import Member, Workspace

    random.seed(7)
    calendar = sla.BusinessCalendar.from_settings(
        "UTC", {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    )
    workspace = (
        Workspace.objects.filter(name="Scale").order_by("-id").first() if options.reuse else None
    )
    if workspace is not None:
        channels = list(Channel.objects.filter(workspace=workspace).order_by("id"))
        agent = Member.objects.filter(workspace=workspace, role="agent").get().user
        made = Message.objects.filter(conversation__workspace=workspace).count()
        conversation_number = Conversation.objects.filter(workspace=workspace).count()
        fill_seconds = 0.0
    else:
        pool = texts()
        owner = User.objects.create_user(f"scale{time.time_ns()}@example.test", "scale-pass-123")
        workspace = services.create_workspace(owner, Actor(user=owner), name="Scale")
        channels = [
            Channel.objects.create(workspace=workspace, network="bluesky", name=f"Channel {i}")
            for i in range(5)
        ]
        agent = User.objects.create_user(f"agent{time.time_ns()}@example.test", "scale-pass-123")
        Member.objects.create(workspace=workspace, user=agent, role="agent")

        started = time.monotonic()
        now = timezone.now()
        made = 0
        conversation_number = 0
        states = ["new", "open", "pending", "resolved", "resolved", "resolved", "spam"]
        while made < options.messages:
            with transaction.atomic():
                conversations = []
                sizes = []
                while sum(sizes) < BATCH and made + sum(sizes) < options.messages:
                    conversation_number += 1
                    text, language, label = random.choice(pool)
                    size = random.randint(1, 5)
                    sizes.append(size)
                    last = now - timedelta(minutes=conversation_number)
                    received = last - timedelta(minutes=random.randint(0, 120))
                    due = sla.deadline(received, 15, calendar) if random.random() > 0.1 else None
                    conversations.append(Conversation(
                        workspace=workspace, channel=random.choice(channels), root_remote_id=f"c{conversation_number}",
                        kind="comment", author_handle=f"user{random.randint(1, 50000)}", author_name="", excerpt=text[:280],
                        state=random.choice(states), priority=random.choice([1, 1, 1, 2]), language=language,
                        sentiment=label, last_message_at=last, received_at=received, first_response_due=due,
                    ))  # fmt: skip
                Conversation.objects.bulk_create(conversations)
                created = list(
                    Conversation.objects.filter(workspace=workspace).order_by("-id")[
                        : len(conversations)
                    ]
                )[::-1]
                messages = []
                for conversation, size in zip(created, sizes, strict=True):
                    for part in range(size):
                        text, language, label = random.choice(pool)
                        messages.append(Message(
                            conversation=conversation, channel_id=conversation.channel_id, remote_id=f"{conversation.root_remote_id}-{part}",
                            kind="comment", text=text, created_at=now, language=language, sentiment=label,
                        ))  # fmt: skip
                Message.objects.bulk_create(messages)
                made += len(messages)
            print(f"\r{made:,} messages", end="", flush=True)
        fill_seconds = time.monotonic() - started
        print(f"\nfilled in {fill_seconds:.0f} s")
    # Planner statistics, as autovacuum (PostgreSQL) and the hourly task (SQLite) keep them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    planner.refresh_statistics()

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    base = f"/w/{workspace.slug}/inbox/"
    cases = {
        "list (to do)": {},
        "filtered (channel, negative)": {"channel": str(channels[1].pk), "sentiment": "negative"},
        "filtered (resolved, page 5)": {"state": "resolved", "page": "5"},
        "sorted by time left": {"sort": "due"},
        "search one word": {"q": "delivery"},
        "search two words": {"q": "good morning"},
        "search Bengali": {"q": "ভালো"},
        "search Greek": {"q": "κυβέρνηση"},
    }
    results = {}
    for name, params in cases.items():
        client.get(base, params)
        samples = []
        for _ in range(options.rounds):
            begin = time.perf_counter()
            response = client.get(base, params, HTTP_HX_REQUEST="true")
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200
        samples.sort()
        results[name] = {
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        }
        print(
            f"{name:32} p50 {results[name]['p50_ms']:8.1f} ms   p95 {results[name]['p95_ms']:8.1f} ms"
        )
    print(json.dumps({
        "benchmark": "inbox_scale", "database": connection.vendor, "messages": made, "conversations": conversation_number,
        "fill_seconds": round(fill_seconds), "requests": results, "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
