"""Alert rules on arrival: spike, negative share, new term; once per episode; delivered once
by email, to a room and by signed webhook; shown in the notification centre."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from django.core import mail

from kalrav.channels.models import Channel
from kalrav.connectors.base import PublishedRef
from kalrav.hooks import services as hooks
from kalrav.hooks import signing
from kalrav.hooks.models import Delivery
from kalrav.listening.alerts import delivery
from kalrav.listening.alerts.arrival import on_mentions_stored
from kalrav.listening.alerts.evaluate import Finding
from kalrav.listening.alerts.fire import fire
from kalrav.listening.alerts.models import (
    Alert,
    AlertDelivery,
    AlertKind,
    AlertNotice,
    AlertRule,
    DeliveryState,
)
from kalrav.listening.models import Monitor
from kalrav.listening.tests.factories import bulk, mention
from kalrav.web import notifications
from kalrav.workspaces.audit import Actor

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
RECEIVER = "https://93.184.215.14/kalrav-hook"


@pytest.fixture
def monitor(workspace, members):
    return Monitor.objects.create(workspace=workspace, name="Acme", query="acme")


def _rule(monitor, kind=AlertKind.SPIKE, **extra) -> AlertRule:
    return AlertRule.objects.create(
        workspace=monitor.workspace, monitor=monitor, kind=kind, **extra
    )


def _history(monitor, weeks=6, per_hour=2):
    """A quiet, steady history before NOW's hour: `per_hour` mentions every hour."""
    start = NOW.replace(minute=0) - timedelta(weeks=weeks)
    times = []
    at = start
    while at < NOW.replace(minute=0):
        times += [at + timedelta(minutes=10 + 20 * i) for i in range(per_hour)]
        at += timedelta(hours=1)
    bulk(monitor, times)


def _burst(monitor, n, *, minutes=5, **kwargs) -> list[int]:
    return [
        mention(monitor, NOW - timedelta(seconds=minutes * 60 * (n - i) / n), **kwargs).pk
        for i in range(n)
    ]


def test_a_burst_fires_one_spike_alert_and_the_next_arrivals_do_not(monitor, members):
    _history(monitor)
    rule = _rule(monitor)
    ids = _burst(monitor, 15)
    fired = on_mentions_stored(monitor.workspace_id, ids[-1:], now=NOW)
    assert [a.kind for a in fired] == ["spike"]
    alert = fired[0]
    assert alert.count == 15 and alert.window_minutes == 10 and alert.expected < 2
    assert alert.started_at == min(
        a.published_at for a in monitor.matches.all() if a.mention_id in ids
    )
    more = _burst(monitor, 5, minutes=1)
    assert on_mentions_stored(monitor.workspace_id, more, now=NOW + timedelta(minutes=2)) == []
    # After the quiet time, a new episode may fire again.
    later = NOW + timedelta(minutes=rule.cooldown_minutes + 1)
    again = [mention(monitor, later - timedelta(seconds=10 * i)).pk for i in range(20)]
    assert len(on_mentions_stored(monitor.workspace_id, again, now=later)) == 1
    assert Alert.objects.count() == 2


def test_the_usual_volume_does_not_fire(monitor):
    _history(monitor, per_hour=3)
    _rule(monitor)
    ids = _burst(monitor, 3, minutes=50)
    assert on_mentions_stored(monitor.workspace_id, ids, now=NOW) == []


