"""X's single-use refresh token kept in the channel's sealed credentials by the channels app's
session keeper (channels/sessions.py): the new pair is stored when X hands it over, every
connector made for the channel afterwards starts from it, and renew_credentials never writes an
older pair back."""

from __future__ import annotations

import time

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels import sessions as channel_sessions
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import opened
from kalrav.connectors.networks.x.client import Tokens
from kalrav.connectors.networks.x.tests.fake import OWN_ID, FakeX

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch):
    # api.x.com is answered by the fake; the address guard is tested in connectors/tests.
    monkeypatch.setattr("kalrav.connectors.http.check_url", lambda *args, **kwargs: None)
    channel_sessions._latest.clear()
    yield
    channel_sessions._latest.clear()


@pytest.fixture
def channel(workspace, fake: FakeX) -> Channel:
    expired = Tokens(fake.access, fake.refresh, time.time() - 1, OWN_ID).encode()
    return Channel.objects.create(
        workspace=workspace,
        network="x",
        name="Chai Corner",
        config={"user_id": OWN_ID},
        credentials=sealed.seal({"session": expired}),
        remote_id=OWN_ID,
        state=ChannelState.ACTIVE,
    )


def _stored(channel: Channel) -> Tokens:
    row = Channel.objects.get(pk=channel.pk)
    tokens = Tokens.decode(sealed.unseal(row.credentials)["session"])
    assert tokens is not None
    return tokens


def test_the_new_pair_is_stored_and_used_by_the_next_connector(fake: FakeX, channel) -> None:
    stale_row = Channel.objects.get(pk=channel.pk)  # read before the renewal, like a batch
    with opened(services.connector_for(channel)) as connector:
        connector.verify()
    assert fake.refreshes == 1 and _stored(channel).refresh_token == fake.refresh
    with opened(services.connector_for(stale_row)) as connector:
        connector.verify()
    assert fake.refreshes == 1, "a connector made from the old row refreshed a used-up token"


def test_renewing_ahead_keeps_the_newest_pair(fake: FakeX, channel) -> None:
    services.renew_credentials(channel.pk)
    services.renew_credentials(channel.pk)
    row = Channel.objects.get(pk=channel.pk)
    assert fake.refreshes == 2 and _stored(channel).refresh_token == fake.refresh
    assert row.credentials_renewed_at is not None and row.state == ChannelState.ACTIVE
    with opened(services.connector_for(row)) as connector:
        connector.verify()
    assert fake.refreshes == 2


def test_a_revoked_grant_turns_the_channel_to_needs_reconnect(fake: FakeX, channel) -> None:
    fake.revoked = True
    services.renew_credentials(channel.pk)
    assert Channel.objects.get(pk=channel.pk).state == ChannelState.NEEDS_RECONNECT
