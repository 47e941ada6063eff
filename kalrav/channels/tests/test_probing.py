"""A failing channel is checked again by itself, each time later, until the network answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from kalrav.channels import credentials as sealed
from kalrav.channels import probing, services
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.account import AccountInfo, AccountVerifier
from kalrav.connectors.errors import AuthExpired, Transient

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class DownNetwork:
    """A network that is unreachable until `DownNetwork.up` is set, as a timed-out server is."""

    slug = "down"
    label = "Down"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = (AccountVerifier,)
    settings_fields = ()
    up = False
    error: Exception = Transient("connection refused")
    checks = 0

    def __init__(self, context):
        self.context = context

    def verify(self) -> AccountInfo:
        DownNetwork.checks += 1
        if not DownNetwork.up:
            raise DownNetwork.error
        return AccountInfo(remote_id="acct-1", handle="brand")


@pytest.fixture
def network():
    registry.reset({**registry.CONNECTORS, "down": f"{__name__}.DownNetwork"})
    DownNetwork.up, DownNetwork.checks = False, 0
    DownNetwork.error = Transient("connection refused")
    yield DownNetwork
    registry.reset()


@pytest.fixture
def channel(workspace, network) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="down",
        name="Brand",
        credentials=sealed.seal({}),
        state=ChannelState.ACTIVE,
    )


def _run_minute(at: datetime) -> int:
    """What Huey's scheduler does once a minute (tests run tasks immediately)."""
    with time_machine.travel(at, tick=False):
        return probing.probe_failing_channels.call_local()


def test_waits_double_and_are_capped():
    delays = [services.probe_delay(n).total_seconds() for n in range(9)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays[-1] == 1800  # never more than half an hour apart
    assert services.probe_delay(10_000) == timedelta(minutes=30)


def test_a_failing_channel_recovers_by_itself_with_backoff(channel, network):
    with time_machine.travel(START, tick=False):
        services.record_failure(channel.pk, Transient("timed out"))
    channel.refresh_from_db()
    assert channel.state == ChannelState.FAILING
    assert channel.unheard_since == START
    assert channel.next_probe_at == START + timedelta(seconds=30)

    # The network stays down: checks come at 30 s, then 60 s and 120 s after each failure.
    minute = START
    probe_times = []
    while minute < START + timedelta(minutes=6):
        minute += timedelta(seconds=15)
        before = network.checks
        _run_minute(minute)
        if network.checks > before:
            probe_times.append(minute - START)
    assert probe_times == [timedelta(seconds=30), timedelta(seconds=90), timedelta(seconds=210)]
    channel.refresh_from_db()
    assert channel.state == ChannelState.FAILING
    assert channel.probe_attempts == 3
    assert channel.unheard_since == START  # since the first failure, not the latest
    assert channel.next_probe_at == START + timedelta(seconds=210 + 240)

    # Nothing runs before it is due, even if the minute's task runs twice.
    assert _run_minute(START + timedelta(seconds=400)) == 0

    network.up = True
    assert _run_minute(START + timedelta(seconds=450)) == 1
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE
    assert (channel.unheard_since, channel.next_probe_at, channel.probe_attempts) == (None, None, 0)
    assert _run_minute(START + timedelta(hours=1)) == 0  # an active channel is left alone


def test_a_channel_needing_a_person_is_not_probed(channel, network):
    network.error = AuthExpired("the app password was revoked")
    services.record_failure(channel.pk, network.error)
    channel.refresh_from_db()
    assert channel.state == ChannelState.NEEDS_RECONNECT
    assert _run_minute(datetime.now(UTC) + timedelta(hours=1)) == 0
    assert network.checks == 0


def test_two_runs_at_once_check_a_channel_once(channel, network):
    with time_machine.travel(START, tick=False):
        services.record_failure(channel.pk, Transient("timed out"))
    later = START + timedelta(minutes=1)
    assert probing.due_channels(later) == [channel.pk]
    assert probing.due_channels(later) == []
