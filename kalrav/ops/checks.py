"""The checks behind /healthz and /metrics, kept apart from the views so commands can use them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kalrav import data_dir
from kalrav.ops.models import WriteCheck
from kalrav.ops.tasks import HEARTBEAT_KEY


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return False, type(error).__name__
    return True, connection.vendor


def queue_state() -> tuple[bool, int | None, str]:
    try:
        pending = HUEY.pending_count()
    except Exception as error:
        return False, None, type(error).__name__
    return True, pending, type(HUEY.storage).__name__


def last_worker_heartbeat() -> datetime | None:
    try:
        value = cache.get(HEARTBEAT_KEY)
    except Exception:
        return None
    return datetime.fromisoformat(value) if value else None


def storage_writable() -> tuple[bool, str]:
    """A file written to the data folder and a row written to the database, both for real:
    reads keep working on a full disk or a read-only mount, so only a write tells."""
    problem = data_dir.writable_problem(settings.DATA_DIR)
    if problem:
        return False, problem
    now = timezone.now()
    try:
        with transaction.atomic():
            if not WriteCheck.objects.filter(pk=1).update(checked_at=now):
                WriteCheck.objects.bulk_create(
                    [WriteCheck(pk=1, checked_at=now)], ignore_conflicts=True
                )
    except DatabaseError as error:
        return False, str(error) or type(error).__name__
    return True, "writable"
