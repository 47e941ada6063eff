"""Killing every worker at once while a stand-in network holds a post whose answer has not left
yet, for the publish-kill tests of the stand-ins (test_x_publish_kill.py,
test_meta_publish_kill.py). Real `kalrav worker` processes on a database and queue of their own,
started by tests/test_publish_kill.py's helpers; the stand-in counts what it holds.

A stand-in here has `in_flight` (posts made whose answer has not left yet) and `unheard` (posts
whose sender went away before the answer): a kill while `in_flight` makes exactly the case a
connector's reconcile is for.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.test_publish_kill import _django, _run, _worker
from tests.test_serve import _fresh_database

ROUND_SECONDS = 90  # for restarted workers to boot (slow on a busy machine) and post again
SETTLE_SECONDS = 120  # after the last kill, for the rest to go out (seconds unless very busy)


@dataclass
class Outcome:
    variants: list[dict[str, Any]]
    outcomes: list[str]
    kills: int
    posts_at_kills: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    log_tail: str = ""

    @property
    def reconciled(self) -> int:
        return sum(outcome == "unknown" for outcome in self.outcomes)

    def timing(self) -> str:
        return ", ".join(f"{name} {value:.1f} s" for name, value in self.seconds.items())


@contextmanager
def kalrav_database(tmp_path: Path, settings_module: str, extra: dict[str, str]) -> Iterator[dict]:
    """The environment of worker processes on a fresh, migrated database."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        KALRAV_DATA_DIR=str(tmp_path),
        KALRAV_QUEUE_NAME=f"kalrav-kill-{uuid.uuid4().hex[:8]}",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        KALRAV_PUBLISH_CONCURRENCY="3",
        **extra,
    )
    with _fresh_database(tmp_path) as url:
        env["DATABASE_URL"] = url
        subprocess.run(
            [sys.executable, "-m", "kalrav", "migrate", "-v0"], env=env, check=True, timeout=180
        )
        yield env


def seed(network: str, remote_id: str, config: str, credentials: str, count: int) -> None:
    """A workspace with one channel (config and credentials as JSON) and `count` variants due
    now, each with words of its own, scheduled the way the services do it."""
    from django.utils import timezone

    from kalrav.accounts.models import User
    from kalrav.channels.credentials import seal
    from kalrav.channels.models import Channel, ChannelState
    from kalrav.publishing.delivery import sweep
    from kalrav.publishing.models import Post, Variant, VariantState
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor

    user = User.objects.create_user("author@example.test", "pw-Kill-test-1")
    workspace = services.create_workspace(user, Actor(user=user), name="Kill test")
    channel = Channel.objects.create(
        workspace=workspace,
        network=network,
        name="chaicorner",
        handle="chaicorner",
        remote_id=remote_id,
        config=json.loads(config),
        credentials=seal(json.loads(credentials)),
        state=ChannelState.ACTIVE,
    )
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            workspace=workspace,
            title=f"Post {n}",
            text=f"Tea tasting number {n} is on",
            author=user,
        )
        for n in range(count)
    )
    variants = Variant.objects.bulk_create(
        Variant(
            post=post,
            channel=channel,
            text=post.text,
            state=VariantState.SCHEDULED,
            scheduled_at=now,
        )
        for post in posts
    )
    for variant in variants:
        sweep.enqueue_if_soon(variant)


def seed_channel(
    env: dict, network: str, remote_id: str, config: dict, credentials: dict, count: int
) -> None:
    arguments = ", ".join(
        repr(value) for value in (network, remote_id, json.dumps(config), json.dumps(credentials))
    )
    run_in_django(env, f"import tests.peers.kill_rounds as k; k.seed({arguments}, {count})")


def run_in_django(env: dict, code: str) -> None:
    program = f"import django; django.setup(); {code}"
    subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=120)


def kill_while_posting(
    env: dict, tmp_path: Path, standin: Any, posted: Callable[[], int], kills: int
) -> Outcome:
    """Two workers publish what is due; `kills` times, every worker is killed while the
    stand-in holds an unanswered post, and restarted. Then every variant settles (or the time
    runs out) and the variants are read back."""
    rng = random.Random()  # noqa: S311 - kill timing, not secrets
    status = str(tmp_path / "left")
    log_path = tmp_path / "workers.log"
    started: list[subprocess.Popen] = []
    done = 0
    at_kills: list[int] = []
    seconds: dict[str, float] = {}
    begun = time.monotonic()
    with open(log_path, "w") as log:
        try:
            workers = [_worker(env, log, periodic=True), _worker(env, log, periodic=False)]
            started.extend(workers)
            started.append(_django(f"t.watcher({status!r}, 0.5)", env, stderr=log))
            booting = time.monotonic() + ROUND_SECONDS
            while not posted() and time.monotonic() < booting:
                time.sleep(0.05)
            seconds["first post"] = time.monotonic() - begun
            mark = 0  # posts made before the workers now running started
            while done < kills:
                # Restarted workers take seconds to boot on a busy machine: each round has its
                # own time. A round waits for a post of the running workers: one the killed
                # workers sent may still be on its way.
                deadline = time.monotonic() + ROUND_SECONDS
                time.sleep(rng.uniform(0.1, 0.5))
                while not (posted() > mark and standin.in_flight):
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
                if not (posted() > mark and standin.in_flight):
                    break
                for worker in workers:
                    os.kill(worker.pid, signal.SIGKILL)
                for worker in workers:
                    worker.wait()
                done += 1
                at_kills.append(posted())
                # The dead workers' requests still on their way (the stand-in finishes a request
                # it has whole, as a network does) end within a latency.
                time.sleep(standin.latency)
                mark = posted()
                workers = [_worker(env, log, periodic=n == 0) for n in range(len(workers))]
                started.extend(workers)
            seconds["kills"] = time.monotonic() - begun - seconds["first post"]
            deadline = time.monotonic() + SETTLE_SECONDS
            settling = time.monotonic()
            while time.monotonic() < deadline:
                if Path(status).exists() and Path(status).read_text() == "0":
                    break
                time.sleep(0.3)
            seconds["settling"] = time.monotonic() - settling
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                process.wait()
    result = json.loads(_run("t.report()", env))
    return Outcome(
        variants=result["variants"],
        outcomes=result["outcomes"],
        kills=done,
        posts_at_kills=at_kills,
        seconds=seconds,
        log_tail=log_path.read_text()[-3000:],
    )
