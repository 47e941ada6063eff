"""Reading what each published post achieved, and each channel's audience, from the networks
that tell (`InsightsReader`), on the schedule of `schedule.py`, within each network's budget.

A run reads at most CALLS_PER_RUN batches of BATCH posts per channel; a network that says it is
rate limited is left alone until the time it gave, and a failing one is retried later and later.
Readings are added as new rows (see models.PostMetric): history is kept, not overwritten.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from kalrav.analytics.collection.schedule import COLLECT_FOR, after_failure, next_reading
from kalrav.analytics.models import ChannelMetric, MetricsSchedule, PostMetric
from kalrav.analytics.rollups import services as rollups
from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import InsightsReader, PublishedRef, opened
from kalrav.connectors.errors import ConnectorError, RateLimited
from kalrav.publishing.models import Variant, VariantState

BATCH = 25
CALLS_PER_RUN = 4
DUE_PER_RUN = 2000
CHANNEL_EVERY = timedelta(hours=6)
RATE_LIMIT_PAUSE = timedelta(minutes=15)


def reads_insights(network: str) -> bool:
    try:
        return catalogue.network(network).can(InsightsReader)
    except registry.UnknownNetwork:
        return False


def enrol(now: datetime) -> int:
    """Published variants on networks with figures get a schedule, due at once."""
    known = MetricsSchedule.objects.values("variant_id")
    fresh = (
        Variant.objects.filter(state=VariantState.PUBLISHED, published_at__gte=now - COLLECT_FOR)
        .exclude(remote_id="")
        .exclude(pk__in=known)
        .select_related("channel")
    )
    made = [
        MetricsSchedule(variant=variant, next_at=now)
        for variant in fresh
        if reads_insights(variant.channel.network)
    ]
    MetricsSchedule.objects.bulk_create(made, ignore_conflicts=True)
    return len(made)


def collect(now: datetime | None = None) -> int:
    """One run: the due posts' figures, then the audiences not read for CHANNEL_EVERY; returns
    how many readings were stored."""
    now = now or timezone.now()
    enrol(now)
    due = list(
        MetricsSchedule.objects.filter(next_at__lte=now)
        .select_related("variant__channel")
        .order_by("next_at")[:DUE_PER_RUN]
    )
    by_channel: dict[int, list[MetricsSchedule]] = defaultdict(list)
    for entry in due:
        by_channel[entry.variant.channel_id].append(entry)
    stored = 0
    for entries in by_channel.values():
        stored += _collect_channel(entries[0].variant.channel, entries, now)
    return stored + _collect_audiences(now)


def _collect_channel(channel: Channel, entries: list[MetricsSchedule], now: datetime) -> int:
    if channel.state != ChannelState.ACTIVE or channel.archived_at is not None:
        # Paused, failing or removed: look again in an hour, without spending a call.
        MetricsSchedule.objects.filter(pk__in=[e.pk for e in entries]).update(
            next_at=now + timedelta(hours=1)
        )
        return 0
    stored = 0
    with opened(channels.connector_for(channel)) as connector:
        if not isinstance(connector, InsightsReader):
            MetricsSchedule.objects.filter(pk__in=[e.pk for e in entries]).delete()
            return 0
        batches = [entries[i : i + BATCH] for i in range(0, len(entries), BATCH)]
        for number, batch in enumerate(batches):
            if number >= CALLS_PER_RUN:
                break  # the rest waits for the next run: the budget is shared with publishing
            variants = {entry.variant.remote_id: entry.variant for entry in batch}
            try:
                rows = connector.post_metrics(
                    [PublishedRef(remote_id=remote_id) for remote_id in variants]
                )
            except RateLimited as limited:
                wait = (
                    timedelta(seconds=limited.retry_after)
                    if limited.retry_after
                    else RATE_LIMIT_PAUSE
                )
                rest = [e.pk for b in batches[number:] for e in b]
                MetricsSchedule.objects.filter(pk__in=rest).update(next_at=now + wait)
                break
            except ConnectorError:
                for entry in batch:
                    entry.failures += 1
                    entry.next_at = after_failure(now, entry.failures)
                MetricsSchedule.objects.bulk_update(batch, ["failures", "next_at"])
                continue
            readings = [
                PostMetric(
                    variant=variants[row.remote_id],
                    channel=channel,
                    metric=row.metric[:32],
                    value=float(row.value),
                    measured_at=row.measured_at,
                )
                for row in rows
                if row.remote_id in variants
            ]
            PostMetric.objects.bulk_create(readings)
            rollups.apply_post_readings(readings)
            stored += len(readings)
            _reschedule(batch, now)
    return stored


def _reschedule(batch: list[MetricsSchedule], now: datetime) -> None:
    finished = []
    for entry in batch:
        published = entry.variant.published_at or now
        following = next_reading(published, now)
        if following is None:
            finished.append(entry.pk)
            continue
        entry.next_at, entry.last_at, entry.failures = following, now, 0
    MetricsSchedule.objects.filter(pk__in=finished).delete()
    MetricsSchedule.objects.bulk_update(
        [e for e in batch if e.pk not in finished], ["next_at", "last_at", "failures"]
    )


def _collect_audiences(now: datetime) -> int:
    last = dict(
        ChannelMetric.objects.values("channel_id")
        .annotate(at=Max("measured_at"))
        .values_list("channel_id", "at")
    )
    stored = 0
    for channel in Channel.objects.filter(state=ChannelState.ACTIVE):
        if not reads_insights(channel.network):
            continue
        if (seen := last.get(channel.pk)) is not None and now - seen < CHANNEL_EVERY:
            continue
        with opened(channels.connector_for(channel)) as connector:
            if not isinstance(connector, InsightsReader):
                continue
            try:
                rows = connector.channel_metrics()
            except ConnectorError:
                continue  # the channel's own state shows the failure; read again next run
        audience = ChannelMetric.objects.bulk_create(
            ChannelMetric(
                channel=channel, metric=row.metric[:32], value=float(row.value), measured_at=now
            )
            for row in rows
        )
        rollups.apply_channel_readings(audience)
        stored += len(rows)
    return stored


def latest(variant_ids: list[int]) -> dict[int, dict[str, tuple[float, datetime]]]:
    """Each variant's newest reading of each figure, in one query: newest first, the first seen
    of each (variant, figure) is kept."""
    found: dict[int, dict[str, tuple[float, datetime]]] = defaultdict(dict)
    readings = (
        PostMetric.objects.filter(variant_id__in=variant_ids)
        .order_by("-measured_at", "-id")
        .values_list("variant_id", "metric", "value", "measured_at")
    )
    for variant_id, metric, value, measured_at in readings:
        found[variant_id].setdefault(metric, (value, measured_at))
    return found
