"""The checks behind /healthz and /metrics, kept apart from the views so commands can use them."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from huey.contrib.djhuey import HUEY

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
