"""The alerts list with its rules, and the crisis page: mentions with sentiment, filters,
assigning, acknowledging, resolving and sending a mention to the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kalrav.channels.models import Channel
from kalrav.inbox.models import Conversation
from kalrav.listening.alerts.evaluate import Finding
from kalrav.listening.alerts.fire import fire
from kalrav.listening.alerts.models import Alert, AlertKind, AlertRule
from kalrav.listening.models import Monitor
from kalrav.listening.tests.factories import mention


@pytest.fixture
def monitor(workspace):
    return Monitor.objects.create(workspace=workspace, name="Acme", query="acme")


@pytest.fixture
def alert(monitor, members):
    now = timezone.now()
    mention(monitor, now - timedelta(hours=3), text="old praise", sentiment="positive")
    mention(monitor, now - timedelta(minutes=4), text="cold tea again", sentiment="negative")
    mention(
        monitor, now - timedelta(minutes=3), text="चाय ठंडी थी", sentiment="negative", language="hi"
    )
    mention(monitor, now - timedelta(minutes=2), text="fine by me", sentiment="positive")
    rule = AlertRule.objects.create(workspace=monitor.workspace, monitor=monitor, kind="spike")
    finding = Finding(
        AlertKind.SPIKE, now - timedelta(minutes=5), 10, 3, 0.4, "3 mentions in 10 minutes"
    )
    return fire(rule, finding, now)


def _url(alert, name="listening_alerts:alert"):
    return reverse(name, kwargs={"ws": alert.workspace.slug, "alert_id": alert.pk})


def test_a_manager_writes_a_rule(monitor, member_client):
    client = member_client("manager")
    url = reverse("listening_alerts:alerts", kwargs={"ws": monitor.workspace.slug})
    response = client.post(
        url,
        {
            "monitor": monitor.pk,
            "kind": "negative_share",
            "min_count": "8",
            "negative_share": "0.3",
            "cooldown_minutes": "60",
            "notify_in_app": "on",
            "emails": "desk@example.test, nope",
        },
    )
    assert "“nope” is not an email address." in response.content.decode()
    assert not AlertRule.objects.exists()
    client.post(
        url,
        {
            "monitor": monitor.pk,
            "kind": "negative_share",
            "min_count": "8",
            "negative_share": "0.3",
            "cooldown_minutes": "60",
            "notify_in_app": "on",
            "emails": "desk@example.test",
        },
    )
    rule = AlertRule.objects.get()
    assert (rule.kind, rule.min_count, rule.negative_share) == ("negative_share", 8, 0.3)
    page = client.get(url).content.decode()
    assert "Negative share" in page and "No alerts yet" in page


def test_the_rule_form_offers_only_channels_that_can_post(monitor, member_client):
    Channel.objects.create(workspace=monitor.workspace, network="sandbox", name="Team room")
    page = (
        member_client("owner")
        .get(reverse("listening_alerts:alerts", kwargs={"ws": monitor.workspace.slug}))
        .content.decode()
    )
    assert "Team room" in page


def test_the_crisis_page_gathers_the_spike_mentions(alert, member_client):
    page = member_client("agent").get(_url(alert)).content.decode()
    assert "cold tea again" in page and "चाय ठंडी थी" in page and "fine by me" in page
    assert "old praise" not in page  # before the episode began
    negative = member_client("agent").get(_url(alert), {"sentiment": "negative"}).content.decode()
    assert "cold tea again" in negative and "fine by me" not in negative


def test_the_team_assigns_acknowledges_and_resolves(alert, members, member_client):
    client = member_client("agent")
    client.post(
        _url(alert, "listening_alerts:alert-assign"), {"assignee": members["agent"].user_id}
    )
    client.post(_url(alert, "listening_alerts:alert-state"), {"state": "acknowledged"})
    alert = Alert.objects.get(pk=alert.pk)
    assert alert.assignee_id == members["agent"].user_id and alert.state == "acknowledged"
    client.post(_url(alert, "listening_alerts:alert-state"), {"state": "resolved"})
    alert = Alert.objects.get(pk=alert.pk)
    assert alert.state == "resolved" and alert.ended_at is not None
    # Someone who cannot work the inbox cannot be assigned.
    response = client.post(
        _url(alert, "listening_alerts:alert-assign"), {"assignee": members["client"].user_id}
    )
    assert response.status_code == 404


def test_a_mention_goes_to_the_inbox_to_be_answered(alert, member_client, workspace):
    Channel.objects.create(workspace=workspace, network="sandbox", name="Sandbox")
    target = (
        alert.monitor.matches.select_related("mention").get(mention__text="cold tea again").mention
    )
    response = member_client("agent").post(
        reverse(
            "listening_alerts:alert-mention-inbox",
            kwargs={"ws": workspace.slug, "alert_id": alert.pk, "mention_id": target.pk},
        )
    )
    target.refresh_from_db()
    assert target.conversation_id is not None
    assert (
        response["Location"].endswith(f"/inbox/{target.conversation_id}/")
        or str(target.conversation_id) in response["Location"]
    )
    page = member_client("agent").get(_url(alert)).content.decode()
    assert "Open in the inbox" in page
    # A bluesky mention held by a sandbox channel: answered on its source, never through it.
    assert Conversation.objects.get(pk=target.conversation_id).answer_on_source


def test_the_alert_list_costs_the_same_queries_for_many_alerts(
    alert, monitor, member_client, django_assert_max_num_queries
):
    client = member_client("agent")
    url = reverse("listening_alerts:alerts", kwargs={"ws": monitor.workspace.slug})
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        Alert.objects.create(
            workspace=monitor.workspace, rule=alert.rule, monitor=monitor, kind="spike",
            started_at=timezone.now(), count=n,
        )  # fmt: skip
    with django_assert_max_num_queries(len(few)):
        client.get(url)
