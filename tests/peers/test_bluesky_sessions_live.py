"""Sign-ins spent by one channel on Bluesky's reference network (issue 14, item 3): 30 posts,
inbox polls and stream reconnects, each with its own connector as the dispatcher, poller and
listener make them, sign in once; renewing the credentials refreshes the session without
signing in. The PDS logs every createSession and refreshSession (net.js) and is counted here."""

from __future__ import annotations

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels import sessions as channel_sessions
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import OutgoingPost, opened

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIGN_IN = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"


def _fresh(channel: Channel) -> Channel:
    return Channel.objects.get(pk=channel.pk)


def test_thirty_posts_polls_and_reconnects_sign_in_once(bluesky_network, workspace, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    brand = bluesky_network.create_account("sessions")
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Brand",
        config={"service_url": bluesky_network.pds_url, "handle": brand["handle"]},
        credentials=sealed.seal({"app_password": brand["password"]}),
        state=ChannelState.ACTIVE,
    )
    before = bluesky_network.session_calls()

    for n in range(30):
        with opened(services.connector_for(_fresh(channel))) as connector:
            connector.publish(OutgoingPost(text=f"Session post {n}"), idempotency_key=f"s-{n}")
    for _poll in range(3):
        with opened(services.connector_for(_fresh(channel))) as connector:
            connector.fetch_inbox(None)
    # A stream reconnect opens a new connector and reads the account's DID first; a restarted
    # process remembers nothing and starts from the stored session.
    channel_sessions._latest.clear()
    with opened(services.connector_for(_fresh(channel))) as connector:
        assert connector.did == brand["did"]

    after = bluesky_network.session_calls()
    assert after[SIGN_IN] - before[SIGN_IN] == 1
    assert after[REFRESH] - before[REFRESH] == 0

    # What the queued renew_credentials does: one refresh, no sign-in; the next post uses it.
    services.renew_credentials(channel.pk)
    with opened(services.connector_for(_fresh(channel))) as connector:
        connector.publish(OutgoingPost(text="After the refresh"), idempotency_key="s-after")
    final = bluesky_network.session_calls()
    assert final[SIGN_IN] - before[SIGN_IN] == 1
    assert final[REFRESH] - before[REFRESH] == 1
