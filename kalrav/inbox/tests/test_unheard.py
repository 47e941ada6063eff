"""The inbox says which channels it is not hearing, since when, and when Kalrav tries again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.errors import AuthExpired, Transient
from kalrav.inbox.tests.fakes import FakeInboxConnector

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake_inbox():
    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": f"{FakeInboxConnector.__module__}.FakeInboxConnector"}
    )
    yield FakeInboxConnector
    registry.reset()


def _channel(workspace, name: str) -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="fakeinbox", name=name, state=ChannelState.ACTIVE
    )


def _banner(client, workspace) -> str:
    page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    start = page.find('class="card unheard"')
    return page[start : page.find("</section>", start)] if start >= 0 else ""


def test_the_inbox_names_channels_it_does_not_hear(client, workspace, members, fake_inbox):
    client.force_login(members["agent"].user)
    failing, revoked, _fine = (_channel(workspace, n) for n in ("Chai Shop", "Old Shop", "Fine"))
    with time_machine.travel(NOW - timedelta(minutes=3), tick=False):
        channels.record_failure(failing.pk, Transient("connection refused"))
    with time_machine.travel(NOW - timedelta(minutes=2), tick=False):
        channels.record_failure(failing.pk, Transient("connection refused"))  # a failed check
        channels.record_failure(revoked.pk, AuthExpired("token revoked"))

    with time_machine.travel(NOW - timedelta(seconds=90), tick=False):
        banner = _banner(client, workspace)
    assert "Chai Shop" in banner and "Old Shop" in banner and "Fine" not in banner
    assert "not heard since 7 Dec 2026, 08:57." in banner  # the first failure, not the last
    # Failed twice: the next check comes a minute after the second failure.
    assert "Kalrav tries again by itself at 08:59." in banner
    assert "It needs reconnecting before Kalrav can hear it again." in banner

    with time_machine.travel(NOW, tick=False):  # the check is due and not yet answered
        assert "Kalrav is trying again now." in _banner(client, workspace)

    channels.record_success(failing.pk)
    channels.record_success(revoked.pk)
    assert _banner(client, workspace) == ""


def test_the_rows_refresh_carries_the_banner(client, workspace, members, fake_inbox):
    """The list refreshes itself every 10 s; a channel heard again leaves the banner then."""
    client.force_login(members["agent"].user)
    channel = _channel(workspace, "Chai Shop")
    channels.record_failure(channel.pk, Transient("timed out"))
    rows = client.get(f"/w/{workspace.slug}/inbox/", headers={"HX-Request": "true"})
    assert "Chai Shop" in rows.content.decode()
    assert "Not being heard" in rows.content.decode()
