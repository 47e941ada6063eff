"""A real HTTP server on loopback receives Kalrav's signed webhooks (no fakes of httpx)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.hooks import services, signing
from kalrav.hooks.models import Delivery, DeliveryState
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Handoff, RoutingRule, Team
from kalrav.inbox.tests.fakes import FakeInboxConnector, item
from kalrav.workspaces.audit import Actor


class Receiver:
    """A helpdesk: checks the signature with its copy of the secret, answers with a ticket."""

    def __init__(self):
        self.secret = ""
        self.received: list[dict] = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not signing.verify(receiver.secret, body, self.headers["Kalrav-Signature"]):
                    receiver.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body))
                answer = json.dumps({"ticket_id": "123", "url": "https://helpdesk.example/t/123"})
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kalrav"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


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


@override_settings(ALLOW_PRIVATE_ADDRESSES=True)
def test_a_new_message_reaches_a_real_receiver_signed(receiver, channel, members, commit):
    owner = members["owner"]
    endpoint, receiver.secret = services.create_endpoint(
        owner, Actor(user=owner.user), url=receiver.url, events=["message.received"]
    )
    with commit(execute=True):
        ingest(channel, [item("m1", "Where is my parcel?")], via="poll")
    assert receiver.refused == 0
    [event] = receiver.received
    assert event["type"] == "message.received"
    assert event["data"]["message"]["text"] == "Where is my parcel?"
    conversation = Conversation.objects.get()
    assert event["data"]["conversation"]["url"].endswith(f"/inbox/{conversation.pk}/")
    record = Delivery.objects.get(endpoint=endpoint)
    assert record.state == DeliveryState.SUCCEEDED and record.response_code == 201


@override_settings(ALLOW_PRIVATE_ADDRESSES=True)
def test_a_wrong_secret_is_refused_by_the_receiver_and_recorded(receiver, members, commit):
    owner = members["owner"]
    endpoint, _secret = services.create_endpoint(
        owner, Actor(user=owner.user), url=receiver.url, events=[]
    )
    receiver.secret = signing.new_secret()  # the helpdesk was given another secret
    with commit(execute=True):
        services.send_test(owner, Actor(user=owner.user), endpoint.pk)
    assert receiver.refused == 1 and receiver.received == []
    record = Delivery.objects.get(endpoint=endpoint)
    assert record.state == DeliveryState.FAILED and record.response_code == 401


@override_settings(ALLOW_PRIVATE_ADDRESSES=True)
def test_a_routing_rule_hands_off_to_the_helpdesk_and_keeps_the_ticket(
    receiver, channel, members, workspace, commit
):
    owner = members["owner"]
    endpoint, receiver.secret = services.create_endpoint(
        owner, Actor(user=owner.user), url=receiver.url, events=[], description="Billing desk"
    )
    billing = Team.objects.create(workspace=workspace, name="Billing", handoff_endpoint=endpoint)
    RoutingRule.objects.create(
        workspace=workspace, name="Refunds", keywords=["refund"], team=billing, handoff=True
    )
    with commit(execute=True):
        ingest(channel, [item("r1", "I want a refund for order 77")], via="poll")
    conversation = Conversation.objects.get()
    [event] = receiver.received
    assert event["type"] == "handoff.created"
    assert event["data"]["messages"][0]["text"] == "I want a refund for order 77"
    assert event["data"]["conversation"]["url"].endswith(f"/inbox/{conversation.pk}/")
    handoff = Handoff.objects.get(conversation=conversation)
    assert handoff.state == Handoff.State.SENT
    assert (handoff.ticket_id, handoff.ticket_url) == ("123", "https://helpdesk.example/t/123")
    notes = list(conversation.notes.values_list("text", flat=True))
    assert "Refunds: sent to the Billing team's helpdesk" in notes
    assert "The Billing team's helpdesk opened ticket #123." in notes
