"""A monitor with less than a week of history has no seasonal baseline: a spike fires on the
rule's minimum count, and the alert says so; with a history it does not say it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import translation

from kalrav.listening.alerts.arrival import on_mentions_stored
from kalrav.listening.alerts.models import AlertKind, AlertRule
from kalrav.listening.models import Monitor
from kalrav.listening.tests.factories import bulk
from kalrav.listening.tests.test_alerts import NOW, _burst, _history


@pytest.fixture
def monitor(workspace, members):
    return Monitor.objects.create(workspace=workspace, name="Acme", query="acme")


def _spike_rule(monitor, min_count=10) -> AlertRule:
    return AlertRule.objects.create(
        workspace=monitor.workspace, monitor=monitor, kind=AlertKind.SPIKE, min_count=min_count
    )


def test_a_new_monitor_fires_on_the_minimum_count_and_says_so(monitor):
    cache.clear()
    # Two days of a steady trickle: no same hour of an earlier week yet.
    start = NOW.replace(minute=0) - timedelta(days=2)
    bulk(monitor, [start + timedelta(minutes=30 + 60 * h) for h in range(48)])
    _spike_rule(monitor)
    assert on_mentions_stored(monitor.workspace_id, _burst(monitor, 9), now=NOW) == []
    fired = on_mentions_stored(monitor.workspace_id, _burst(monitor, 1), now=NOW)
    assert len(fired) == 1 and fired[0].without_baseline
    assert "no seasonal baseline yet" in fired[0].describe()
    with translation.override("hi"):
        assert "no seasonal baseline yet" not in fired[0].describe()


def test_with_a_history_the_alert_does_not_claim_a_missing_baseline(monitor):
    cache.clear()
    _history(monitor)
    _spike_rule(monitor)
    fired = on_mentions_stored(monitor.workspace_id, _burst(monitor, 15), now=NOW)
    assert len(fired) == 1 and not fired[0].without_baseline
    assert "baseline" not in fired[0].describe()
