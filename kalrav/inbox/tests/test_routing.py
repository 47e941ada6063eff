from __future__ import annotations

import pytest
import time_machine
from django.core import mail

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import ItemKind
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Delivery, InboxSettings, Message, RoutingRule, Team
from kalrav.inbox.tests.fakes import FakeInboxConnector, item


@pytest.fixture
def channel(workspace):
    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": "kalrav.inbox.tests.fakes.FakeInboxConnector"}
    )
    FakeInboxConnector.replies, FakeInboxConnector.fail_with = [], None
    yield Channel.objects.create(
        workspace=workspace, network="fakeinbox", name="Brand", state=ChannelState.ACTIVE
    )
    registry.reset()


def test_rules_route_in_order_and_say_what_they_did(
    channel, members, workspace, django_capture_on_commit_callbacks
):
    support = Team.objects.create(workspace=workspace, name="Support", email="support@acme.example")
    RoutingRule.objects.create(
        workspace=workspace,
        position=0,
        name="Late orders",
        keywords=["late", "never arrived"],
        team=support,
        priority=2,
        tags=["delivery"],
        handoff=True,
    )
    RoutingRule.objects.create(
        workspace=workspace,
        position=1,
        name="Bengali",
        languages=["bn"],
        assignee=members["agent"].user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            channel,
            [item("a", "My order never arrived, third time!", kind=ItemKind.MENTION)],
            via="poll",
        )
    late = Conversation.objects.get(root_remote_id="a")
    assert late.team == support
    assert late.priority == 2
    assert late.tags == ["delivery"]
    assert late.assignee is None
    notes = list(late.notes.values_list("text", flat=True))
    assert "Late orders: handed to the Support team" in notes
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["support@acme.example"]
    assert f"/inbox/{late.pk}/" in mail.outbox[0].body
    ingest(
        channel,
        [item("b", "আমার অর্ডার কোথায়? খুব দেরি হচ্ছে", author="mou", kind=ItemKind.MENTION)],
        via="poll",
    )
    bengali = Conversation.objects.get(root_remote_id="b")
    assert bengali.assignee == members["agent"].user
    assert bengali.team is None


def test_keywords_match_whole_words_only(channel, workspace):
    RoutingRule.objects.create(
        workspace=workspace, name="Refunds", keywords=["refund"], tags=["money"]
    )
    ingest(
        channel,
        [
            item("a", "Can I get a refund?", kind=ItemKind.MENTION),
            item("b", "refunded already, thanks", author="ravi", kind=ItemKind.MENTION),
        ],
        via="poll",
    )
    assert Conversation.objects.get(root_remote_id="a").tags == ["money"]
    assert Conversation.objects.get(root_remote_id="b").tags == []


def test_stop_ends_the_rule_list(channel, workspace):
    RoutingRule.objects.create(
        workspace=workspace, position=0, name="First", keywords=["price"], tags=["sales"], stop=True
    )
    RoutingRule.objects.create(workspace=workspace, position=1, name="Second", tags=["all"])
    ingest(channel, [item("a", "What is the price?", kind=ItemKind.MENTION)], via="poll")
    assert Conversation.objects.get().tags == ["sales"]


def test_automatic_reply_only_outside_business_hours(
    channel, workspace, django_capture_on_commit_callbacks
):
    InboxSettings.objects.create(
        workspace=workspace,
        business_hours={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    RoutingRule.objects.create(
        workspace=workspace, name="Night", auto_reply="Thanks! We answer from 9 am."
    )
    # Asia/Kolkata: Monday 23 Nov 2026 22:00 is closed, Tuesday 11:00 is open.
    with (
        time_machine.travel("2026-11-23T16:30:00Z"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ingest(channel, [item("night", "Hello?", kind=ItemKind.MENTION)], via="poll")
    with (
        time_machine.travel("2026-11-24T05:30:00Z"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ingest(
            channel, [item("day", "Hello again?", author="ravi", kind=ItemKind.MENTION)], via="poll"
        )
    night = Conversation.objects.get(root_remote_id="night")
    automatic = Message.objects.get(conversation=night, direction="out")
    assert automatic.delivery == Delivery.SENT
    assert night.first_response_at is None, "an automatic answer is not a first response"
    assert not Message.objects.filter(conversation__root_remote_id="day", direction="out").exists()


def test_routing_page_creates_teams_and_rules(client, members, workspace, channel):
    client.force_login(members["manager"].user)
    url = f"/w/{workspace.slug}/inbox/routing/"
    assert (
        client.post(
            url,
            {
                "form": "team",
                "team-name": "Billing",
                "team-email": "billing@acme.example",
                "team-first_response_minutes": "30",
            },
        ).status_code
        == 302
    )
    team = Team.objects.get(name="Billing")
    bad = client.post(url, {"form": "rule", "rule-name": "Invoices", "rule-handoff": "on"})
    assert bad.status_code == 400
    assert not RoutingRule.objects.exists()
    ok = client.post(
        url,
        {
            "form": "rule",
            "rule-name": "Invoices",
            "rule-keywords": "invoice, bill",
            "rule-team": str(team.pk),
            "rule-handoff": "on",
            "rule-sentiments": ["negative"],
        },
    )
    assert ok.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.keywords == ["invoice", "bill"]
    assert rule.sentiments == ["negative"]
    client.force_login(members["agent"].user)
    assert (
        client.post(
            url, {"form": "team", "team-name": "X", "team-first_response_minutes": "5"}
        ).status_code
        == 403
    )
