"""Against Bluesky's reference network: after the network is unreachable for a while, the inbox
hears the channel again by itself, and what fans said during and after the outage arrives by the
stream. Nobody reconnects anything (issue 14, items 1 and 8).

Kalrav reaches the PDS through a TCP gate (tcp_gate.py); shutting the gate makes the network
unreachable to Kalrav only, while the fan keeps writing to it directly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels import probing
from kalrav.channels import services as channel_services
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import ConnectorContext, OutgoingPost
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.inbox.intake import polling, streams
from kalrav.inbox.models import Message
from tests.peers.tcp_gate import TcpGate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _direct(network, account) -> BlueskyConnector:
    context = ConnectorContext(
        channel_id=account["handle"],
        config={"service_url": network.pds_url, "handle": account["handle"]},
        credentials={"app_password": account["password"]},
    )
    return BlueskyConnector(context, transport=Transport(allow_private=True))


def _until(check, timeout: float, every=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if every is not None:
            every()
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError("not there in time")


def _streamed(channel: Channel, text: str) -> Message | None:
    return Message.objects.filter(channel=channel, via="stream", text=text).first()


def test_the_inbox_hears_a_channel_again_after_an_outage_by_itself(
    bluesky_network, workspace, settings, monkeypatch
):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    # Shorter than in production (30 s doubling, rescans every 30 s) so the test takes seconds;
    # the mechanism is the same: the minute's task, run here as often as the scheduler would.
    monkeypatch.setattr(channel_services, "FIRST_PROBE", timedelta(seconds=1))
    monkeypatch.setattr(streams, "RESCAN_SECONDS", 0.5)
    gate = TcpGate(urlsplit(bluesky_network.pds_url).port or 80)
    gate.open()
    brand, fan = bluesky_network.create_account("brand"), bluesky_network.create_account("fan")
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Brand",
        config={"service_url": gate.url, "handle": brand["handle"]},
        credentials=sealed.seal({"app_password": brand["password"]}),
        state=ChannelState.ACTIVE,
    )
    post = _direct(bluesky_network, brand).publish(
        OutgoingPost(text="Monsoon blend is back"), idempotency_key="outage-post"
    )
    fan_says = _direct(bluesky_network, fan)

    def say(text: str, key: str) -> None:
        fan_says.publish(OutgoingPost(text=text, reply_to=post), idempotency_key=key)

    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    listener = threading.Thread(
        target=lambda: loop.run_until_complete(streams.run(stop)), daemon=True
    )
    listener.start()
    try:
        time.sleep(1.5)  # the firehose subscription opens
        say("Before the outage", "fan-1")
        # Generous: the first message after a start also waits for the sentiment models (item 9).
        _until(lambda: _streamed(channel, "Before the outage"), timeout=45)

        gate.shut()
        polling.poll_channel(channel.pk)  # the minute's poll meets the outage
        channel.refresh_from_db()
        assert channel.state == ChannelState.FAILING, channel.state_detail
        assert channel.unheard_since is not None and channel.next_probe_at is not None
        say("During the outage", "fan-2")  # to the network, which Kalrav cannot reach
        time.sleep(3)
        probing.probe_failing_channels.call_local()  # a check while still down fails
        channel.refresh_from_db()
        assert channel.state == ChannelState.FAILING
        assert channel.probe_attempts >= 1

        gate.open()
        started = time.monotonic()
        # The scheduler runs the probe; nothing else is done for the channel.
        _until(
            lambda: Channel.objects.filter(pk=channel.pk, state=ChannelState.ACTIVE).exists(),
            timeout=30,
            every=probing.probe_failing_channels.call_local,
        )
        recovered_in = time.monotonic() - started

        # What was said while Kalrav could not hear comes by the stream, from where it stopped.
        _until(lambda: _streamed(channel, "During the outage"), timeout=40)
        say("After the outage", "fan-3")
        _until(lambda: _streamed(channel, "After the outage"), timeout=40)
    finally:
        loop.call_soon_threadsafe(stop.set)
        listener.join(timeout=15)
        gate.shut()
    channel.refresh_from_db()
    assert (channel.state, channel.unheard_since, channel.probe_attempts) == (
        ChannelState.ACTIVE,
        None,
        0,
    )
    assert recovered_in < 15, f"recovered after {recovered_in:.1f} s"
    assert Message.objects.filter(channel=channel).count() == 3
