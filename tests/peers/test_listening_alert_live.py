"""The live twin of the spike alert: posts on Bluesky's reference network reach listening by the
channel's public stream (the PDS firehose, followed as `kalrav listen` follows it), are stored
by listening's intake and checked on arrival; the alert fires within 10 s of the spike's first
post."""

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
from kalrav.listening.alerts.models import Alert, AlertNotice, AlertRule
from kalrav.listening.models import Mention, Monitor, Source, SourceKind
from kalrav.listening.sources import streams
from kalrav.nlp.services import warm_up_in_background

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POSTS = 12
LIMIT_SECONDS = 10.0


def _connector(network, account) -> BlueskyConnector:
    context = ConnectorContext(
        channel_id=account["handle"],
        config={"service_url": network.pds_url, "handle": account["handle"]},
        credentials={"app_password": account["password"]},
    )
    return BlueskyConnector(context, transport=Transport(allow_private=True))


def test_a_spike_on_the_network_raises_an_alert_within_ten_seconds(
    bluesky_network, workspace, members, settings
):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    settings.BLUESKY_JETSTREAM_URL = ""  # the PDS's own firehose
    brand = bluesky_network.create_account("brand")
    fans = [
        _connector(bluesky_network, bluesky_network.create_account(f"fan{i}")) for i in range(3)
    ]
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
        config={"service_url": bluesky_network.pds_url, "handle": brand["handle"]},
        credentials=sealed.seal({"app_password": brand["password"]}),
    )  # fmt: skip
    source = Source.objects.create(workspace=workspace, kind=SourceKind.BLUESKY, channel=channel)
    monitor = Monitor.objects.create(workspace=workspace, name="Kettle", query="kettlegate")
    AlertRule.objects.create(workspace=workspace, monitor=monitor, kind="spike")

    # As `kalrav listen` runs: language and sentiment models loaded, the stream followed.
    warm_up_in_background(quality=False).join(timeout=120)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    listener = threading.Thread(
        target=lambda: loop.run_until_complete(streams.follow(source.pk, stop)), daemon=True
    )
    listener.start()
    alert = None
    try:
        fans[0].publish(OutgoingPost(text="Morning all"), idempotency_key="warm")
        time.sleep(1.0)  # the subscription is open
        first = time.time()
        for i in range(POSTS):
            fans[i % len(fans)].publish(
                OutgoingPost(text=f"Is the kettlegate story true? ({i})"), idempotency_key=f"k{i}"
            )
        while alert is None and time.time() - first < 3 * LIMIT_SECONDS:
            alert = Alert.objects.filter(monitor=monitor).first()
            time.sleep(0.1)
    finally:
        loop.call_soon_threadsafe(stop.set)
        listener.join(timeout=10)
    assert alert is not None, "no alert"
    assert alert.fired_at.timestamp() - first < LIMIT_SECONDS
    assert alert.count >= 10 and alert.kind == "spike"
    assert AlertNotice.objects.filter(alert=alert, user=members["agent"].user).exists()
    assert Alert.objects.count() == 1
    # The prefilter let only the monitor's words through: the greeting never reached storage.
    assert set(Mention.objects.values_list("source_id", flat=True)) == {source.pk}
    assert not Mention.objects.filter(text="Morning all").exists()
    source.refresh_from_db()
    assert source.cursor["position"].startswith("firehose:")
