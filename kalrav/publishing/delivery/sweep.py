"""When a scheduled variant is asked for, and the sweep that is the backstop of it all.

Each worker process runs a dispatcher thread (dispatcher.py) which claims what is due every fraction
of a second and publishes it in batches: a variant scheduled seconds ahead goes out within a poll
interval of its time, and no queue task is written per variant. The sweep, every minute (the
periodic task in publishing/tasks.py), is the backstop: it starts this process's dispatcher again
should its thread have died, and publishes (as a batch, the same way) whatever is still due well
past its time or whose worker died holding the lease.

When Huey runs tasks inline (the test settings) or `PUBLISH_DISPATCHER` is False, there is no
dispatcher: a variant due within the horizon is given a `publish_variant_task` with an eta when it
is scheduled (`enqueue_if_soon`), and the sweep enqueues the next minutes the same way. A task only
ever *asks* to publish: the claim in the publisher decides, so a variant asked for twice is still
published once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kalrav.publishing.delivery import dispatcher, publisher
from kalrav.publishing.models import Variant, VariantState

# Without a dispatcher, variants due within this horizon are given a task with an eta when
# scheduled; later ones get theirs from the sweep whose window (SWEEP_AHEAD to HORIZON from now)
# they fall in. The windows of sweeps a minute apart tile the time line.
HORIZON = timedelta(minutes=2)
SWEEP_AHEAD = timedelta(minutes=1)
SWEEP_LIMIT = 5000
# With dispatchers, a variant is the sweep's only once it is this late: before that it is
# theirs, and a sweep competing with them in a burst would only add work.
SWEEP_GRACE = timedelta(seconds=30)


def enqueue_if_soon(variant: Variant) -> None:
    """Called when a variant is scheduled: one due within the horizon gets its own task now."""
    when = variant.scheduled_at
    if when is not None and when <= timezone.now() + HORIZON:
        publisher.enqueue_at(variant.pk, when)


def sweep(now: datetime | None = None) -> int:
    """Publish what is overdue or whose lease expired; without dispatchers, also enqueue what is
    due within the horizon. How many variants it took or enqueued."""
    now = now or timezone.now()
    if publisher.dispatching():
        dispatcher.start()  # a no-op while this process's dispatcher thread is alive
        late = dispatcher.Dispatcher(worker=f"{publisher.worker_name()}:sweep")
        return late.drain(due_by=now - SWEEP_GRACE, limit=SWEEP_LIMIT)
    count = dispatcher.Dispatcher(inline=HUEY.immediate).drain(due_by=now, limit=SWEEP_LIMIT)
    upcoming = (
        Variant.objects.filter(
            state=VariantState.SCHEDULED,
            scheduled_at__gt=now + SWEEP_AHEAD,
            scheduled_at__lte=now + HORIZON,
        )
        .order_by("scheduled_at")
        .values_list("pk", "scheduled_at")[:SWEEP_LIMIT]
    )
    for pk, scheduled_at in upcoming:
        publisher.enqueue_at(pk, scheduled_at)
        count += 1
    return count
