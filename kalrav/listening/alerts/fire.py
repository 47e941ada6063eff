"""Firing an alert: once per episode, whoever sees it first.

Invariant: one episode, one alert, one notice per person, one webhook event, one email and one
room message. It is kept by a claim: a worker fires only by moving the rule's `last_fired_at`
forward in one conditional UPDATE (the rule's quiet time must have passed), and writes the alert,
its notices, its webhook deliveries and its email and room deliveries in that same transaction.
A second worker that saw the same spike updates nothing and writes nothing. Sending email and
room messages happens after the commit, each under its own claim (`delivery`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from kalrav.hooks import services as hooks
from kalrav.hooks.models import Event
from kalrav.listening.alerts.delivery import send_alert_task
from kalrav.listening.alerts.evaluate import Finding
from kalrav.listening.alerts.models import (
    Alert,
    AlertDelivery,
    AlertNotice,
    AlertRule,
    Target,
)
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import MATRIX, Perm


def in_cooldown(rule: AlertRule, now: datetime) -> bool:
    return rule.last_fired_at is not None and rule.last_fired_at > now - timedelta(
        minutes=rule.cooldown_minutes
    )


def payload(alert: Alert) -> dict:
    return {
        "alert_id": alert.pk,
        "kind": alert.kind,
        "monitor": {"id": alert.monitor_id, "name": alert.monitor.name},
        "summary": alert.summary,
        "count": alert.count,
        "total": alert.total,
        "expected": round(alert.expected, 2),
        "term": alert.term,
        "started_at": alert.started_at.isoformat(),
        "fired_at": alert.fired_at.isoformat(),
        "path": reverse(
            "listening_alerts:alert", kwargs={"ws": alert.workspace.slug, "alert_id": alert.pk}
        ),
    }


def fire(rule: AlertRule, finding: Finding, now: datetime) -> Alert | None:
    """The alert, or None when another worker (or an earlier arrival) fired this episode."""
    with transaction.atomic():
        claimed = (
            AlertRule.objects.filter(pk=rule.pk)
            .filter(
                Q(last_fired_at__isnull=True)
                | Q(last_fired_at__lte=now - timedelta(minutes=rule.cooldown_minutes))
            )
            .update(last_fired_at=now)
        )
        if not claimed:
            return None
        rule.last_fired_at = now
        alert = Alert.objects.create(
            workspace_id=rule.workspace_id,
            rule=rule,
            monitor=rule.monitor,
            kind=finding.kind,
            started_at=finding.started_at,
            fired_at=now,
            window_minutes=finding.window_minutes,
            count=finding.count,
            total=finding.total or finding.count,
            expected=finding.expected,
            term=finding.term,
            summary=finding.summary,
            without_baseline=finding.without_baseline,
        )
        if rule.notify_in_app:
            users = Member.objects.filter(
                workspace_id=rule.workspace_id, role__in=MATRIX[Perm.LISTENING_VIEW]
            ).values_list("user_id", flat=True)
            AlertNotice.objects.bulk_create(
                AlertNotice(user_id=u, workspace_id=rule.workspace_id, alert=alert, created_at=now)
                for u in users
            )
        targets = []
        if rule.email_list:
            targets.append(Target.EMAIL)
        if rule.room_id:
            targets.append(Target.ROOM)
        AlertDelivery.objects.bulk_create(AlertDelivery(alert=alert, target=t) for t in targets)
        if rule.notify_webhook:
            hooks.emit(rule.workspace_id, Event.LISTENING_ALERT, payload(alert))
        if targets:
            alert_id = alert.pk
            transaction.on_commit(lambda: send_alert_task(alert_id))
    return alert
