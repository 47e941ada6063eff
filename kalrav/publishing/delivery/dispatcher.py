"""The dispatcher: what publishes due variants in a worker process, a batch at a time.

Every `kalrav worker` process runs one dispatcher thread (started by Huey's startup hook, at the
end of this module). Each tick, every `PUBLISH_POLL_SECONDS` (0.2 s) or sooner while it has a backlog, it

1. records the network calls that finished since the last tick, in one transaction for the
   publications (variants, attempts, audit entries) and one per failure;
2. claims what is due with ONE conditional UPDATE (leases.claim_due_variants), as many as it has
   room for (three times its threads), writes their attempts in one transaction, committed, and only
   then hands them to its threads, which call the networks and touch no database.

A post published one per task cost about 14 ms of serialized SQLite writes (claim, attempt,
result, audit entry, the queue's own rows), which capped two workers near 70 variants a second; a
tick does the same for a whole batch in four writes, and no queue row is written per variant.

What the publisher guarantees holds here unchanged, because the dispatcher decides only the
order of work: a variant with an unsettled history (a dead worker's attempt, an unknown or
transient outcome, a publication recorded after its lease ran out) is not sent from the batch
but handed whole to `publisher.publish_claimed`, which reconciles before any retry; errors go
through `publisher.record_error` (backoff, rate limits, no retry for Rejected, the channel
marked on AuthExpired, failure notifications). A try is sent only while at least half of its
lease is left, so a variant never waits in the batch until another worker may take it over; one
that would is given back unsent and its attempt erased. Every third of the lease, a tick renews
the leases of all it holds (the heartbeat), so leases stay short and only a dead worker's run out:
any dispatcher then takes its variants over. A process that ends without a graceful stop (Huey's
SIGTERM) gives back the part of a batch it could no longer hand to a thread.

Connectors are made per variant on the thread that sends it, so no connector object is shared
between threads (some keep a session or a looked-up room); the HTTP clients beneath them are
thread-safe.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone
from huey.contrib.djhuey import on_shutdown, on_startup

from kalrav.channels import services as channel_services
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import Connector, OutgoingPost, PublishedRef, opened
from kalrav.connectors.errors import ConnectorError, RateLimited, Transient
from kalrav.publishing.delivery import leases, publisher
from kalrav.publishing.models import Attempt, Variant
from kalrav.publishing.workspace_settings import publishing_settings

logger = logging.getLogger(__name__)

# A try is sent only while this share of its lease is left; later, it goes back unsent.
SEND_WITHIN = 0.5
# Between ticks while the threads are full and more is due: long enough to gather several
# answers into one write, short against a network's round trip.
BUSY_TICK = 0.05
# After a tick failed (the database away, say): wait before trying again.
ERROR_PAUSE = 2.0


def concurrency() -> int:
    return max(1, int(getattr(settings, "PUBLISH_CONCURRENCY", 16)))


def poll_interval() -> float:
    return max(0.01, float(getattr(settings, "PUBLISH_POLL_SECONDS", 0.2)))


@dataclass
class _Job:
    variant: Variant
    # None: an unsettled variant, which publish_claimed handles whole (reconciling first).
    attempt: Attempt | None
    post: OutgoingPost | None
    send_by: float  # time.monotonic() past which the try is not sent


@dataclass
class _Done:
    job: _Job
    result: PublishedRef | ConnectorError | None = None
    connector: Connector | None = None  # closed already; kept for what it can do
    # Set when the try was not sent: give the variant back, due again then.
    withheld_until: datetime | None = None


class Dispatcher:
    def __init__(
        self,
        *,
        worker: str | None = None,
        threads: int | None = None,
        poll: float | None = None,
        lease: timedelta | None = None,
        inline: bool = False,
    ) -> None:
        self.worker = worker or publisher.worker_name()
        self.threads = threads or concurrency()
        # Claimed and not yet recorded: the tries waiting for a thread, on the wire, or done
        # and waiting for the next tick's write.
        self.room = 3 * self.threads
        self.poll = poll or poll_interval()
        self.lease = lease or publisher.lease_length()
        # Inline: each try runs in the calling thread (tests, where other threads cannot see
        # the test's transaction).
        self.inline = inline
        self._pool = (
            None
            if inline
            else ThreadPoolExecutor(self.threads, thread_name_prefix="kalrav-publish")
        )
        self._done: queue.SimpleQueue[_Done] = queue.SimpleQueue()
        self._in_flight = 0
        # Channels a network rate-limited during this batch: their waiting tries are not sent.
        self._limited: dict[int, datetime] = {}
        self._closing = threading.Event()
        # Claimed and not yet recorded, by variant: whose leases the heartbeat renews.
        self._held: dict[int, _Job] = {}
        self._last_heartbeat = time.monotonic()

    # --- the loop --------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then finish what is in flight."""
        try:
            _warm_up()
            while not stop.is_set():
                try:
                    room = self.room - self._in_flight
                    claimed = self.tick()
                except ShuttingDown:
                    logger.warning("The interpreter is shutting down; the dispatcher stops")
                    break
                except Exception:
                    logger.exception("The publishing dispatcher's tick failed; trying again")
                    connections.close_all()
                    stop.wait(ERROR_PAUSE)
                    continue
                stop.wait(BUSY_TICK if claimed and claimed >= room else self.poll)
        finally:
            self.close()
            connections.close_all()

    def tick(self, due_by: datetime | None = None) -> int:
        """Record what finished, then claim and start what is due while there is room; how many
        variants were claimed."""
        self.record(self._finished())
        self.heartbeat()
        room = self.room - self._in_flight
        if room <= 0 or self._closing.is_set():
            return 0
        variants = leases.claim_due_variants(
            self.worker, lease=self.lease, limit=room, due_by=due_by
        )
        if variants:
            self._start(variants, time.monotonic() + self.lease.total_seconds() * SEND_WITHIN)
        return len(variants)

    def drain(self, *, due_by: datetime | None = None, limit: int = 5000) -> int:
        """Publish what is due (by `due_by`) until nothing is left or `limit` were claimed, and
        wait for every answer: the sweep's backstop. How many variants were claimed."""
        total = 0
        try:
            while total < limit:
                claimed = self.tick(due_by)
                total += claimed
                if not claimed and not self._in_flight:
                    break
                if not claimed:
                    self.record(self._finished(wait=self.poll))
        finally:
            self.close()
        return total

    def heartbeat(self, *, force: bool = False) -> None:
        """Every third of the lease, renew the leases of everything claimed and not yet recorded,
        so that only a dead worker's leases run out; a try whose lease was renewed may be sent
        until half of the renewed lease is gone."""
        now = time.monotonic()
        if not self._held or (
            not force and now - self._last_heartbeat < self.lease.total_seconds() * leases.HEARTBEAT
        ):
            return
        self._last_heartbeat = now
        claims: dict[str, list[int]] = {}
        for pk, job in list(self._held.items()):
            claims.setdefault(job.variant.claimed_by, []).append(pk)
        renewed = leases.renew(claims, self.lease)
        send_by = now + self.lease.total_seconds() * SEND_WITHIN
        for job in list(self._held.values()):
            if job.variant.claimed_by in renewed:
                job.send_by = send_by

    def close(self) -> None:
        """Send nothing more, wait for the calls under way and record them."""
        self._closing.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.record(self._finished())

    # --- starting a batch ------------------------------------------------------------------------

    def _start(self, variants: list[Variant], send_by: float) -> None:
        now = timezone.now()
        history = _outcomes([variant.pk for variant in variants])
        setups: dict[int, Any] = {}
        ready: list[Variant] = []
        whole: list[Variant] = []
        held: dict[datetime, list[Variant]] = {}
        for variant in variants:
            channel = variant.channel
            workspace_id = variant.post.workspace_id
            if workspace_id not in setups:
                setups[workspace_id] = publishing_settings(workspace_id)
            if channel.rate_limited_until and channel.rate_limited_until > now:
                # The network said when to come back; calling before then only spends a try.
                held.setdefault(channel.rate_limited_until, []).append(variant)
            elif (
                channel.state == ChannelState.PAUSED
                or publisher.unsettled(history.get(variant.pk, []))
                or not publisher.approved(variant, setups[workspace_id])
            ):
                whole.append(variant)
            else:
                ready.append(variant)
        for until, waiting in held.items():
            leases.release_many(waiting, until)
        attempts = leases.start_attempts(ready) if ready else {}
        jobs = [
            _Job(variant, attempts[variant.pk], publisher.outgoing_post(variant), send_by)
            for variant in ready
        ] + [_Job(variant, None, None, send_by) for variant in whole]
        for number, job in enumerate(jobs):
            try:
                self._submit(job)
            except RuntimeError:
                # "cannot schedule new futures after (interpreter) shutdown": the process is
                # ending. What was not handed to a thread goes back now, its attempts erased,
                # instead of waiting for its lease to run out and be reconciled.
                self._closing.set()
                self._give_back(jobs[number:])
                raise ShuttingDown from None

    def _submit(self, job: _Job) -> None:
        if self._pool is None:
            self._in_flight += 1
            self._held[job.variant.pk] = job
            self._done.put(self._run(job))
        else:
            self._pool.submit(self._run_threaded, job)
            self._in_flight += 1
            self._held[job.variant.pk] = job

    def _give_back(self, jobs: list[_Job]) -> None:
        now = timezone.now()
        for job in jobs:
            try:
                if job.attempt is not None:
                    leases.withdraw_attempt(job.variant, job.attempt, now)
                else:
                    leases.release(job.variant, now)
            except Exception:
                logger.exception("Giving variant %s back failed", job.variant.pk)

    # --- on the threads: the network calls -------------------------------------------------------

    def _run_threaded(self, job: _Job) -> None:
        try:
            self._done.put(self._run(job))
        finally:
            # Tries handed whole to the publisher, and a connector renewing its network session
            # (channels/sessions.py), use the database on these threads.
            connections.close_all()

    def _run(self, job: _Job) -> _Done:
        variant = job.variant
        if job.attempt is None:
            try:
                publisher.publish_claimed(variant)
            except Exception:
                # Its lease runs out and another tick takes it over, reconciling first.
                logger.exception("Publishing variant %s failed", variant.pk)
            return _Done(job)
        limited = self._limited.get(variant.channel_id)
        now = timezone.now()
        if limited and limited > now:
            return _Done(job, withheld_until=limited)
        if self._closing.is_set() or time.monotonic() > job.send_by:
            return _Done(job, withheld_until=now)
        try:
            connector = channel_services.connector_for(variant.channel)
        except Exception as error:
            logger.exception("No connector for variant %s", variant.pk)
            return _Done(job, Transient(str(error) or type(error).__name__))
        assert job.post is not None
        with opened(connector):
            result = publisher.call_network(connector, job.post, variant)
        if isinstance(result, RateLimited) and result.retry_after:
            self._limited[variant.channel_id] = now + timedelta(seconds=result.retry_after)
        return _Done(job, result, connector)

    # --- recording -------------------------------------------------------------------------------

    def _finished(self, wait: float = 0) -> list[_Done]:
        done: list[_Done] = []
        try:
            if wait:
                done.append(self._done.get(timeout=wait))
            while True:
                done.append(self._done.get_nowait())
        except queue.Empty:
            pass
        return done

    def record(self, done: list[_Done]) -> None:
        """Write down how the finished tries ended: publications together, the rest one by one
        (failures are few, and each may notify people)."""
        if not done:
            return
        try:
            published = [
                (d.job.variant, d.job.attempt, d.result)
                for d in done
                if isinstance(d.result, PublishedRef) and d.job.attempt is not None
            ]
            if published:
                recorded = leases.record_published_many(published)  # type: ignore[arg-type]
                revived = {v.channel_id for v in recorded if v.channel.state != ChannelState.ACTIVE}
                for channel_id in revived:
                    channel_services.record_success(channel_id)
            for d in done:
                if d.job.attempt is None:
                    continue
                try:
                    if isinstance(d.result, ConnectorError):
                        publisher.record_error(d.job.variant, d.job.attempt, d.result, d.connector)
                    elif d.withheld_until is not None:
                        leases.withdraw_attempt(d.job.variant, d.job.attempt, d.withheld_until)
                except Exception:
                    # The variant keeps its lease and running attempt: when the lease runs out it
                    # is taken over and reconciled, never sent blind.
                    logger.exception("Recording variant %s failed", d.job.variant.pk)
        finally:
            self._in_flight -= len(done)
            for d in done:
                self._held.pop(d.job.variant.pk, None)


