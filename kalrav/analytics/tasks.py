"""Analytics' periodic work (Huey finds tasks in each app's tasks.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from kalrav.analytics.collection import services as collection
from kalrav.analytics.reports import schedule


@db_periodic_task(crontab(minute="*/5"))
@lock_task("analytics-collect")
def collect_metrics() -> int:
    """Read the figures that are due; one run at a time across workers."""
    return collection.collect()


@db_periodic_task(crontab(minute="*/15"))
def send_scheduled_reports() -> int:
    """Mail the reports that are due; `schedule.claim` keeps two workers from sending twice."""
    return schedule.send_due()
