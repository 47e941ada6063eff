"""Issue 14, item 6: a dead worker's posts are taken over within the short lease, not after five
minutes; a live dispatcher renews its leases (the heartbeat); the post page says when a post
waits for a worker that stopped; a dispatcher whose process is ending gives back the part of a
batch it could no longer start."""

from __future__ import annotations

import concurrent.futures.thread
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from kalrav.publishing.delivery import dispatcher, leases
from kalrav.publishing.models import Attempt, Post, Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.publishing.tests.test_dispatcher import due_batch
from kalrav.publishing.tests.test_publisher import networks  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db

S = VariantState


class _StalledPool:
    """A thread pool whose threads never get to the tries: what a batch looks like while the
    network is slow. Nothing is run; the jobs stay claimed."""

    def submit(self, *_args, **_kwargs) -> None:
        return None

    def shutdown(self, wait: bool = True) -> None:
        return None


def test_a_dead_workers_posts_are_taken_over_within_a_minute(members):
    lease = leases.lease_length()  # KALRAV_PUBLISH_LEASE_SECONDS, not set here: the default
    assert lease <= timedelta(seconds=60)
    batch = due_batch(members, 3)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        held = leases.claim_due_variants("dead-worker", lease=lease)
        assert len(held) == 3
        clock.shift(lease - timedelta(seconds=5))
        assert leases.claim_due_variants("alive", lease=lease) == []
        clock.shift(timedelta(seconds=6))  # the dead worker never renewed
        taken = leases.claim_due_variants("alive", lease=lease)
    assert {v.pk for v in taken} == {v.pk for v in batch}


def test_a_live_dispatcher_renews_the_leases_of_what_it_holds(members):
    batch = due_batch(members, 4)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        worker = dispatcher.Dispatcher(worker="live", threads=2, lease=timedelta(seconds=30))
        worker._pool = _StalledPool()  # type: ignore[assignment]
        assert worker.tick() == 4
        clock.shift(timedelta(seconds=25))
        worker._last_heartbeat -= 25  # the monotonic clock moved as well
        worker.tick()
        clock.shift(timedelta(seconds=20))  # 45 s after the claim: past the first lease
        assert leases.claim_due_variants("other", lease=timedelta(seconds=30)) == []
    for variant in Variant.objects.filter(pk__in=[v.pk for v in batch]):
        assert variant.state == S.PUBLISHING
        assert variant.claimed_by.startswith("live:")
        assert variant.lease_expires_at == start + timedelta(seconds=55)


def test_a_dispatcher_whose_process_is_ending_gives_its_unstarted_batch_back(members, monkeypatch):
    batch = due_batch(members, 5)
    worker = dispatcher.Dispatcher(worker="ending", threads=2)
    # What concurrent.futures sets once the interpreter starts shutting down (Huey's SIGTERM):
    # every submit then raises "cannot schedule new futures after interpreter shutdown".
    monkeypatch.setattr(concurrent.futures.thread, "_shutdown", True)
    with pytest.raises(RuntimeError):
        worker.tick()
    variants = Variant.objects.filter(pk__in=[v.pk for v in batch])
    assert {v.state for v in variants} == {S.SCHEDULED}
    assert {v.claimed_by for v in variants} == {""}
    assert not Attempt.objects.filter(variant__in=variants).exists()
    monkeypatch.setattr(concurrent.futures.thread, "_shutdown", False)
    worker.close()


def test_the_post_page_says_when_a_post_waits_for_a_worker_that_stopped(
    member_client, workspace, settings
):
    settings.PUBLISH_LEASE_SECONDS = 45
    chan = channel(workspace)
    post = Post.objects.create(workspace=workspace, title="Chai", text="Chai")
    now = timezone.now()
    variant = Variant.objects.create(
        post=post,
        channel=chan,
        text="Chai",
        state=S.PUBLISHING,
        scheduled_at=now - timedelta(minutes=1),
        claimed_by="dead:1",
        # Claimed 40 s ago and never renewed: two heartbeats missed.
        lease_expires_at=now + timedelta(seconds=5),
    )
    page = member_client("editor").get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    # In the workspace's time zone (Asia/Kolkata), rounded up to the minute.
    shown = variant.lease_expires_at + timedelta(seconds=59)
    retry = shown.astimezone(ZoneInfo(workspace.time_zone)).strftime("%H:%M")
    assert f"Waiting for the worker that was publishing this; retry at {retry}." in page

    # A worker that renews its lease is alive: nothing to say.
    Variant.objects.filter(pk=variant.pk).update(lease_expires_at=now + timedelta(seconds=40))
    page = member_client("editor").get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    assert "Waiting for the worker" not in page
