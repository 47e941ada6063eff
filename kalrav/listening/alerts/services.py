"""What the alert pages change: rules written and removed, alerts assigned, acknowledged and
resolved; each one transaction with its audit entry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kalrav.listening.alerts.models import Alert, AlertRule, AlertState
from kalrav.listening.models import Mention, MentionMatch
from kalrav.listening.trends.terms import terms_of, text_of
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member

# The crisis page lists at most this many of an alert's mentions (newest first, filterable).
SHOWN = 200


def save_rule(member: Member, actor: Actor, rule: AlertRule) -> AlertRule:
    with transaction.atomic():
        created = rule.pk is None
        rule.workspace = member.workspace
        if created:
            rule.created_by_id = member.user_id
        rule.save()
        audit.record(
            member.workspace,
            actor,
            "listening.alert_rule_created" if created else "listening.alert_rule_changed",
            rule,
            {"kind": [None, rule.kind], "monitor": [None, rule.monitor_id]},
        )
    return rule


def delete_rule(member: Member, actor: Actor, rule: AlertRule) -> None:
    with transaction.atomic():
        audit.record(member.workspace, actor, "listening.alert_rule_deleted", rule)
        rule.delete()


def assign(member: Member, actor: Actor, alert: Alert, assignee: Member | None) -> None:
    with transaction.atomic():
        before = alert.assignee_id
        alert.assignee_id = assignee.user_id if assignee else None
        alert.save(update_fields=["assignee"])
        audit.record(
            member.workspace,
            actor,
            "listening.alert_assigned",
            alert,
            {"assignee": [before, alert.assignee_id]},
        )


def set_state(member: Member, actor: Actor, alert: Alert, state: str) -> None:
    with transaction.atomic():
        before = alert.state
        alert.state = AlertState(state)
        fields = ["state"]
        if alert.state == AlertState.RESOLVED and alert.ended_at is None:
            alert.ended_at = timezone.now()
            fields.append("ended_at")
        alert.save(update_fields=fields)
        audit.record(
            member.workspace, actor, "listening.alert_state", alert, {"state": [before, state]}
        )


def mentions_of(alert: Alert, sentiment: str = "") -> list[Mention]:
    """The alert's mentions: the monitor's since the episode began, until it was resolved (or
    now), those holding the term for a new term; newest first."""
    matches = MentionMatch.objects.filter(
        monitor_id=alert.monitor_id, published_at__gte=alert.started_at
    )
    if alert.ended_at is not None:
        matches = matches.filter(published_at__lte=alert.ended_at)
    if sentiment:
        matches = matches.filter(sentiment=sentiment)
    mentions = (
        Mention.objects.filter(pk__in=matches.values("mention_id"))
        .select_related("source")
        .order_by("-published_at", "-pk")
    )
    if not alert.term:
        return list(mentions[:SHOWN])
    found = []
    for mention in mentions[: SHOWN * 10].iterator(chunk_size=500):
        if alert.term in terms_of(text_of(mention.title, mention.text)):
            found.append(mention)
            if len(found) >= SHOWN:
                break
    return found
