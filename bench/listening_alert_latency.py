"""From the first post of a spike on Bluesky's reference network to Kalrav's alert, over N
spikes. Last line: one JSON object.

Runs the real pieces on the embedded default (SQLite): the local network (tests/peers,
`make peers`), a brand channel and its listening stream source followed as `kalrav listen`
follows it (`kalrav.listening.sources.streams.follow`: the connector's public stream from the
PDS firehose, prefiltered by the monitors' words, batched every 0.5 s into the listening intake,
which stores, matches and calls `kalrav.listening.alerts.on_mentions_stored`). For comparison
the same spikes are then found by the previous path, the channel's search polled once a second
(`--poll-spikes 0` skips it).

Each spike: a fresh monitor on a word of its own with a default spike rule (10 mentions in the
last 10 minutes, well above its baseline), then 12 posts from 4 accounts as fast as the network
takes them. Latency: from the moment the first post is sent to the alert's `fired_at`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
os.environ["KALRAV_ALLOW_PRIVATE_ADDRESSES"] = "true"  # the network runs on loopback

POLL_SECONDS = 1.0
POSTS_PER_SPIKE = 12


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * share) - 1]


def figures_of(latencies: list[float]) -> dict:
    return {
        "spikes": len(latencies),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(nearest_rank(latencies, 0.95), 2),
        "max_s": round(max(latencies), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spikes", type=int, default=20)
    parser.add_argument("--poll-spikes", type=int, default=5)
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kalrav.accounts.models import User
    from kalrav.channels import credentials as sealed
    from kalrav.channels.models import Channel, ChannelState
    from kalrav.channels.services import connector_for
    from kalrav.connectors.base import ConnectorContext, OutgoingPost, opened
    from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
    from kalrav.listening.alerts.models import Alert, AlertRule
    from kalrav.listening.intake import take
    from kalrav.listening.models import Mention, Monitor, Source, SourceKind
    from kalrav.listening.sources import streams
    from kalrav.listening.sources.network import collected, workspace_terms
    from kalrav.nlp.services import warm_up_in_background
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor
    from tests.peers import atproto_network

    with atproto_network.running() as network:
        owner = User.objects.create_user(f"bench{time.time_ns()}@example.test", "bench-pass-123")
        workspace = services.create_workspace(owner, Actor(user=owner), name="Bench")
        brand = network.create_account("brand")
        fans = [network.create_account(f"fan{i}") for i in range(4)]
        channel = Channel.objects.create(
            workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
            config={"service_url": network.pds_url, "handle": brand["handle"]},
            credentials=sealed.seal({"app_password": brand["password"]}),
        )  # fmt: skip

        def fan_connector(account) -> BlueskyConnector:
            return BlueskyConnector(
                ConnectorContext(
                    channel_id=account["handle"],
                    config={"service_url": network.pds_url, "handle": account["handle"]},
                    credentials={"app_password": account["password"]},
                )
            )

        posters = [fan_connector(account) for account in fans]
        warm_up_in_background(quality=False).join(timeout=60)

        def spike(n: int, settle: float) -> float:
            word = f"spike{uuid.uuid4().hex[:8]}"
            Monitor.objects.filter(workspace=workspace).update(is_active=False)
            monitor = Monitor.objects.create(workspace=workspace, name=word, query=word)
            AlertRule.objects.create(workspace=workspace, monitor=monitor, kind="spike")
            time.sleep(settle)  # the listener now listens (or searches) for the new word
            first = time.time()
            for i in range(POSTS_PER_SPIKE):
                posters[i % len(posters)].publish(
                    OutgoingPost(text=f"Is anyone else seeing {word}? post {i}"),
                    idempotency_key=f"{word}-{i}",
                )
            deadline = time.monotonic() + 60
            while not (alert := Alert.objects.filter(monitor=monitor).first()):
                if time.monotonic() > deadline:
                    raise SystemExit(f"spike {n} raised no alert within 60 s")
                time.sleep(0.05)
            latency = alert.fired_at.timestamp() - first
            print(f"spike {n}: {latency:.2f} s", file=sys.stderr)
            return latency

        # 1. The live stream, as `kalrav listen` follows it.
        source = Source.objects.create(
            workspace=workspace, kind=SourceKind.BLUESKY, channel=channel, title="Bluesky"
        )
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        listener = threading.Thread(
            target=lambda: loop.run_until_complete(streams.follow(source.pk, stop)), daemon=True
        )
        listener.start()
        streamed = [spike(n, streams.TERMS_SECONDS * 1.5) for n in range(options.spikes)]
        loop.call_soon_threadsafe(stop.set)
        listener.join(timeout=10)
        stored = Mention.objects.filter(source=source).count()
        source.refresh_from_db()

        # 2. The previous path for comparison: the channel's search polled every second.
        polled: list[float] = []
        polls: list[float] = []
        if options.poll_spikes:
            searched = Source.objects.create(
                workspace=workspace, kind=SourceKind.NETWORK, channel=channel, title="Search"
            )
            halt = threading.Event()

            def poll() -> None:
                with opened(connector_for(channel)) as connector:
                    while not halt.is_set():
                        began = time.monotonic()
                        for term in workspace_terms(workspace.pk):
                            page = connector.search(term, None)
                            items = [collected(item, "bluesky") for item in page.items]
                            take(workspace, searched, items)
                        polls.append(time.monotonic() - began)
                        halt.wait(max(0.0, POLL_SECONDS - (time.monotonic() - began)))

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            polled = [spike(n, POLL_SECONDS * 1.5) for n in range(options.poll_spikes)]
            halt.set()
            poller.join(timeout=10)

    figures = {
        "benchmark": "listening_alert_latency",
        **figures_of(streamed),
        "posts_per_spike": POSTS_PER_SPIKE,
        "stream_mentions_stored": stored,
        "stream_reconnects": streams.reconnects(source),
        "batch_every_s": streams.FLUSH_SECONDS,
        "terms_refresh_s": streams.TERMS_SECONDS,
        "path": "Bluesky reference network PDS firehose (subscribeRepos, SDK client + CAR) -> "
        "PublicStreamer prefilter -> kalrav.listening.sources.streams (0.5 s batches) -> "
        "listening intake -> on_mentions_stored -> alert (SQLite)",
        "polling": {
            **(figures_of(polled) if polled else {"spikes": 0}),
            "poll_interval_s": POLL_SECONDS,
            "median_poll_s": round(statistics.median(polls), 3) if polls else None,
            "path": "searchPosts polled every 1 s -> intake -> on_mentions_stored -> alert",
        },
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
