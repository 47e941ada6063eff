"""Networks that cap posts per account in a rolling window (a PublishQuota connector, such as
Instagram's 100 API-published posts in 24 hours): scheduling refuses a variant that would go out
within the next day when the channel's remaining quota is already taken by variants scheduled
in that day. The publisher asks again right before publishing (delivery/publisher.quota_spent).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels import services as channel_services
from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import PublishQuota, opened
from kalrav.connectors.errors import ConnectorError
from kalrav.publishing.models import Variant, VariantState

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)


def quota_problem(variant: Variant, when: datetime) -> str:
    """Why `variant` cannot be scheduled at `when` for the network's posting quota; "" when it
    can, when the network has no quota, or when it could not be asked (an outage is no reason
    to refuse a schedule: the publisher asks again before publishing)."""
    channel = variant.channel
    try:
        if not catalogue.network(channel.network).can(PublishQuota):
            return ""
    except registry.UnknownNetwork:
        return ""
    now = timezone.now()
    if when > now + WINDOW:
        return ""  # what is used now will have freed by then
    try:
        with opened(channel_services.connector_for(channel)) as connector:
            assert isinstance(connector, PublishQuota)
            remaining = connector.remaining_posts()
    except ConnectorError as error:
        logger.info("quota of channel %s not read: %s", channel.pk, error)
        return ""
    if remaining is None:
        return ""
    booked = (
        Variant.objects.filter(
            channel=channel,
            state=VariantState.SCHEDULED,
            scheduled_at__gte=now,
            scheduled_at__lt=now + WINDOW,
        )
        .exclude(pk=variant.pk)
        .count()
    )
    if booked < remaining:
        return ""
    return _(
        "%(channel)s may publish %(remaining)d more posts in the next 24 hours and "
        "%(booked)d are already scheduled; choose a later time."
    ) % {"channel": channel.name, "remaining": remaining, "booked": booked}
