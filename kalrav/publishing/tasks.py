"""Huey tasks that publish variants on time.

A variant is enqueued with `eta=scheduled_at` when it is scheduled within the next few minutes,
so the consumer's scheduler (which looks every second) hands it to a worker on time; the sweep
that runs every minute enqueues what is coming up in the next minutes the same way, and is the
backstop for everything else: variants scheduled far ahead, retries whose task was lost, and
variants whose worker died holding the lease. A task only ever *asks* to publish: the claim in
the publisher decides, so a variant enqueued twice is still published once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.publishing import notifications, publisher
from kalrav.publishing.models import Variant, VariantState

# Variants due within this horizon are given a task with an eta when scheduled; later ones get
# theirs from the sweep whose window (SWEEP_AHEAD to HORIZON from now) they fall in. The windows
# of sweeps a minute apart tile the time line, so each variant gets one such task; a sweep that
# runs late leaves a gap that the next sweep's overdue pass fills.
HORIZON = timedelta(minutes=2)
SWEEP_AHEAD = timedelta(minutes=1)
SWEEP_LIMIT = 5000


@db_task(priority=10)
def publish_variant(variant_id: int) -> str | None:
    return publisher.publish_variant(variant_id)


@db_task()
def send_failure_emails(notification_ids: list[int]) -> int:
    return notifications.send_emails(notification_ids)


def enqueue_at(variant_id: int, when: datetime | None) -> None:
    """Ask for the variant to be published at `when` (now, if it is past or None)."""
    if when is None or when <= timezone.now():
        publish_variant(variant_id)
    else:
        publish_variant.schedule(args=(variant_id,), eta=when)


def enqueue_if_soon(variant: Variant) -> None:
    """Called when a variant is scheduled: one due within the horizon gets its own task now."""
    when = variant.scheduled_at
    if when is not None and when <= timezone.now() + HORIZON:
        enqueue_at(variant.pk, when)


def sweep(now: datetime | None = None) -> int:
    """Enqueue what is overdue, whose lease expired, or is due within the horizon; the count."""
    now = now or timezone.now()
    due = (
        Variant.objects.filter(
            Q(state=VariantState.SCHEDULED, scheduled_at__lte=now)
            | Q(
                state=VariantState.SCHEDULED,
                scheduled_at__gt=now + SWEEP_AHEAD,
                scheduled_at__lte=now + HORIZON,
            )
            | Q(state=VariantState.PUBLISHING, lease_expires_at__lt=now)
        )
        .order_by("scheduled_at")
        .values_list("pk", "state", "scheduled_at", "lease_expires_at")[:SWEEP_LIMIT]
    )
    count = 0
    for pk, state, scheduled_at, lease_expires_at in due:
        enqueue_at(pk, scheduled_at if state == VariantState.SCHEDULED else lease_expires_at)
        count += 1
    return count


@db_periodic_task(crontab(minute="*"))
def sweep_due_variants() -> int:
    return sweep()
