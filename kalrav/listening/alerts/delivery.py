"""Sending an alert by email and to a team's room, each exactly once.

Each delivery is claimed with one conditional UPDATE (waiting, or sending with a lapsed lease,
moves to sending with a new lease); only the holder sends, and marks it sent only while it still
holds the lease. Two workers never both send. A worker that dies after sending but before
marking leaves the lease to lapse and the message goes again: room messages carry the alert's
idempotency key (a Matrix transaction id), so the network drops that repeat; an email may be
repeated once in that case, which is better than an alert lost.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import send_mail
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.channels.services import connector_for
from kalrav.connectors.base import OutgoingPost, Publisher, opened
from kalrav.connectors.errors import ConnectorError
from kalrav.listening.alerts.models import Alert, AlertDelivery, DeliveryState, Target

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def claim(delivery_id: int) -> AlertDelivery | None:
    now = timezone.now()
    until = now + LEASE
    claimed = (
        AlertDelivery.objects.filter(pk=delivery_id, attempts__lt=MAX_ATTEMPTS)
        .filter(
            Q(state=DeliveryState.PENDING) | Q(state=DeliveryState.SENDING, claimed_until__lt=now)
        )
        .update(state=DeliveryState.SENDING, claimed_until=until, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return AlertDelivery.objects.select_related(
        "alert__monitor", "alert__rule__room", "alert__workspace"
    ).get(pk=delivery_id)


def _finish(delivery: AlertDelivery, state: str, error: str = "") -> None:
    AlertDelivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, claimed_until=delivery.claimed_until
    ).update(
        state=state,
        error=error[:1000],
        sent_at=timezone.now() if state == DeliveryState.SENT else None,
    )


def message(alert: Alert) -> str:
    link = reverse(
        "listening_alerts:alert", kwargs={"ws": alert.workspace.slug, "alert_id": alert.pk}
    )
    return _("Listening alert on “%(monitor)s”: %(summary)s. Crisis page: %(link)s") % {
        "monitor": alert.monitor.name,
        "summary": alert.summary,
        "link": link,
    }


def _send(delivery: AlertDelivery) -> None:
    alert = delivery.alert
    text = message(alert)
    if delivery.target == Target.EMAIL:
        subject = _("Alert: %(monitor)s") % {"monitor": alert.monitor.name}
        send_mail(subject, text, None, alert.rule.email_list)
        return
    room = alert.rule.room
    if room is None:
        raise ConnectorError(_("The room's channel was removed."))
    with opened(connector_for(room)) as connector:
        if not isinstance(connector, Publisher):
            raise ConnectorError(_("This channel cannot post messages."))
        connector.publish(OutgoingPost(text=text), idempotency_key=f"kalrav-alert-{alert.pk}")


def send(alert_id: int) -> int:
    """Send what the alert still owes; returns how many were sent by this call."""
    sent = 0
    for delivery_id in AlertDelivery.objects.filter(
        alert_id=alert_id, state__in=[DeliveryState.PENDING, DeliveryState.SENDING]
    ).values_list("pk", flat=True):
        delivery = claim(delivery_id)
        if delivery is None:
            continue
        try:
            _send(delivery)
        except (ConnectorError, OSError) as error:
            retry = delivery.attempts < MAX_ATTEMPTS
            _finish(delivery, DeliveryState.PENDING if retry else DeliveryState.FAILED, str(error))
            continue
        _finish(delivery, DeliveryState.SENT)
        sent += 1
    return sent


@db_task(retries=3, retry_delay=30)
def send_alert_task(alert_id: int) -> int:
    return send(alert_id)
