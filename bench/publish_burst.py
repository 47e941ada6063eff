"""Publishing burst: N variants due within the same minute, published through a loopback test
network that answers after 50 ms (or, with --network bluesky, Bluesky's reference network on
loopback, one account), by 2 `kalrav worker` processes on the embedded default (SQLite database,
SQLite queue). Prints how late each post reached the network (p50, p95, p99, max), variants per
second, duplicates and, on Bluesky, sign-ins and refreshes; the last line is one JSON object.

    .venv/bin/python bench/publish_burst.py --network bluesky --count 300 --spread 1

    .venv/bin/python bench/publish_burst.py --count 10000
    .venv/bin/python bench/publish_burst.py --count 10000 \
        --database-url postgres://postgres@127.0.0.1:5432/kalrav_bench_publish \
        --redis-url redis://127.0.0.1:6379/9

Workers run with tests/publish_kill_settings.py, which registers the loopback network; each
worker process publishes through its dispatcher (kalrav/publishing/delivery/dispatcher.py) with
`--threads` threads. Variants are scheduled the way the services do it. Lateness is measured from
each variant's scheduled time to the moment the network stored the post. A PostgreSQL database
named in --database-url is created for the run and dropped afterwards; a Redis queue is emptied.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed(channel_spec: dict, count: int, first_due: float, spread: float) -> None:
    """Run inside a Django process: `count` variants due from `first_due` over `spread` seconds,
    each scheduled the way the services do it (sweep.enqueue_if_soon after the commit), on one
    channel (`channel_spec`: network, config, credentials)."""
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from kalrav.accounts.models import User
    from kalrav.channels import credentials as sealed
    from kalrav.channels.models import Channel, ChannelState
    from kalrav.publishing.delivery import sweep
    from kalrav.publishing.models import Post, Variant, VariantState
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor

    user = User.objects.create_user("bench@example.test", "pw-Bench-1")
    workspace = services.create_workspace(user, Actor(user=user), name="Burst")
    channel = Channel.objects.create(
        workspace=workspace,
        network=channel_spec["network"],
        name="Burst",
        config=channel_spec["config"],
        credentials=sealed.seal(channel_spec.get("credentials") or {}),
        state=ChannelState.ACTIVE,
    )
    start = datetime.fromtimestamp(first_due, UTC)
    step = spread / max(count, 1)
    posts = Post.objects.bulk_create(
        (
            Post(workspace=workspace, title=f"Burst {n}", text=f"Burst post {n}")
            for n in range(count)
        ),
        batch_size=1000,
    )
    variants = Variant.objects.bulk_create(
        (
            Variant(
                post=post,
                channel=channel,
                text=post.text,
                state=VariantState.SCHEDULED,
                scheduled_at=start + timedelta(seconds=n * step),
            )
            for n, post in enumerate(posts)
        ),
        batch_size=1000,
    )
    for variant in variants:
        sweep.enqueue_if_soon(variant)


def published_times(env: dict) -> dict[str, float]:
    """When each variant's network call answered (what Kalrav recorded), by idempotency key:
    for a real network, where the stored time is not ours to read."""
    program = (
        "import django, json; django.setup();"
        "from kalrav.publishing.models import Variant;"
        "print(json.dumps({k: t.timestamp() for k, t in "
        "Variant.objects.exclude(published_at=None).values_list('idempotency_key', 'published_at')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def scheduled_times(env: dict) -> dict[str, float]:
    program = (
        "import django, json; django.setup();"
        "from kalrav.publishing.models import Variant;"
        "print(json.dumps({k: t.timestamp() for k, t in "
        "Variant.objects.values_list('idempotency_key', 'scheduled_at')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def _cpu_seconds(pid: int) -> float:
    """User and system time a process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextlib.contextmanager
def _database(url: str) -> Iterator[None]:
    """A PostgreSQL database of the run's own, dropped afterwards."""
    if not url:
        yield
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _queue(env: dict) -> Iterator[None]:
    """Empty a Redis queue of the run's own name afterwards, and the workers' heartbeat from
    the Redis cache (SQLite ones go with the data directory)."""
    try:
        yield
    finally:
        if env.get("REDIS_URL"):
            program = (
                "import django; django.setup(); from huey.contrib.djhuey import HUEY; HUEY.flush();"
                "from django.core.cache import cache; from kalrav.ops.tasks import HEARTBEAT_KEY;"
                "cache.delete(HEARTBEAT_KEY)"
            )
            subprocess.run([sys.executable, "-c", program], env=env, check=False)