class ShuttingDown(RuntimeError):
    """The interpreter is ending: no thread can be started for a try any more."""


def _warm_up() -> None:
    """Load the connectors of the networks in use now, so that the first post after a worker
    starts is not late by an import."""
    try:
        networks = Channel.objects.order_by().values_list("network", flat=True).distinct()
        for network in networks:
            registry.get(network)
    except Exception:
        logger.exception("Loading the connectors in use failed")


def _outcomes(variant_ids: list[int]) -> dict[int, list[str]]:
    """Each variant's attempt outcomes, oldest first, in one query (none for a first try)."""
    found: dict[int, list[str]] = {}
    rows = (
        Attempt.objects.filter(variant_id__in=variant_ids)
        .order_by("started_at", "id")
        .values_list("variant_id", "outcome")
    )
    for variant_id, outcome in rows:
        found.setdefault(variant_id, []).append(outcome)
    return found


# --- one dispatcher thread per worker process ---------------------------------------------------

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def start() -> bool:
    """Start this process's dispatcher thread unless it runs; True if it was started."""
    global _thread, _stop
    with _lock:
        if _thread is not None and _thread.is_alive():
            return False
        _stop = threading.Event()
        stop = _stop
        _thread = threading.Thread(
            target=lambda: Dispatcher().run(stop), name="kalrav-dispatcher", daemon=True
        )
        _thread.start()
        logger.info("Publishing dispatcher started")
        return True


def stop(timeout: float = 20.0) -> None:
    """Stop claiming, let the calls under way finish and be recorded (what is not sent by then
    is given back), within `timeout` seconds."""
    with _lock:
        thread = _thread
        _stop.set()
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout)


def running() -> bool:
    return _thread is not None and _thread.is_alive()


@on_startup()
def start_dispatcher() -> None:
    # Called by each worker thread of the consumer; the first one starts the process's thread.
    if publisher.dispatching():
        start()


@on_shutdown()
def stop_dispatcher() -> None:
    stop()
