"""Checking the rules of the monitors that just heard something."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from kalrav.listening.alerts import evaluate
from kalrav.listening.alerts.fire import fire, in_cooldown
from kalrav.listening.alerts.models import Alert, AlertRule
from kalrav.listening.models import MentionMatch


def on_mentions_stored(
    workspace_id: int, mention_ids: Sequence[int], now: datetime | None = None
) -> list[Alert]:
    """Check every active rule of the monitors these new mentions matched; fire what is due.
    Called by intake right after it stores and matches mentions."""
    if not mention_ids:
        return []
    now = now or timezone.now()
    monitor_ids = set(
        MentionMatch.objects.filter(mention_id__in=mention_ids).values_list("monitor_id", flat=True)
    )
    if not monitor_ids:
        return []
    rules = AlertRule.objects.filter(
        workspace_id=workspace_id,
        monitor_id__in=monitor_ids,
        is_active=True,
        monitor__is_active=True,
    ).select_related("monitor", "workspace")
    fired = []
    for rule in rules:
        if in_cooldown(rule, now):
            continue
        finding = evaluate.check(rule, now)
        if finding is not None:
            alert = fire(rule, finding, now)
            if alert is not None:
                fired.append(alert)
    return fired
