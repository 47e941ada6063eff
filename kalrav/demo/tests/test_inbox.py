"""`kalrav demo` fills the inbox so each inbox feature has something true to show."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from kalrav.accounts.models import User
from kalrav.demo import seed
from kalrav.demo.workspaces import DEMO_EMAIL
from kalrav.inbox.models import (
    Conversation,
    Delivery,
    Handoff,
    InboxSettings,
    Message,
    Note,
    RoutingRule,
    SavedView,
    Team,
)
from kalrav.inbox.sla import report as sla_report
from kalrav.inbox.sla import targets
from kalrav.inbox.work import saved_views
from kalrav.workspaces.models import AuditEntry, Member, Workspace

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Conversation, Message, Note, Handoff, Team, RoutingRule, SavedView)
    } | {"audit": AuditEntry.objects.count(), "mail": len(mail.outbox)}


@pytest.fixture
def tea(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the tasks queued after commit
        seed.load()
    return Workspace.objects.get(slug="shanti-tea")


def test_teams_have_their_own_targets_hours_and_people(tea):
    teams = {team.name: team for team in Team.objects.filter(workspace=tea)}
    assert {"Support", "Billing", "PR"} <= set(teams)
    assert (teams["Support"].first_response_minutes, teams["Support"].resolution_minutes) == (
        30,
        480,
    )
    assert teams["Billing"].business_hours["mon"] == [["10:00", "17:00"]]
    assert "sat" not in teams["Billing"].business_hours
    assert teams["Billing"].time_zone == "Asia/Kolkata"
    assert teams["Billing"].members.filter(email="manager@kalrav.local").exists()
    assert InboxSettings.objects.get(workspace=tea).business_hours["sun"] == [["08:00", "22:00"]]
    actions = set(AuditEntry.objects.filter(workspace=tea).values_list("action", flat=True))
    assert {"team.create", "team.update", "rule.create", "inbox.settings"} <= actions


def test_billing_rule_hands_off_by_email(tea):
    rule = RoutingRule.objects.get(workspace=tea, name="Payments and refunds to Billing")
    assert rule.handoff and rule.team.name == "Billing"
    handoffs = Handoff.objects.filter(conversation__workspace=tea)
    assert handoffs.count() == 3
    assert set(handoffs.values_list("via", "target", "team_name")) == {
        ("email", "billing@shantitea.example", "Billing")
    }
    # Test settings run tasks at once: the emails went out and the hand-offs say so.
    assert set(handoffs.values_list("state", flat=True)) == {Handoff.State.SENT}
    assert any("billing@shantitea.example" in message.to for message in mail.outbox)
    greek = Conversation.objects.get(workspace=tea, root_remote_id="demo-b3")
    assert greek.team.name == "Billing"
    assert greek.notes.filter(text__contains="billing@shantitea.example").exists()


def test_the_report_has_real_medians_and_two_missed_targets(tea):
    report = sla_report.build(tea)
    overall = report.overall
    assert overall.answered >= 12
    assert overall.resolved >= 11
    for metric in ("first_business", "first_wall", "resolution_wall"):
        assert overall.time(metric, "median") is not None, metric
    assert overall.first_missed >= 1 and overall.resolution_missed >= 1
    by_team = {figures.label: figures for figures in report.groups["team"]}
    assert {"Support", "Billing", "PR", "No team"} <= set(by_team)
    assert by_team["PR"].time("first_wall", "median") in (15, 40)
    assert len(report.groups["week"]) >= 3  # three weeks of history
    # Answers show as sent by the member who answered, at the time they answered.
    answer = Message.objects.get(remote_id="demo-h1-answer")
    assert answer.delivery == Delivery.SENT and answer.sent_by.email == "agent@kalrav.local"
    assert (answer.created_at - answer.conversation.received_at).total_seconds() == pytest.approx(
        18 * 60
    )


def test_two_open_conversations_missed_a_target_and_show_it(tea):
    first = Conversation.objects.get(workspace=tea, first_response_breached_at__isnull=False)
    late = Conversation.objects.get(workspace=tea, resolution_breached_at__isnull=False)
    assert (first.root_remote_id, late.root_remote_id) == ("demo-b3", "demo-h6")
    assert first.notes.filter(text__startswith="First-response target missed").exists()
    assert late.notes.filter(text__startswith="Resolution target missed").exists()
    settings = InboxSettings.objects.get(workspace=tea)
    teams = {team.pk: team for team in Team.objects.filter(workspace=tea)}
    now = timezone.now()
    for conversation in (first, late):
        assert conversation.state == "open"
        assert targets.status(conversation, settings, teams, now).breached


def test_saved_views_list_their_conversations(tea):
    owner = Member.objects.get(workspace=tea, user__email=DEMO_EMAIL)
    views = {view.name: view for view in saved_views.visible(owner)}
    unhappy = views["Unhappy customers, oldest deadline first"]
    assert unhappy.shared and unhappy.filters == {"sentiment": "negative", "sort": "due"}
    assert saved_views.matching(owner, unhappy.filters).exists()
    agent = Member.objects.get(workspace=tea, user__email="agent@kalrav.local")
    assert [view.name for view in saved_views.visible(agent)] == [unhappy.name]


def test_pages_show_the_demo(client, tea):
    client.force_login(User.objects.get(email=DEMO_EMAIL))
    report = client.get("/w/shanti-tea/inbox/report/")
    assert report.status_code == 200
    for name in ("Support", "Billing", "PR"):
        assert name in report.content.decode()
    # The main navigation is all there (the report's groups once hid it).
    assert report.content.decode().count('class="nav"') == 1
    assert "/w/shanti-tea/calendar/" in report.content.decode()
    maria = Conversation.objects.get(workspace=tea, root_remote_id="demo-b3")
    page = client.get(f"/w/shanti-tea/inbox/{maria.pk}/").content.decode()
    assert page.count("<strong>Kalrav</strong>: ") >= 4  # what the rules and the check did
    assert "<strong></strong>" not in page
    routing = client.get("/w/shanti-tea/inbox/routing/").content.decode()
    assert "Payments and refunds to Billing" in routing
    inbox = client.get("/w/shanti-tea/inbox/").content.decode()
    assert "Maria Kosta" in inbox and "Unhappy customers" in inbox


def test_running_again_changes_nothing(tea, django_capture_on_commit_callbacks):
    before = _counts()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        seed.load()
    assert _counts() == before
    assert queued == []