def test_a_seasonal_peak_does_not_fire_but_the_same_burst_elsewhere_does(workspace):
    peak = Monitor.objects.create(workspace=workspace, name="Peak", query="peak")
    flat = Monitor.objects.create(workspace=workspace, name="Flat", query="flat")
    start = NOW.replace(minute=0) - timedelta(weeks=6)
    weekly, steady = [], []
    at = start
    while at < NOW.replace(minute=0):
        same_hour = (NOW.replace(minute=0) - at) % timedelta(weeks=1) == timedelta(0)
        weekly += [at + timedelta(minutes=i % 60) for i in range(60 if same_hour else 1)]
        steady.append(at + timedelta(minutes=30))
        at += timedelta(hours=1)
    bulk(peak, weekly)
    bulk(flat, steady)
    _rule(peak)
    _rule(flat)
    # 30 mentions in the first half hour: the peak's usual Monday morning, the flat one's spike.
    burst_at = NOW.replace(minute=30)
    for monitor in (peak, flat):
        ids = [mention(monitor, burst_at - timedelta(minutes=i)).pk for i in range(30)]
        on_mentions_stored(workspace.pk, ids, now=burst_at)
    assert list(Alert.objects.values_list("monitor__name", flat=True)) == ["Flat"]


def test_negative_share_above_the_threshold_fires(monitor):
    _rule(monitor, AlertKind.NEGATIVE_SHARE, min_count=10, negative_share=0.5)
    ids = _burst(monitor, 6, minutes=30, sentiment="positive")
    ids += _burst(monitor, 5, minutes=20, sentiment="negative")
    assert on_mentions_stored(monitor.workspace_id, ids, now=NOW) == []  # 5 of 11: not above half
    ids += _burst(monitor, 3, minutes=10, sentiment="negative")
    (alert,) = on_mentions_stored(monitor.workspace_id, ids, now=NOW)
    assert alert.kind == "negative_share" and alert.count == 8 and "57%" in alert.summary


def test_negative_share_needs_the_minimum_count(monitor):
    _rule(monitor, AlertKind.NEGATIVE_SHARE, min_count=10, negative_share=0.3)
    ids = _burst(monitor, 4, sentiment="negative")
    assert on_mentions_stored(monitor.workspace_id, ids, now=NOW) == []


def test_a_new_term_fires_once_and_an_old_one_never(monitor):
    old = [NOW - timedelta(days=d) for d in range(2, 20)]
    bulk(monitor, old, text="acme chai is lovely")
    _rule(monitor, AlertKind.NEW_TERM, min_count=5)
    ids = _burst(monitor, 6, minutes=20, text="acme chai lovely")
    assert on_mentions_stored(monitor.workspace_id, ids, now=NOW) == []
    ids = _burst(monitor, 5, minutes=15, text="acme recall poisoning #acmerecall")
    (alert,) = on_mentions_stored(monitor.workspace_id, ids, now=NOW)
    assert alert.kind == "new_term" and alert.term in {"recall", "poisoning", "#acmerecall"}
    assert alert.count == 5


def test_a_new_term_in_hindi_is_one_whole_word(monitor):
    bulk(monitor, [NOW - timedelta(days=3)], text="acme चाय अच्छी है", language="hi")
    _rule(monitor, AlertKind.NEW_TERM, min_count=4)
    ids = _burst(monitor, 4, text="acme चाय में मिलावट", language="hi")
    (alert,) = on_mentions_stored(monitor.workspace_id, ids, now=NOW)
    assert alert.term == "मिलावट"


def _finding() -> Finding:
    return Finding(AlertKind.SPIKE, NOW - timedelta(minutes=3), 10, 20, 1.5, "20 mentions")


def test_two_workers_seeing_the_same_spike_make_one_alert(monitor, members):
    rule = _rule(monitor, emails="desk@example.test")
    # Each worker read the rule before either fired (as two processes would).
    seen_by_a = AlertRule.objects.get(pk=rule.pk)
    seen_by_b = AlertRule.objects.get(pk=rule.pk)
    assert fire(seen_by_a, _finding(), NOW) is not None
    assert fire(seen_by_b, _finding(), NOW) is None
    assert Alert.objects.count() == 1
    assert AlertDelivery.objects.count() == 1
    # One notice per member who may see listening, none twice.
    users = list(AlertNotice.objects.values_list("user__email", flat=True))
    assert len(users) == len(set(users)) == 5


