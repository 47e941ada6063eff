"""Prometheus metrics: request counts and latency from this process, plus state read at scrape time."""

from __future__ import annotations

import time

from django.db.models import Count
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kalrav.accounts.models import User
from kalrav.ops import checks
from kalrav.workspaces.models import Member, Workspace

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

REQUESTS = Counter(
    "kalrav_http_requests", "HTTP requests answered", ["method", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "kalrav_http_request_duration_seconds",
    "Time to answer an HTTP request",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)


class StateCollector(Collector):
    def describe(self):
        # Nothing to announce up front: the values are read from the database at scrape time.
        return []

    def collect(self):
        db_ok, _vendor = checks.database_ok()
        yield GaugeMetricFamily(
            "kalrav_database_up", "1 when the database answers", value=int(db_ok)
        )
        queue_ok, pending, _storage = checks.queue_state()
        yield GaugeMetricFamily(
            "kalrav_queue_up", "1 when the task queue answers", value=int(queue_ok)
        )
        if pending is not None:
            yield GaugeMetricFamily(
                "kalrav_queue_pending_tasks", "Tasks waiting in the queue", value=pending
            )
        beat = checks.last_worker_heartbeat()
        if beat is not None:
            yield GaugeMetricFamily(
                "kalrav_worker_heartbeat_timestamp_seconds",
                "When a worker last ran a task",
                value=beat.timestamp(),
            )
        if db_ok:
            yield GaugeMetricFamily(
                "kalrav_workspaces", "Workspaces", value=Workspace.objects.count()
            )
            yield GaugeMetricFamily(
                "kalrav_users_active",
                "Active user accounts",
                value=User.objects.filter(is_active=True).count(),
            )
            members = GaugeMetricFamily(
                "kalrav_members", "Workspace members by role", labels=["role"]
            )
            for row in Member.objects.values("role").annotate(n=Count("id")):
                members.add_metric([row["role"]], row["n"])
            yield members


REGISTRY.register(StateCollector())


def exposition() -> bytes:
    return generate_latest(REGISTRY)


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        LATENCY.observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, str(response.status_code)).inc()
        return response
