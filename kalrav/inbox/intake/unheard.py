"""Which of a workspace's channels the inbox is not hearing, for the banner on the inbox page.

A channel is heard while it is active (streamed and polled). A failing one is checked again by
itself (kalrav.channels.probing) and a rate-limited one waits out the network's pause: both say
when Kalrav tries again. One that needs reconnecting waits for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import InboxReader
from kalrav.workspaces.models import Workspace

UNHEARD = (ChannelState.FAILING, ChannelState.RATE_LIMITED, ChannelState.NEEDS_RECONNECT)


@dataclass(frozen=True)
class Unheard:
    channel: Channel
    since: datetime | None  # the first failure after the last success
    retry_at: datetime | None  # when Kalrav tries again by itself; None when a person must act

    @property
    def needs_person(self) -> bool:
        return self.channel.state == ChannelState.NEEDS_RECONNECT


def unheard_channels(workspace: Workspace) -> list[Unheard]:
    found = []
    for channel in Channel.objects.filter(workspace=workspace, state__in=UNHEARD):
        try:
            if not channels.network_info(channel.network).can(InboxReader):
                continue  # a channel that only publishes brings nothing to the inbox
        except ValidationError:
            continue  # a network Kalrav no longer knows; the channels page says so
        retry_at = {
            ChannelState.FAILING: channel.next_probe_at,
            ChannelState.RATE_LIMITED: channel.rate_limited_until,
        }.get(ChannelState(channel.state))
        found.append(
            Unheard(
                channel, since=channel.unheard_since or channel.last_error_at, retry_at=retry_at
            )
        )
    return found
