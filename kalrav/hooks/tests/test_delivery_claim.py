"""One delivery is sent by one worker at a time, every try counted before it is made, and under
an id that stays the same across its retries and is unique to this installation (issue 14,
item 4)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import respx
from django.utils import timezone

from kalrav.hooks import delivery, services
from kalrav.hooks.models import Delivery, DeliveryState
from kalrav.hooks.tests.conftest import RECEIVER


def _queued(endpoint) -> Delivery:
    return services.emit(endpoint.workspace_id, "sla.breached", {"target": "first_response"})[0]


@respx.mock
def test_every_retry_carries_the_same_installation_unique_delivery_id(endpoint_with_secret):
    endpoint, _secret = endpoint_with_secret
    route = respx.post(RECEIVER).mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200)]
    )
    made = _queued(endpoint)
    for _try in range(3):
        delivery.attempt(made.pk)
    sent = [request.headers["Kalrav-Delivery"] for request, _answer in route.calls]
    made.refresh_from_db()
    assert sent == [str(made.delivery_id)] * 3
    assert uuid.UUID(sent[0]) and sent[0] != str(made.pk)
    assert _queued(endpoint).delivery_id != made.delivery_id


@respx.mock
def test_a_delivery_is_not_sent_twice_at_once(endpoint_with_secret):
    endpoint, _secret = endpoint_with_secret
    made = _queued(endpoint)

    def answer(request):
        # Another worker runs the same delivery while this one waits for the receiver.
        assert delivery.attempt(made.pk) is None
        return httpx.Response(200)

    route = respx.post(RECEIVER).mock(side_effect=answer)
    delivery.attempt(made.pk)
    assert route.call_count == 1
    made.refresh_from_db()
    assert made.state == DeliveryState.SUCCEEDED and made.attempts == 1
    assert made.claimed_until is None


@respx.mock
def test_a_try_whose_worker_died_counts_and_is_resumed(endpoint_with_secret):
    endpoint, _secret = endpoint_with_secret
    route = respx.post(RECEIVER).mock(return_value=httpx.Response(200))
    made = _queued(endpoint)
    # The worker claimed and counted the try, then died before the receiver answered.
    assert delivery.claim(made.pk)
    Delivery.objects.filter(pk=made.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    delivery.resume_stalled.call_local()
    made.refresh_from_db()
    assert route.call_count == 1 and made.state == DeliveryState.SUCCEEDED
    assert made.attempts == 2
