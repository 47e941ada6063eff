"""Analytics' periodic work (Huey finds tasks in each app's tasks.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from kalrav.analytics.collection import services as collection


@db_periodic_task(crontab(minute="*/5"))
@lock_task("analytics-collect")
def collect_metrics() -> int:
    """Read the figures that are due; one run at a time across workers."""
    return collection.collect()
