"""Sending one delivery to its endpoint, once, and recording what happened.

A delivery is tried up to MAX_ATTEMPTS times: after a timeout, a connection failure, a 408, a 429
or a 5xx, the next try waits longer (RETRY_DELAYS, with jitter, or the receiver's Retry-After when
longer). Any other answer outside 2xx (a 4xx, a redirect) and a refused address are final: the
receiver's owner must change something, and retrying would only repeat the refusal.

`deliver` is the queued task that makes each try (`services.emit` queues it after the commit).
Each try first claims the delivery (one conditional UPDATE, counting the try), so one delivery
is never sent by two workers at once; a worker that dies mid-try leaves the claim to run out and
`resume_stalled` sends again. Every try of one delivery carries the same Kalrav-Delivery id (and
Kalrav-Event-Id), so a receiver that saw it already can ignore the repeat.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav import crypto
from kalrav.connectors.errors import ConnectorError, Rejected
from kalrav.connectors.http import HttpClient, error_for
from kalrav.hooks import signing
from kalrav.hooks.models import Delivery, DeliveryState

MAX_ATTEMPTS = 6
RETRY_DELAYS = (30, 120, 600, 3600, 4 * 3600)  # seconds after the 1st, 2nd, … failed attempt
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
EXCERPT_CHARS = 500
RETRY_STATUSES = frozenset({408, 429})
# Longer than one try can take (TIMEOUT): a live worker never loses its claim.
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    body: str
    duration_ms: int
    error: str
    retry_in: float | None  # seconds until the next try; None when there is none


def body_of(delivery: Delivery) -> bytes:
    """The JSON body, byte for byte what is signed: the same envelope for every event."""
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "workspace": delivery.endpoint.workspace.slug,
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def retry_delay(attempts: int, hinted: float | None = None) -> float | None:
    """Seconds before the next try after `attempts` failed ones, or None once they are spent."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    # Jitter spreads the retries of many deliveries that failed at the same moment.
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311 - not for security
    return max(delay, min(hinted or 0.0, 86_400.0))


def _post(delivery: Delivery) -> tuple[httpx.Response | None, ConnectorError | None, int]:
    body = body_of(delivery)
    secret = crypto.decrypt(delivery.endpoint.secret)
    headers = {
        "Content-Type": "application/json",
        signing.HEADER: signing.header(secret, body),
        "Kalrav-Event": delivery.event,
        "Kalrav-Event-Id": str(delivery.event_id),
        "Kalrav-Delivery": str(delivery.delivery_id),
    }
    started = time.monotonic()
    # Webhooks do not follow redirects: a receiver that moved says so with a new URL.
    with HttpClient(timeout=TIMEOUT, retries=0, follow_redirects=False) as client:
        try:
            response = client.send_once(
                "POST", delivery.endpoint.url, content=body, headers=headers
            )
        except ConnectorError as error:
            return None, error, int((time.monotonic() - started) * 1000)
    return response, None, int((time.monotonic() - started) * 1000)


def claim(delivery_id: int) -> bool:
    """Take the right to send the delivery for LEASE, and count the try before it is made, so a
    try whose worker died still shows. One conditional UPDATE: of two workers, one gets True."""
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return bool(
        Delivery.objects.filter(
            free, pk=delivery_id, state__in=(DeliveryState.PENDING, DeliveryState.RETRYING)
        ).update(claimed_until=now + LEASE, attempts=F("attempts") + 1, last_attempt_at=now)
    )


def attempt(delivery_id: int) -> Outcome | None:
    """Try one delivery now; None when it is already settled, another worker is sending it, or
    its endpoint is gone."""
    if not claim(delivery_id):
        return None
    delivery = Delivery.objects.select_related("endpoint__workspace").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    if not delivery.endpoint.enabled:
        outcome = Outcome(False, None, "", 0, "The endpoint is switched off.", None)
    else:
        response, error, duration = _post(delivery)
        status = response.status_code if response is not None else None
        # Enough of the answer to read a hand-off's ticket; only an excerpt is stored.
        text = response.text[:65_536] if response is not None else ""
        if response is not None and 200 <= response.status_code < 300:
            outcome = Outcome(True, status, text, duration, "", None)
        else:
            if response is not None:
                error = error_for(response) or Rejected(f"HTTP {response.status_code}")
            assert error is not None
            retryable = error.retryable or status in RETRY_STATUSES
            wait = (
                retry_delay(delivery.attempts, getattr(error, "retry_after", None))
                if retryable
                else None
            )
            outcome = Outcome(False, status, text, duration, str(error)[:1000], wait)
    _record(delivery, outcome)
    if delivery.callback:
        import_string(delivery.callback)(delivery, outcome)
    return outcome


@db_task()
def deliver(delivery_id: int) -> None:
    """Try a delivery; a failure worth retrying schedules the next try with a longer wait."""
    outcome = attempt(delivery_id)
    if outcome is not None and outcome.retry_in is not None:
        deliver.schedule(args=(delivery_id,), delay=outcome.retry_in)


@db_periodic_task(crontab(minute="*"))
def resume_stalled() -> None:
    """Deliveries whose worker died while sending (their claim ran out, unanswered) are sent
    again: with the same Kalrav-Delivery id, which receivers dedupe by."""
    stalled = Delivery.objects.filter(
        state__in=(DeliveryState.PENDING, DeliveryState.RETRYING),
        claimed_until__lt=timezone.now(),
    ).values_list("pk", flat=True)
    for delivery_id in stalled[:500]:
        deliver(delivery_id)


def _record(delivery: Delivery, outcome: Outcome) -> None:
    now = timezone.now()
    delivery.claimed_until = None
    delivery.response_code = outcome.status_code
    delivery.response_excerpt = outcome.body[:EXCERPT_CHARS]
    delivery.duration_ms = outcome.duration_ms
    delivery.error = outcome.error
    delivery.last_attempt_at = now
    if outcome.ok:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryState.SUCCEEDED,
            now,
            None,
        )
    elif outcome.retry_in is not None:
        delivery.state = DeliveryState.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=outcome.retry_in)
    else:
        delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
    with transaction.atomic():
        delivery.save(
            update_fields=[
                "claimed_until",
                "response_code",
                "response_excerpt",
                "duration_ms",
                "error",
                "last_attempt_at",
                "state",
                "delivered_at",
                "next_attempt_at",
            ]
        )
