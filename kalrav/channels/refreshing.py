"""Credentials a network lets Kalrav refresh (Instagram Login's 60-day token) are refreshed ahead
of their end, before the expiry notices (expiry.py, 06:17) would email the channel's owner: a
channel whose token can be renewed without anyone signing in never asks them to.

Each refresh runs in renew_credentials_task; the connector refreshes only when its network allows
and it is due (Instagram: 24 hours old, 10 days or less left), through the channel's session
keeper, one at a time per channel. A refresh that fails keeps the old token; one the network
refuses turns the channel to "needs reconnect" (services.record_failure), and the notices follow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.account import CredentialRefresher

# Looked at this far ahead: a few more days than any network's refresh window, so a day the task
# did not run (a stopped worker) costs nothing.
AHEAD = timedelta(days=14)


def due_refreshes(now: datetime | None = None) -> list[int]:
    """Channels whose credentials end within AHEAD on a network that can refresh them."""
    now = now or timezone.now()
    rows = Channel.objects.filter(
        credentials_expire_at__isnull=False,
        credentials_expire_at__gt=now,
        credentials_expire_at__lte=now + AHEAD,
    ).exclude(state__in=[ChannelState.PAUSED, ChannelState.NEEDS_RECONNECT])
    due = []
    for channel_id, network in rows.values_list("pk", "network"):
        try:
            refreshable = services.network_info(network).can(CredentialRefresher)
        except ValidationError:  # a network no longer installed: nothing to refresh it with
            continue
        if refreshable:
            due.append(channel_id)
    return due


@db_periodic_task(crontab(minute="47", hour="5"))
def refresh_expiring_credentials() -> int:
    """Daily: queue a refresh for every channel whose credentials end soon; returns how many."""
    due = due_refreshes()
    for channel_id in due:
        services.renew_credentials_task(channel_id)
    return len(due)