class _Loopback:
    """The loopback test network (tests/peers/fake_network_server.py), answering after
    `latency`; it records when it stored each post."""

    name = "loopback"

    def __init__(self, latency: float) -> None:
        from tests.peers.fake_network_server import FakeNetwork

        self.network = FakeNetwork(latency=latency)

    def __enter__(self) -> _Loopback:
        self.network.__enter__()
        self.spec = {"network": "loopnet", "config": {"server_url": self.network.url}}
        return self

    def __exit__(self, *exc: object) -> None:
        self.network.__exit__(*exc)

    def published(self) -> int:
        return len(self.network.posts)

    def posts(self, env: dict) -> list[dict]:
        return list(self.network.posts.values())

    def requests(self) -> dict:
        return dict(self.network.requests)

    def sign_ins(self) -> dict[str, int] | None:
        return None


class _Bluesky:
    """Bluesky's reference network (tests/peers/atproto_network.py: PLC, PDS, AppView) and one
    account on it. A post's time is when its createRecord answered (Variant.published_at); the
    PDS counts sign-ins and refreshes (net.js)."""

    name = "bluesky"

    def __enter__(self) -> _Bluesky:
        import socket

        from tests.peers import atproto_network

        for variable in ("PLC_PORT", "PDS_PORT", "BSKY_PORT", "OZONE_PORT"):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                os.environ[variable] = str(probe.getsockname()[1])
        self._running = atproto_network.running()
        self.network = self._running.__enter__()
        self.account = self.network.create_account("burst")
        self.spec = {
            "network": "bluesky",
            "config": {"service_url": self.network.pds_url, "handle": self.account["handle"]},
            "credentials": {"app_password": self.account["password"]},
        }
        self.before = self.network.session_calls()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.__exit__(*exc)

    def _records(self) -> list[dict]:
        import httpx

        found: list[dict] = []
        cursor = None
        while True:
            answer = httpx.get(
                f"{self.network.pds_url}/xrpc/com.atproto.repo.listRecords",
                params={
                    "repo": self.account["did"],
                    "collection": "app.bsky.feed.post",
                    "limit": 100,
                    **({"cursor": cursor} if cursor else {}),
                },
                timeout=30,
            ).json()
            found.extend(answer.get("records", []))
            cursor = answer.get("cursor")
            if not cursor or not answer.get("records"):
                return found

    def published(self) -> int:
        return len(self._records())

    def posts(self, env: dict) -> list[dict]:
        answered = published_times(env)
        texts = [record["value"]["text"] for record in self._records()]
        # Timed entries from Kalrav's records, texts from the network's: texts are unique per
        # variant ("Burst post N"), so a post stored twice shows as a repeated text.
        return [{"key": key, "received_at": at} for key, at in answered.items()] + [
            {"text": text} for text in texts
        ]

    def requests(self) -> dict:
        return {}

    def sign_ins(self) -> dict[str, int] | None:
        after = self.network.session_calls()
        return {name: after[name] - self.before.get(name, 0) for name in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--network", choices=("loopback", "bluesky"), default="loopback")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="publishing threads per worker process (KALRAV_PUBLISH_CONCURRENCY)",
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL instead of SQLite")
    parser.add_argument("--redis-url", default="", help="a Redis queue instead of SQLite's")
    parser.add_argument("--latency", type=float, default=0.05, help="loopback answer time, s")
    parser.add_argument("--spread", type=float, default=60.0, help="due within this many s")
    parser.add_argument("--lead", type=float, default=0.0, help="s between seeding and first due")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--lease", type=int, default=45, help="publishing lease, s (production default: 45)"
    )
    parser.add_argument("--dump", default="", help="write each post's due and stored times here")
    parser.add_argument("--seed", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        spec, count, first_due, spread = args.seed
        seed(json.loads(spec), int(count), float(first_due), float(spread))
        return

    data = Path(tempfile.mkdtemp(prefix="kalrav-burst-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.publish_kill_settings",
        KALRAV_DATA_DIR=str(data),
        KALRAV_QUEUE_NAME=f"kalrav-burst-{uuid.uuid4().hex[:8]}",
        KALRAV_PUBLISH_CONCURRENCY=str(args.threads),
        KALRAV_PUBLISH_LEASE_SECONDS=str(args.lease),
        # The local Bluesky network listens on loopback, which Kalrav refuses by default.
        KALRAV_ALLOW_PRIVATE_ADDRESSES="true",
        PYTHONPATH=str(ROOT),
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    network: _Loopback | _Bluesky = (
        _Bluesky() if args.network == "bluesky" else _Loopback(args.latency)
    )
    with network, _database(args.database_url), _queue(env):
        subprocess.run([sys.executable, "-m", "kalrav", "migrate", "-v0"], env=env, check=True)
        # The workers run before anything is scheduled, as they do in production; the burst is
        # timed to start once seeding is done.
        log = open(data / "workers.log", "w")  # noqa: SIM115
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "kalrav", "worker", "--workers", "2"]
                + ([] if n == 0 else ["--no-periodic"]),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for n in range(args.processes)
        ]
        try:
            seeding_started = time.time()
            lead = args.lead or 20 + args.count / 400
            first_due = seeding_started + lead
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--seed",
                    json.dumps(network.spec),
                    str(args.count),
                    str(first_due),
                    str(args.spread),
                ],
                env=env,
                check=True,
            )
            seeded = time.time()
            if seeded > first_due:
                print(f"warning: seeding ended {seeded - first_due:.0f}s past the first due time")
            deadline = time.time() + lead + args.spread + args.timeout
            while network.published() < args.count and time.time() < deadline:
                time.sleep(0.5 if network.name == "loopback" else 2.0)
        finally:
            cpu = sum(_cpu_seconds(worker.pid) for worker in workers)
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
            log.close()
        due = scheduled_times(env)
        posts = network.posts(env)
        requests = network.requests()
        sessions = network.sign_ins()

    timed = [post for post in posts if "received_at" in post]
    lateness = [max(0.0, post["received_at"] - due[post["key"]]) for post in timed]
    if args.dump:
        rows = [(due[post["key"]], post["received_at"]) for post in timed]
        Path(args.dump).write_text(json.dumps(sorted(rows)))
    texts = [post["text"] for post in posts if "text" in post]
    duplicates = len(texts) - len(set(texts))
    resent = sum(1 for n in requests.values() if n > 1)
    span = max(p["received_at"] for p in timed) - min(due.values()) if timed else 0.0
    result = {
        "benchmark": "publish_burst",
        "network": network.name,
        "count": args.count,
        "published": len(texts),
        "processes": args.processes,
        "threads_per_process": args.threads,
        "latency_ms": round(args.latency * 1000) if network.name == "loopback" else None,
        "spread_s": args.spread,
        "lateness_p50_s": round(statistics.median(lateness), 3) if lateness else None,
        "lateness_p95_s": round(percentile(lateness, 95), 3) if lateness else None,
        "lateness_p99_s": round(percentile(lateness, 99), 3) if lateness else None,
        "lateness_max_s": round(max(lateness), 3) if lateness else None,
        "variants_per_s": round(len(timed) / span, 1) if span else None,
        "duplicates": duplicates,
        "resent_with_same_key": resent,
        "lease_s": args.lease,
        "worker_cpu_ms_per_variant": round(cpu * 1000 / len(timed), 2) if timed else None,
        "database": "postgresql" if args.database_url else "sqlite",
        "queue": "redis" if args.redis_url else "sqlite",
    }
    if sessions is not None:
        sign_ins = sessions.get("com.atproto.server.createSession", 0)
        result["sign_ins"] = sign_ins
        result["refreshes"] = sessions.get("com.atproto.server.refreshSession", 0)
        result["sign_ins_per_1000_posts"] = (
            round(sign_ins * 1000 / len(timed), 2) if timed else None
        )
    print(
        f"{len(texts)}/{args.count} published on {network.name}; lateness p50 "
        f"{result['lateness_p50_s']} s, p95 {result['lateness_p95_s']} s, max "
        f"{result['lateness_max_s']} s; {result['variants_per_s']} variants/s; "
        f"{duplicates} duplicates"
        + (f"; {result['sign_ins']} sign-ins" if sessions is not None else "")
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
