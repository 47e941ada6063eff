"""Why a variant is not going out when the calendar says: its channel is paused (the publisher
keeps its variants scheduled until it is resumed) or disconnected. Pages show this instead of a
"Scheduled" whose time has passed, and the composer and "Publish now" warn before it happens.
Also why a variant stays "Publishing": the worker publishing it stopped (stalled_notice)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel, ChannelState
from kalrav.publishing.delivery import leases
from kalrav.publishing.models import Variant, VariantState


def held_reason(variant: Variant) -> str:
    """What to show instead of "Scheduled" for a variant its channel holds back; "" otherwise."""
    if variant.state != VariantState.SCHEDULED:
        return ""
    if variant.channel.is_demo:
        return _("Held: demo channel, connect your own account to publish")
    state = variant.channel.state
    if state == ChannelState.PAUSED:
        return _("Held: channel paused")
    due = variant.scheduled_at is not None and variant.scheduled_at <= timezone.now()
    if state == ChannelState.NEEDS_RECONNECT and due:
        return _("Held: channel disconnected")
    return ""


def channel_warning(channel: Channel) -> str:
    """A warning for the composer and "Publish now" when posts to a channel would not go out."""
    if channel.is_demo:
        return _("This is a demo channel: its posts are held. Connect your own account to publish.")
    if channel.state == ChannelState.PAUSED:
        return _("This channel is paused: its posts wait until you resume it.")
    if channel.state == ChannelState.NEEDS_RECONNECT:
        return _("This channel is disconnected: reconnect it, or its posts fail when they are due.")
    return ""


def stalled_notice(variant: Variant) -> str:
    """For a variant claimed by a worker that stopped renewing its lease (it died or hangs):
    that it waits for that worker, and when another takes it over; "" otherwise."""
    when = leases.stalled_until(variant, leases.lease_length())
    if when is None:
        return ""
    # The minute it is taken over, rounded up: "retry at" never names a time already past.
    shown = timezone.localtime(when + timedelta(seconds=59))
    return _("Waiting for the worker that was publishing this; retry at %(time)s.") % {
        "time": dateformat.time_format(shown, "H:i")
    }
