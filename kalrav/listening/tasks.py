"""Listening's periodic work (Huey finds tasks in each app's tasks.py): fetch the sources that
are due, each claimed so two workers never fetch the same one at once."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.listening.models import Monitor, Source, SourceKind, SourceState
from kalrav.listening.sources import feeds, health, network
from kalrav.listening.sources.streams import STREAM_KINDS

log = logging.getLogger("kalrav.listening")
BATCH = 200


def run_source(source_id: int) -> int:
    """Fetch one source if no other worker holds it; returns how many mentions are new."""
    if Source.objects.filter(pk=source_id, kind__in=STREAM_KINDS).exists():
        return 0  # followed by `kalrav listen` (sources/streams.py), not fetched
    if not health.claim(source_id):
        return 0
    source = Source.objects.select_related("workspace", "channel").get(pk=source_id)
    if source.kind == SourceKind.FEED:
        return feeds.fetch(source)
    return network.search(source)


def collect_due() -> int:
    due = list(
        Source.objects.filter(next_fetch_at__lte=timezone.now())
        .exclude(state=SourceState.PAUSED)
        .exclude(kind__in=STREAM_KINDS)
        .order_by("next_fetch_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    new = 0
    for source_id in due:
        try:
            new += run_source(source_id)
        except Exception:  # one broken source must not stop the others
            log.exception("listening source %s failed", source_id)
    return new


@db_periodic_task(crontab(minute="*"))
def collect_listening_sources() -> int:
    return collect_due()


@db_periodic_task(crontab(minute="*/10"))
def add_network_sources() -> int:
    """A search source for each newly connected channel that can search, in every workspace
    that has an active monitor (the sources page does the same when it is opened)."""
    added = 0
    for workspace_id in (
        Monitor.objects.filter(is_active=True).values_list("workspace_id", flat=True).distinct()
    ):
        added += network.ensure_network_sources(workspace_id)
    return added


@db_task()
def fetch_source_task(source_id: int) -> int:
    return run_source(source_id)
