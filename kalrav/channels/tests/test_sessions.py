"""A channel's Bluesky session kept encrypted in its credentials and reused by every connector
made for it (channels/sessions.py), with renew_credentials queued ahead of the refresh token's
expiry. The network is a respx fake shaped like com.atproto.server.*; the live twin is
tests/peers/test_bluesky_sessions_live.py."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
import respx
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels import sessions as channel_sessions
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import OutgoingPost, opened
from kalrav.connectors.networks.bluesky.tests.test_connector import (
    PASSWORD,
    SESSION,
    XRPC,
    _created,
)


@pytest.fixture
def pds(monkeypatch):
    # pds.example resolves nowhere; the address guard is tested in the connector's own tests.
    monkeypatch.setattr("kalrav.connectors.http.check_url", lambda *args, **kwargs: None)
    with respx.mock(base_url=XRPC, assert_all_called=False) as mock:
        mock.post("/com.atproto.server.createSession", name="sign_in").respond(200, json=SESSION)
        mock.post("/com.atproto.repo.createRecord", name="create").mock(
            side_effect=lambda request: _created(json.loads(request.content)["rkey"])
        )
        yield mock


@pytest.fixture
def channel(workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Brand",
        config={"service_url": "https://pds.example", "handle": "brand.example.com"},
        credentials=sealed.seal({"app_password": PASSWORD}),
        state=ChannelState.ACTIVE,
    )


@pytest.fixture(autouse=True)
def _fresh_process():
    channel_sessions._latest.clear()
    yield
    channel_sessions._latest.clear()


def _publish(channel_id: int, n: int) -> None:
    # As the dispatcher does: a connector per post from the channel row it claimed.
    with opened(services.connector_for(Channel.objects.get(pk=channel_id))) as connector:
        connector.publish(OutgoingPost(text=f"Post {n}"), idempotency_key=f"key-{n}")


def test_posts_of_a_channel_share_one_sign_in_kept_encrypted(
    pds, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(30):
            _publish(channel.pk, n)
    assert pds["create"].call_count == 30
    assert pds["sign_in"].call_count == 1
    channel.refresh_from_db()
    assert SESSION["refreshJwt"] not in channel.credentials  # encrypted at rest
    kept = sealed.unseal(channel.credentials)
    assert kept["app_password"] == PASSWORD
    assert SESSION["refreshJwt"] in kept["session"]

    # Another process (nothing remembered) starts from the stored session: no sign-in.
    channel_sessions._latest.clear()
    _publish(channel.pk, 99)
    assert pds["sign_in"].call_count == 1


def test_renew_credentials_is_queued_ahead_of_the_refresh_tokens_expiry(
    pds, channel, django_capture_on_commit_callbacks
):
    before = len(HUEY.scheduled())
    with django_capture_on_commit_callbacks(execute=True):
        _publish(channel.pk, 1)
        _publish(channel.pk, 2)
    queued = [task for task in HUEY.scheduled()[before:] if task.args == (channel.pk,)]
    assert [task.name for task in queued] == ["renew_credentials_task"]
    # SESSION's refresh token lives one day: renewal at three quarters of it, not at once.
    eta = queued[0].eta if queued[0].eta.tzinfo else queued[0].eta.replace(tzinfo=UTC)
    assert timezone.now() + timedelta(hours=17) < eta < timezone.now() + timedelta(hours=19)
