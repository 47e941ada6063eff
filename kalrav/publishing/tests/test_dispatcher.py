"""The dispatcher: batch claims with one UPDATE, attempts committed before the calls, results
written together, `variant_published` sent once per publication, and every guarantee of the
publisher kept when variants go out in batches (reconciliation, rate limits, lost leases)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kalrav.connectors.base import PublishedRef
from kalrav.connectors.errors import RateLimited, Rejected
from kalrav.publishing.delivery import dispatcher, leases, publisher
from kalrav.publishing.models import Attempt, Notification, Post, Variant, VariantState
from kalrav.publishing.signals import variant_published
from kalrav.publishing.tests.helpers import channel
from kalrav.publishing.tests.test_publisher import (  # noqa: F401 - `networks` is an autouse fixture
    FakeNetwork,
    SearchableNetwork,
    due_variant,
    networks,
)
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db

S = VariantState
O = Attempt.Outcome  # noqa: E741


def due_batch(members, count: int, network: str = "fakenet") -> list[Variant]:
    workspace = members["owner"].workspace
    chan = channel(workspace, network=network, name=f"Batch on {network}")
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(workspace=workspace, title=f"Batch {n}", text=f"Chai number {n}") for n in range(count)
    )
    return Variant.objects.bulk_create(
        Variant(
            post=post,
            channel=chan,
            text=post.text,
            state=S.SCHEDULED,
            scheduled_at=now - timedelta(seconds=count - n),
        )
        for n, post in enumerate(posts)
    )


@pytest.fixture
def announced():
    seen: list[int] = []

    def listener(sender, variant, **kwargs):
        seen.append(variant.pk)

    variant_published.connect(listener)
    yield seen
    variant_published.disconnect(listener)


def test_a_batch_is_claimed_with_one_conditional_update(members):
    due_batch(members, 30)
    with CaptureQueriesContext(connection) as queries:
        held = leases.claim_due_variants("w1", limit=20)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert len(held) == 20
    assert {v.claimed_by for v in held} == {held[0].claimed_by}
    # The oldest first; a second worker gets only what the first did not take.
    others = leases.claim_due_variants("w2", limit=50)
    assert len(others) == 10
    assert not {v.pk for v in held} & {v.pk for v in others}
    assert max(v.scheduled_at for v in held) < min(v.scheduled_at for v in others)


def test_a_batch_is_published_once_with_attempts_audit_and_one_signal_each(
    members, announced, django_capture_on_commit_callbacks
):
    variants = due_batch(members, 12)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatcher.Dispatcher(inline=True).drain() == 12
        assert dispatcher.Dispatcher(inline=True).drain() == 0  # nothing twice
    assert set(Variant.objects.values_list("state", flat=True)) == {S.PUBLISHED}
    assert sorted(key for _post, key in FakeNetwork.calls) == sorted(
        v.idempotency_key for v in variants
    )
    assert set(Attempt.objects.values_list("outcome", flat=True)) == {O.PUBLISHED}
    assert Attempt.objects.count() == 12
    assert AuditEntry.objects.filter(action="variant.published").count() == 12
    assert sorted(announced) == sorted(v.pk for v in variants)


def test_the_signal_waits_for_the_commit(members, announced, django_capture_on_commit_callbacks):
    [variant] = due_batch(members, 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatcher.Dispatcher(inline=True).drain()
    assert announced == []  # not before the publication is committed
    for callback in callbacks:
        callback()
    assert announced == [variant.pk]


def test_one_publish_sends_the_signal_once(members, announced, django_capture_on_commit_callbacks):
    variant = due_variant(members)
    with django_capture_on_commit_callbacks(execute=True):
        assert publisher.publish_variant(variant.pk) == S.PUBLISHED
        assert publisher.publish_variant(variant.pk) is None
    assert announced == [variant.pk]


def test_the_attempt_is_committed_before_the_network_is_called(members):
    due_batch(members, 3)
    seen: list[str] = []
    original = FakeNetwork.publish

    def publish(self, post, *, idempotency_key):
        variant = Variant.objects.get(idempotency_key=idempotency_key)
        seen.append(variant.attempts.get().outcome)
        return original(self, post, idempotency_key=idempotency_key)

    FakeNetwork.publish = publish  # type: ignore[method-assign]
    try:
        dispatcher.Dispatcher(inline=True).drain()
    finally:
        FakeNetwork.publish = original  # type: ignore[method-assign]
    assert seen == [O.RUNNING] * 3


def test_threads_publish_a_batch_and_the_caller_records_it(members):
    variants = due_batch(members, 40)
    busy = threading.Semaphore(0)
    original = FakeNetwork.publish
    threads: set[str] = set()

    def publish(self, post, *, idempotency_key):
        threads.add(threading.current_thread().name)
        busy.release()
        time.sleep(0.01)
        return original(self, post, idempotency_key=idempotency_key)

    FakeNetwork.publish = publish  # type: ignore[method-assign]
    try:
        assert dispatcher.Dispatcher(threads=8).drain() == 40
    finally:
        FakeNetwork.publish = original  # type: ignore[method-assign]
    assert len(threads) > 1 and all(name.startswith("kalrav-publish") for name in threads)
    assert Variant.objects.filter(state=S.PUBLISHED).count() == len(variants)
    assert len(FakeNetwork.stored) == 40


def test_a_rejected_variant_in_a_batch_fails_visibly_and_the_rest_go_out(members):
    due_batch(members, 4)
    FakeNetwork.script = [Rejected("Too many hashtags")]
    dispatcher.Dispatcher(inline=True).drain()
    failed = Variant.objects.get(state=S.FAILED)
    assert failed.last_error == "Too many hashtags"
    assert Notification.objects.filter(variant=failed).exists()
    assert Variant.objects.filter(state=S.PUBLISHED).count() == 3
    assert len(FakeNetwork.calls) == 4  # a refusal is not retried


def test_a_rate_limit_holds_back_the_rest_of_the_channels_batch(members):
    variants = due_batch(members, 5)
    FakeNetwork.script = [RateLimited("slow down", retry_after=120)]
    start = timezone.now()
    dispatcher.Dispatcher(inline=True).drain()
    assert len(FakeNetwork.calls) == 1  # the other four were not sent into the limit
    rows = {v.pk: v for v in Variant.objects.all()}
    assert {v.state for v in rows.values()} == {S.SCHEDULED}
    for variant in variants:
        assert rows[variant.pk].scheduled_at >= start + timedelta(seconds=119)
    # One attempt, the one that was sent; the held-back ones left none behind.
    assert list(Attempt.objects.values_list("outcome", flat=True)) == [O.RATE_LIMITED]
    variants[0].channel.refresh_from_db()
    assert variants[0].channel.rate_limited_until is not None
    # Claimed again before the network's time, they go back without a call.
    with time_machine.travel(start + timedelta(seconds=60)):
        Variant.objects.update(scheduled_at=timezone.now())
        dispatcher.Dispatcher(inline=True).drain()
    assert len(FakeNetwork.calls) == 1


def test_a_try_whose_lease_is_nearly_out_goes_back_unsent(members):
    [variant] = due_batch(members, 1)
    # A lease this short is past its sending half before the call: nothing may go out.
    late = dispatcher.Dispatcher(inline=True, lease=timedelta(microseconds=1))
    assert late.drain(limit=1) == 1
    variant.refresh_from_db()
    assert FakeNetwork.calls == []
    assert variant.state == S.SCHEDULED
    assert not variant.attempts.exists()


def test_a_dead_workers_batch_is_reconciled_before_anything_is_sent(members):
    variants = due_batch(members, 3, network="searchnet")
    held = leases.claim_due_variants("dead-worker", lease=timedelta(seconds=30), limit=10)
    leases.start_attempts(held)
    SearchableNetwork.found = PublishedRef("r-found", "https://fake.test/p/found")
    assert dispatcher.Dispatcher(inline=True).drain() == 0  # the leases still hold
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert dispatcher.Dispatcher(inline=True).drain() == 3
    assert sorted(SearchableNetwork.searched) == sorted(v.idempotency_key for v in variants)
    assert FakeNetwork.calls == []  # found on the channel: not sent again
    assert set(Variant.objects.values_list("remote_id", flat=True)) == {"r-found"}


def test_a_publication_recorded_after_the_lease_was_lost_is_never_sent_blind(
    members, announced, django_capture_on_commit_callbacks
):
    [variant] = due_batch(members, 1, network="blindnet")
    [slow] = leases.claim_due_variants("slow", lease=timedelta(seconds=5))
    attempts = leases.start_attempts([slow])
    ref = FakeNetwork(None).publish(publisher.outgoing_post(slow), idempotency_key="k")
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        [taker] = leases.claim_due_variants("taker")
        # The slow worker's answer came back after its lease ran out: recorded as an attempt,
        # but the variant is the taker's.
        with django_capture_on_commit_callbacks(execute=True):
            assert leases.record_published_many([(slow, attempts[slow.pk], ref)]) == []
        assert publisher.publish_claimed(taker) == S.FAILED
    variant.refresh_from_db()
    assert len(FakeNetwork.calls) == 1  # the network holds it once; no second post
    assert "cannot check" in variant.last_error
    assert Notification.objects.filter(variant=variant).exists()
    assert announced == []


def test_with_dispatchers_no_task_is_queued_per_variant(members, monkeypatch):
    monkeypatch.setattr(publisher, "dispatching", lambda: True)
    HUEY.storage.flush_schedule()
    variant = due_variant(members)
    publisher.enqueue_at(variant.pk, timezone.now() + timedelta(seconds=30))
    publisher.enqueue_at(variant.pk, None)
    assert HUEY.scheduled_count() == 0
    assert FakeNetwork.calls == []


@pytest.mark.django_db(transaction=True)
def test_the_process_dispatcher_publishes_what_becomes_due(members, settings):
    settings.PUBLISH_POLL_SECONDS = 0.05
    variants = due_batch(members, 5)
    Variant.objects.update(scheduled_at=timezone.now() + timedelta(seconds=0.5))
    assert dispatcher.start()
    try:
        assert not dispatcher.start()  # one per process
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Variant.objects.filter(state=S.PUBLISHED).count() == len(variants):
                break
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    assert not dispatcher.running()
    published = list(Variant.objects.values_list("state", "published_at", "scheduled_at"))
    assert {state for state, _at, _due in published} == {S.PUBLISHED}
    assert all(at >= due for _state, at, due in published)  # not before its time
    assert len(FakeNetwork.stored) == 5
