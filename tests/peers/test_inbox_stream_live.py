"""A reply made by another account on Bluesky's reference network reaches the inbox by stream,
and an answer sent from Kalrav appears on the network."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import ConnectorContext, OutgoingPost
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.inbox.intake import streams
from kalrav.inbox.models import Conversation, Delivery, Message
from kalrav.inbox.work import replies
from kalrav.workspaces.audit import Actor

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _connector(network, account) -> BlueskyConnector:
    context = ConnectorContext(
        channel_id=account["handle"],
        config={"service_url": network.pds_url, "handle": account["handle"]},
        credentials={"app_password": account["password"]},
    )
    return BlueskyConnector(context, transport=Transport(allow_private=True))


def _until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("not there in time")


def test_reply_arrives_by_stream_and_answer_goes_out(
    bluesky_network, workspace, members, settings, django_capture_on_commit_callbacks
):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    brand, fan = bluesky_network.create_account("brand"), bluesky_network.create_account("fan")
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Brand",
        config={"service_url": bluesky_network.pds_url, "handle": brand["handle"]},
        credentials=sealed.seal({"app_password": brand["password"]}),
        state=ChannelState.ACTIVE,
    )
    post = _connector(bluesky_network, brand).publish(
        OutgoingPost(text="New blend today!"), idempotency_key="stream-test-post"
    )

    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    listener = threading.Thread(
        target=lambda: loop.run_until_complete(streams.follow(channel.pk, stop)), daemon=True
    )
    listener.start()
    try:
        time.sleep(1.0)  # let the firehose subscription open
        fan_connector = _connector(bluesky_network, fan)
        sent_at = time.monotonic()
        fan_connector.publish(
            OutgoingPost(text="Is it caffeine free?", reply_to=post), idempotency_key="fan-reply"
        )
        message = _until(
            lambda: Message.objects.filter(
                channel=channel, via="stream", text="Is it caffeine free?"
            ).first()
        )
        latency = time.monotonic() - sent_at
    finally:
        loop.call_soon_threadsafe(stop.set)
        listener.join(timeout=10)
    assert latency < 10, f"took {latency:.1f} s"
    conversation = Conversation.objects.get(pk=message.conversation_id)
    with django_capture_on_commit_callbacks(execute=True):
        answer = replies.reply(
            members["agent"],
            Actor(user=members["agent"].user),
            conversation.pk,
            "No, it has caffeine.",
        )
    answer.refresh_from_db()
    assert answer.delivery == Delivery.SENT, answer.error
    assert answer.remote_id.startswith("at://")
