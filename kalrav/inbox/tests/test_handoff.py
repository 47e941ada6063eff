"""Hand-offs to a team's department: by email and to its helpdesk's signed webhook."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.core import mail

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.hooks import delivery as hook_delivery
from kalrav.hooks import services as hooks
from kalrav.hooks import signing
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Handoff, RoutingRule, Team
from kalrav.inbox.teams import handoff
from kalrav.inbox.tests.fakes import FakeInboxConnector, item
from kalrav.workspaces.audit import Actor

HELPDESK = "https://93.184.215.14/helpdesk/kalrav"


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
def billing(workspace, members):
    owner = members["owner"]
    endpoint, secret = hooks.create_endpoint(
        owner, Actor(user=owner.user), url=HELPDESK, events=[], description="Billing desk"
    )
    team = Team.objects.create(
        workspace=workspace, name="Billing", email="billing@acme.example", handoff_endpoint=endpoint
    )
    RoutingRule.objects.create(
        workspace=workspace, name="Refunds", keywords=["refund"], team=team, handoff=True
    )
    team.secret = secret
    return team


@respx.mock
def test_routing_hands_off_by_email_and_webhook_and_says_so(
    channel, billing, django_capture_on_commit_callbacks
):
    route = respx.post(HELPDESK).mock(
        return_value=httpx.Response(
            201, json={"ticket_id": 123, "url": "https://desk.example/t/123"}
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(channel, [item("r", "Refund please, order 9")], via="poll")
    conversation = Conversation.objects.get()
    request = route.calls[0].request
    assert signing.verify(billing.secret, request.content, request.headers["Kalrav-Signature"])
    sent = json.loads(request.content)["data"]
    assert sent["conversation"]["author"]["handle"] == "@asha"
    assert sent["messages"][-1]["text"] == "Refund please, order 9"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["billing@acme.example"]
    by_email, by_hook = conversation.handoffs.order_by("via")
    assert by_email.via == "email" and by_email.state == Handoff.State.SENT
    assert by_hook.ticket_id == "123" and by_hook.ticket_url == "https://desk.example/t/123"
    notes = list(conversation.notes.values_list("text", flat=True))
    assert "Refunds: handed to the Billing team" in notes
    assert "Refunds: emailed to billing@acme.example" in notes
    assert "Refunds: sent to the Billing team's helpdesk" in notes


@respx.mock
def test_the_conversation_page_shows_the_ticket(
    channel, billing, member_client, workspace, django_capture_on_commit_callbacks
):
    respx.post(HELPDESK).mock(
        return_value=httpx.Response(
            200, json={"ticket_id": "123", "url": "https://desk.example/t/123"}
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(channel, [item("r", "refund")], via="poll")
    conversation = Conversation.objects.get()
    page = member_client("agent").get(f"/w/{workspace.slug}/inbox/{conversation.pk}/")
    text = page.content.decode()
    # The helpdesk's ticket id and the team's name are isolated (issue 15, finding 12).
    assert "Ticket #<bdi>123</bdi> in <bdi>Billing</bdi>'s helpdesk" in text
    assert 'href="https://desk.example/t/123"' in text


@respx.mock
def test_a_failed_handoff_is_shown_retried_and_can_be_tried_again(
    channel, billing, member_client, workspace, django_capture_on_commit_callbacks
):
    route = respx.post(HELPDESK).mock(return_value=httpx.Response(502, text="bad gateway"))
    with django_capture_on_commit_callbacks(execute=True):
        ingest(channel, [item("r", "refund")], via="poll")
    conversation = Conversation.objects.get()
    hooked = conversation.handoffs.get(via="webhook")
    assert hooked.state == Handoff.State.RETRYING and "502" in hooked.error
    for _ in range(hook_delivery.MAX_ATTEMPTS - 1):  # the scheduled retries
        hook_delivery.attempt(hooked.delivery_id)
    hooked.refresh_from_db()
    assert hooked.state == Handoff.State.FAILED and route.call_count == hook_delivery.MAX_ATTEMPTS
    assert any("failed" in n for n in conversation.notes.values_list("text", flat=True))
    page = member_client("agent").get(f"/w/{workspace.slug}/inbox/{conversation.pk}/")
    assert "Try again now" in page.content.decode()
    route.mock(return_value=httpx.Response(200, json={"ticket_id": "BIL-7"}))
    with django_capture_on_commit_callbacks(execute=True):
        page = member_client("agent").post(
            f"/w/{workspace.slug}/inbox/handoffs/{hooked.pk}/retry/", follow=True
        )
    hooked.refresh_from_db()
    assert hooked.state == Handoff.State.SENT and hooked.ticket_id == "BIL-7"


def test_a_ticket_link_that_is_not_a_web_address_is_dropped():
    assert handoff.ticket_from('{"ticket_id": "9", "url": "javascript:alert(1)"}') == ("9", "")
    assert handoff.ticket_from("not json") == ("", "")
    assert handoff.ticket_from('["x"]') == ("", "")


@respx.mock
def test_a_member_hands_off_from_the_conversation_page(
    channel, billing, member_client, workspace, django_capture_on_commit_callbacks
):
    respx.post(HELPDESK).mock(return_value=httpx.Response(200, json={"ticket_id": "55"}))
    ingest(channel, [item("q", "Where is my parcel?")], via="poll")  # no rule matches
    conversation = Conversation.objects.get()
    assert not conversation.handoffs.exists()
    with django_capture_on_commit_callbacks(execute=True):
        page = member_client("agent").post(
            f"/w/{workspace.slug}/inbox/{conversation.pk}/handoff/",
            {"team": billing.pk},
            follow=True,
        )
    assert "Handed off" in page.content.decode()
    assert conversation.handoffs.filter(state=Handoff.State.SENT).count() == 2
    assert any(
        n.startswith("agent@example.test: sent to the Billing team")
        for n in conversation.notes.values_list("text", flat=True)
    )


def test_a_team_without_a_way_to_reach_it_is_refused(channel, workspace, members):
    team = Team.objects.create(workspace=workspace, name="PR")
    ingest(channel, [item("q", "Hello")], via="poll")
    agent = members["agent"]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        handoff.hand_off(agent, Actor(user=agent.user), Conversation.objects.get().pk, team.pk)


def test_the_team_page_saves_targets_calendar_members_and_webhook(
    billing, member_client, workspace, members
):
    client = member_client("manager")
    url = f"/w/{workspace.slug}/inbox/teams/{billing.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Billing",
            "email": "billing@acme.example",
            "handoff_endpoint": "",
            "members": [str(members["agent"].user_id)],
            "first_response_minutes": "20",
            "resolution_minutes": "480",
            "time_zone": "Europe/Athens",
            "business_hours": "mon 09:00-17:00",
            "holidays": "2026-12-24",
        },
    )
    assert response.status_code == 302
    billing.refresh_from_db()
    assert billing.resolution_minutes == 480 and billing.time_zone == "Europe/Athens"
    assert billing.business_hours == {"mon": [["09:00", "17:00"]]}
    assert billing.handoff_endpoint is None
    assert list(billing.members.all()) == [members["agent"].user]
    bad = client.post(
        url, {"name": "Billing", "first_response_minutes": "20", "time_zone": "Mars/Base"}
    )
    assert bad.status_code == 400 and "Unknown time zone" in bad.content.decode()
