"""Publishing burst: N variants due within the same minute, published through a loopback test
network that answers after 50 ms, by 2 `kalrav worker` processes on the embedded default
(SQLite database, SQLite queue). Prints how late each post reached the network (p50, p99, max),
variants per second and duplicates; the last line is one JSON object.

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


def seed(server_url: str, count: int, first_due: float, spread: float) -> None:
    """Run inside a Django process: `count` variants due from `first_due` over `spread` seconds,
    each scheduled the way the services do it (sweep.enqueue_if_soon after the commit)."""
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from kalrav.accounts.models import User
    from kalrav.channels.models import Channel, ChannelState
    from kalrav.publishing.delivery import sweep
    from kalrav.publishing.models import Post, Variant, VariantState
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor

    user = User.objects.create_user("bench@example.test", "pw-Bench-1")
    workspace = services.create_workspace(user, Actor(user=user), name="Burst")
    channel = Channel.objects.create(
        workspace=workspace,
        network="loopnet",
        name="Loopback",
        config={"server_url": server_url},
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="publishing threads per worker process (KALRAV_PUBLISH_CONCURRENCY)",
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL instead of SQLite")
    parser.add_argument("--redis-url", default="", help="a Redis queue instead of SQLite's")
    parser.add_argument("--latency", type=float, default=0.05, help="network answer time, s")
    parser.add_argument("--spread", type=float, default=60.0, help="due within this many s")
    parser.add_argument("--lead", type=float, default=0.0, help="s between seeding and first due")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--lease", type=float, default=300.0, help="publishing lease, s (production: 300)"
    )
    parser.add_argument("--dump", default="", help="write each post's due and stored times here")
    parser.add_argument("--seed", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        url, count, first_due, spread = args.seed
        seed(url, int(count), float(first_due), float(spread))
        return

    from tests.peers.fake_network_server import FakeNetwork

    data = Path(tempfile.mkdtemp(prefix="kalrav-burst-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.publish_kill_settings",
        KALRAV_DATA_DIR=str(data),
        KALRAV_QUEUE_NAME=f"kalrav-burst-{uuid.uuid4().hex[:8]}",
        KALRAV_PUBLISH_CONCURRENCY=str(args.threads),
        KALRAV_PUBLISH_LEASE_SECONDS=str(args.lease),
        PYTHONPATH=str(ROOT),
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    with FakeNetwork(latency=args.latency) as network, _database(args.database_url), _queue(env):
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
                    network.url,
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
            while len(network.posts) < args.count and time.time() < deadline:
                time.sleep(0.5)
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
        posts = list(network.posts.values())
        requests = dict(network.requests)

    lateness = [max(0.0, post["received_at"] - due[post["key"]]) for post in posts]
    if args.dump:
        rows = [(due[post["key"]], post["received_at"]) for post in posts]
        Path(args.dump).write_text(json.dumps(sorted(rows)))
    texts = [post["text"] for post in posts]
    duplicates = len(texts) - len(set(texts))
    resent = sum(1 for n in requests.values() if n > 1)
    span = max(p["received_at"] for p in posts) - min(due.values()) if posts else 0.0
    result = {
        "benchmark": "publish_burst",
        "count": args.count,
        "published": len(posts),
        "processes": args.processes,
        "threads_per_process": args.threads,
        "latency_ms": round(args.latency * 1000),
        "spread_s": args.spread,
        "lateness_p50_s": round(statistics.median(lateness), 3) if lateness else None,
        "lateness_p99_s": round(percentile(lateness, 99), 3) if lateness else None,
        "lateness_max_s": round(max(lateness), 3) if lateness else None,
        "variants_per_s": round(len(posts) / span, 1) if span else None,
        "duplicates": duplicates,
        "resent_with_same_key": resent,
        "lease_s": args.lease,
        "worker_cpu_ms_per_variant": round(cpu * 1000 / len(posts), 2) if posts else None,
        "database": "postgresql" if args.database_url else "sqlite",
        "queue": "redis" if args.redis_url else "sqlite",
    }
    print(
        f"{len(posts)}/{args.count} published; lateness p50 {result['lateness_p50_s']} s, "
        f"p99 {result['lateness_p99_s']} s, max {result['lateness_max_s']} s; "
        f"{result['variants_per_s']} variants/s; {duplicates} duplicates"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
