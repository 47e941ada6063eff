"""Failing channels check themselves again, so that a network's short outage needs no person.

Any error that is not the account's fault (a timeout, a refused connection, a 5xx) turns a channel
to "failing", and a failing channel is neither streamed nor polled. Here, once a minute, every
failing channel whose `next_probe_at` has come is checked again with `check_channel`; success
returns it to "active" (streams and polling take it up again), another failure doubles the wait
(`services.record_failure` and `services.probe_delay` keep that record).

Two workers running the minute's task at once must not check a channel twice: each check is
claimed first by moving `next_probe_at` on, conditionally on the value that was read.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState


def due_channels(now: datetime | None = None) -> list[int]:
    """Failing channels whose next check has come, each claimed for one check."""
    now = now or timezone.now()
    claimed = []
    due = Channel.objects.filter(state=ChannelState.FAILING).exclude(next_probe_at__gt=now)
    for pk, attempts, next_probe_at in due.values_list("pk", "probe_attempts", "next_probe_at"):
        # Until the check records its answer, the channel is not due again.
        later = now + services.probe_delay(attempts)
        if Channel.objects.filter(
            pk=pk, state=ChannelState.FAILING, next_probe_at=next_probe_at
        ).update(next_probe_at=later):
            claimed.append(pk)
    return claimed


def probe_channel(channel_id: int) -> None:
    """Check one failing channel again; its state follows the answer."""
    if Channel.objects.filter(pk=channel_id, state=ChannelState.FAILING).exists():
        services.check_channel(channel_id)


@db_task()
def probe_channel_task(channel_id: int) -> None:
    probe_channel(channel_id)


@db_periodic_task(crontab(minute="*"))
def probe_failing_channels() -> int:
    """Queue a check of every failing channel that is due; returns how many."""
    due = due_channels()
    for channel_id in due:
        probe_channel_task(channel_id)
    return len(due)
