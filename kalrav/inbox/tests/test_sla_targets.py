"""Resolution targets and team calendars: dues in business hours, across zones and holidays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, InboxSettings, RoutingRule, Team
from kalrav.inbox.sla import targets
from kalrav.inbox.tests.fakes import FakeInboxConnector, item
from kalrav.inbox.work import conversations
from kalrav.workspaces.audit import Actor

WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


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


@pytest.fixture
def kolkata_hours(workspace):
    # The workspace is in Asia/Kolkata (conftest); open 09:00-18:00 on weekdays.
    InboxSettings.objects.update_or_create(
        workspace=workspace,
        defaults={
            "business_hours": WEEKDAYS,
            "holidays": ["2026-11-30"],
            "first_response_minutes": 30,
            "resolution_minutes": 600,
        },
    )


def test_resolution_due_counts_business_hours_and_skips_holidays(channel, kolkata_hours):
    # Friday 27 Nov 2026, 17:00 IST: 60 min on Friday; Monday 30 Nov is a holiday;
    # 540 min on Tuesday (09:00-18:00) are not enough: 600 = 60 + 540 ends Tuesday 18:00.
    with time_machine.travel(datetime(2026, 11, 27, 11, 30, tzinfo=UTC), tick=False):
        ingest(channel, [item("a", "My bill is wrong")], via="poll")
    found = Conversation.objects.get()
    assert found.first_response_due == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # Fri 17:30 IST
    assert found.resolution_due == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # Tue 18:00 IST


def test_a_team_in_another_time_zone_counts_on_its_own_calendar(
    channel, kolkata_hours, workspace, members
):
    # The Athens team works 09:00-17:00 Athens time and has its own holiday on Tuesday.
    athens = Team.objects.create(
        workspace=workspace,
        name="Greece",
        time_zone="Europe/Athens",
        business_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays=["2026-12-01"],
        first_response_minutes=60,
        resolution_minutes=480,
    )
    RoutingRule.objects.create(
        workspace=workspace, name="Greek", keywords=["λογαριασμός"], team=athens
    )
    # Friday 27 Nov, 14:30 UTC = 16:30 Athens (EET): 30 min left on Friday; Monday 30 Nov is the
    # workspace's holiday too (holidays add up), Tuesday is the team's: work resumes Wednesday.
    with time_machine.travel(datetime(2026, 11, 27, 14, 30, tzinfo=UTC), tick=False):
        ingest(channel, [item("g", "Ο λογαριασμός μου είναι λάθος")], via="poll")
    found = Conversation.objects.get()
    assert found.team == athens
    assert found.first_response_due == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # Wed 09:30 EET
    # 480 = 30 (Fri) + 450 on Wednesday from 09:00 EET: 16:30 EET = 14:30 UTC.
    assert found.resolution_due == datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


def test_moving_to_a_team_recomputes_both_dues_from_arrival(channel, workspace, members):
    with time_machine.travel(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), tick=False):
        ingest(channel, [item("a", "Hello")], via="poll")
        conversation = Conversation.objects.get()
        assert conversation.resolution_due == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
        fast = Team.objects.create(
            workspace=workspace, name="VIP", first_response_minutes=5, resolution_minutes=60
        )
        owner = members["owner"]
        conversations.assign(
            owner, Actor(user=owner.user), conversation.pk, assignee_id=None, team_id=fast.pk
        )
    conversation.refresh_from_db()
    assert conversation.first_response_due == datetime(2026, 11, 23, 6, 5, tzinfo=UTC)
    assert conversation.resolution_due == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_answer_and_resolution_times_are_measured_in_business_and_wall_minutes(
    channel, kolkata_hours, members
):
    with time_machine.travel(datetime(2026, 11, 27, 12, 20, tzinfo=UTC), tick=False):  # Fri 17:50
        ingest(channel, [item("a", "Help")], via="poll")
    conversation = Conversation.objects.get()
    targets.record_first_response(conversation.pk, datetime(2026, 12, 1, 3, 35, tzinfo=UTC))
    assert not targets.record_first_response(conversation.pk, datetime(2026, 12, 2, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 1, 4, 30, tzinfo=UTC), tick=False):  # Tue 10:00
        owner = members["owner"]
        conversations.set_state(owner, Actor(user=owner.user), conversation.pk, "resolved")
    conversation.refresh_from_db()
    assert conversation.first_response_business_minutes == pytest.approx(15)  # 10 Fri + 5 Tue
    assert conversation.first_response_wall_minutes == pytest.approx(3 * 24 * 60 + 15 * 60 + 15)
    assert conversation.resolution_business_minutes == pytest.approx(70)
    owner = members["owner"]
    conversations.set_state(owner, Actor(user=owner.user), conversation.pk, "open")
    conversation.refresh_from_db()
    assert conversation.resolved_at is None and conversation.resolution_business_minutes is None


def test_the_list_warns_before_a_breach_and_marks_missed_targets(channel, workspace, member_client):
    InboxSettings.objects.update_or_create(
        workspace=workspace, defaults={"first_response_minutes": 30}
    )
    with time_machine.travel(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), tick=False):
        ingest(
            channel,
            [item("soon", "Hi", author="asha"), item("ok", "Hey", author="ravi")],
            via="poll",
        )
    Conversation.objects.filter(root_remote_id="ok").update(
        first_response_due=datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    )
    client = member_client("agent")
    with time_machine.travel(datetime(2026, 11, 23, 6, 25, tzinfo=UTC), tick=False):
        page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert "almost late" in page  # 5 of 30 minutes left: under a fifth
    assert page.count("almost late") == 1
    with time_machine.travel(datetime(2026, 11, 23, 6, 40, tzinfo=UTC), tick=False):
        page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert "Answer target missed" in page and "breached" in page
