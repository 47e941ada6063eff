from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

HEARTBEAT_KEY = "kalrav:worker-heartbeat"


@db_task()
def heartbeat() -> str:
    """Proves a worker is consuming the queue: it stamps the time it ran where /healthz reads it."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@db_periodic_task(crontab(minute="*"))
def periodic_heartbeat() -> None:
    heartbeat.call_local()