def test_an_email_is_sent_once_with_two_claimers(monitor, django_capture_on_commit_callbacks):
    rule = _rule(monitor, emails="desk@example.test, boss@example.test")
    with django_capture_on_commit_callbacks(execute=False):
        alert = fire(rule, _finding(), NOW)
    (pending,) = AlertDelivery.objects.filter(alert=alert)
    first = delivery.claim(pending.pk)
    assert first is not None
    assert delivery.claim(pending.pk) is None  # the second worker finds it taken
    assert delivery.send(alert.pk) == 0  # and sends nothing while the first holds it
    delivery._send(first)
    delivery._finish(first, DeliveryState.SENT)
    assert delivery.send(alert.pk) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["desk@example.test", "boss@example.test"]
    assert "/listening/alerts/" in mail.outbox[0].body
    assert AlertDelivery.objects.get().state == DeliveryState.SENT


def test_the_queued_task_sends_the_email_after_commit(monitor, django_capture_on_commit_callbacks):
    rule = _rule(monitor, emails="desk@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        fire(rule, _finding(), NOW)
    assert len(mail.outbox) == 1


class FakeRoom:
    """A room on a network that, like Telegram, does not deduplicate: every call is a post."""

    posts: list[tuple[str, str]] = []

    def __init__(self, context) -> None:
        pass

    def validate(self, post):
        return []

    def publish(self, post, *, idempotency_key):
        FakeRoom.posts.append((post.text, idempotency_key))
        return PublishedRef(remote_id=str(len(FakeRoom.posts)), url="")

    def delete(self, ref, *, idempotency_key):
        pass

    def close(self):
        pass


def test_a_room_gets_the_alert_once(
    monitor, workspace, monkeypatch, django_capture_on_commit_callbacks
):
    room = Channel.objects.create(workspace=workspace, network="sandbox", name="Crisis room")
    FakeRoom.posts = []
    monkeypatch.setattr(delivery, "connector_for", lambda channel: FakeRoom(None))
    rule = _rule(monitor, room=room, notify_in_app=False)
    with django_capture_on_commit_callbacks(execute=True):
        alert = fire(rule, _finding(), NOW)
    assert delivery.send(alert.pk) == 0  # already sent by the task
    assert len(FakeRoom.posts) == 1
    text, key = FakeRoom.posts[0]
    assert "Acme" in text and key == f"kalrav-alert-{alert.pk}"
    assert AlertNotice.objects.count() == 0


@respx.mock
def test_the_webhook_is_signed_and_sent_once(monitor, members, django_capture_on_commit_callbacks):
    owner = members["owner"]
    _endpoint, secret = hooks.create_endpoint(
        owner, Actor(user=owner.user), url=RECEIVER, events=["listening.alert"]
    )
    route = respx.post(RECEIVER).mock(return_value=httpx.Response(200))
    rule = _rule(monitor, notify_webhook=True)
    with django_capture_on_commit_callbacks(execute=True):
        alert = fire(rule, _finding(), NOW)
        assert fire(AlertRule.objects.get(pk=rule.pk), _finding(), NOW) is None
    assert route.call_count == 1 and Delivery.objects.count() == 1
    request = route.calls[0].request
    assert signing.verify(secret, request.content, request.headers["Kalrav-Signature"])
    body = json.loads(request.content)
    assert body["type"] == "listening.alert"
    assert body["data"]["alert_id"] == alert.pk and body["data"]["monitor"]["name"] == "Acme"


def test_the_alert_is_in_the_notification_centre(monitor, members):
    rule = _rule(monitor)
    alert = fire(rule, _finding(), NOW)
    agent = members["agent"]
    assert notifications.unread_count(agent) >= 1
    (entry,) = [e for e in notifications.entries(agent) if e.kind == "listening_alert"]
    assert entry.url.endswith(f"/listening/alerts/{alert.pk}/") and entry.unread
    notifications.mark_all_read(agent)
    assert not AlertNotice.objects.filter(user=agent.user, read_at=None).exists()
    # A client may not see listening: no notice for them.
    assert not AlertNotice.objects.filter(user=members["client"].user).exists()
