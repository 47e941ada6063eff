"""From the moment another account replies on Bluesky's reference network to the moment the reply
is in Kalrav's inbox (by stream), over N replies. Last line: one JSON object.

Runs the real pieces: the local network (tests/peers, `make peers`), a fresh SQLite database,
the Bluesky connector's firehose stream and the inbox's ingestion with language and sentiment.
`--load N` keeps N processes busy on the processor meanwhile (the machine Kalrav ships to is
busy), and the figures say whether the quality sentiment path was on: it runs after the message
is stored, in the worker, so a message is visible without waiting for it. The sign-ins the
network answered are counted too (one per account is the goal).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
os.environ["KALRAV_ALLOW_PRIVATE_ADDRESSES"] = "true"  # the network runs on loopback


def _burn(stop) -> None:
    """Background load: one busy process, like another service on the same machine."""
    while not stop.is_set():
        sum(i * i for i in range(20_000))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--load", type=int, default=0, help="busy processes running meanwhile")
    options = parser.parse_args()
    stop_load = multiprocessing.Event()
    burners = [
        multiprocessing.Process(target=_burn, args=(stop_load,)) for _ in range(options.load)
    ]
    for burner in burners:
        burner.start()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kalrav.accounts.models import User
    from kalrav.channels import credentials as sealed
    from kalrav.channels.models import Channel, ChannelState
    from kalrav.connectors.base import ConnectorContext, OutgoingPost
    from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
    from kalrav.inbox.intake import streams
    from kalrav.inbox.models import Message
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor
    from tests.peers import atproto_network

    with atproto_network.running() as network:
        owner = User.objects.create_user(f"bench{time.time_ns()}@example.test", "bench-pass-123")
        workspace = services.create_workspace(owner, Actor(user=owner), name="Bench")
        brand, fan = network.create_account("brand"), network.create_account("fan")

        def connector(account) -> BlueskyConnector:
            context = ConnectorContext(
                channel_id=account["handle"],
                config={"service_url": network.pds_url, "handle": account["handle"]},
                credentials={"app_password": account["password"]},
            )
            return BlueskyConnector(context)

        channel = Channel.objects.create(
            workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
            config={"service_url": network.pds_url, "handle": brand["handle"]},
            credentials=sealed.seal({"app_password": brand["password"]}),
        )  # fmt: skip
        post = connector(brand).publish(
            OutgoingPost(text="Tell us what you think!"), idempotency_key="bench-post"
        )
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        listener = threading.Thread(
            target=lambda: loop.run_until_complete(streams.follow(channel.pk, stop)), daemon=True
        )
        # As `kalrav listen` does: the models load beside the stream's start, not on its first item.
        from kalrav.nlp.services import warm_up_in_background

        warm_up_in_background(quality=False).join(timeout=60)
        listener.start()
        time.sleep(1.5)
        fan_connector = connector(fan)
        latencies = []
        for n in range(options.replies):
            text = f"Reply number {n}: the tea was lovely"
            sent = time.monotonic()
            fan_connector.publish(
                OutgoingPost(text=text, reply_to=post), idempotency_key=f"bench-reply-{n}"
            )
            deadline = sent + 30
            while not Message.objects.filter(channel=channel, text=text).exists():
                if time.monotonic() > deadline:
                    raise SystemExit(f"reply {n} did not arrive within 30 s")
                time.sleep(0.01)
            latencies.append(time.monotonic() - sent)
        loop.call_soon_threadsafe(stop.set)
        listener.join(timeout=10)
        sessions = network.session_calls()
    stop_load.set()
    for burner in burners:
        burner.join(timeout=10)
    from kalrav.nlp.services import inbox_uses_quality

    latencies.sort()
    figures = {
        "benchmark": "inbox_latency",
        "replies": len(latencies),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(latencies[int(len(latencies) * 0.95) - 1], 3),
        "max_s": round(latencies[-1], 3),
        "path": "Bluesky reference network firehose -> kalrav listen -> inbox (SQLite)",
        "background_processes": options.load,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "quality_path": "after store (worker)" if inbox_uses_quality() else "off",
        "sign_ins": sessions.get("com.atproto.server.createSession", 0),
        "refreshes": sessions.get("com.atproto.server.refreshSession", 0),
    }
    print(
        f"p50 {figures['p50_s']} s, p95 {figures['p95_s']} s, max {figures['max_s']} s over {len(latencies)} replies"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
