from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.core.exceptions import ValidationError
from django.test import override_settings

from kalrav import crypto
from kalrav.hooks import delivery, services, signing
from kalrav.hooks.models import Delivery, DeliveryState, Endpoint
from kalrav.hooks.tests.conftest import RECEIVER
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry


def test_the_secret_is_shown_once_and_stored_encrypted(endpoint_with_secret, workspace):
    endpoint, secret = endpoint_with_secret
    assert secret.startswith("whsec_")
    stored = Endpoint.objects.get(pk=endpoint.pk)
    assert secret not in stored.secret and crypto.decrypt(stored.secret) == secret
    entry = AuditEntry.objects.get(workspace=workspace, action="webhook.create")
    assert secret not in json.dumps(entry.changes)


@respx.mock
def test_emit_signs_sends_and_records_only_for_subscribed_endpoints(
    endpoint_with_secret, members, commit
):
    endpoint, secret = endpoint_with_secret
    owner = members["owner"]
    services.create_endpoint(
        owner, Actor(user=owner.user), url="https://93.184.215.15/other", events=["handoff.created"]
    )
    route = respx.post(RECEIVER).mock(return_value=httpx.Response(202, text="thanks"))
    with commit(execute=True):
        made = services.emit(endpoint.workspace_id, "message.received", {"message": {"text": "Hi"}})
    assert len(made) == 1 and route.call_count == 1
    request = route.calls[0].request
    assert signing.verify(secret, request.content, request.headers["Kalrav-Signature"])
    assert not signing.verify("whsec_wrong", request.content, request.headers["Kalrav-Signature"])
    body = json.loads(request.content)
    assert body["type"] == "message.received" and body["data"]["message"]["text"] == "Hi"
    assert request.headers["Kalrav-Event-Id"] == body["id"]
    record = Delivery.objects.get()
    assert record.state == DeliveryState.SUCCEEDED
    assert (record.response_code, record.response_excerpt, record.attempts) == (202, "thanks", 1)
    assert record.duration_ms is not None and record.delivered_at is not None


@respx.mock
def test_server_errors_are_retried_with_growing_waits_then_given_up(endpoint_with_secret, commit):
    endpoint, _secret = endpoint_with_secret
    respx.post(RECEIVER).mock(return_value=httpx.Response(503, json={"error": "down"}))
    with commit(execute=True):
        services.emit(endpoint.workspace_id, "sla.breached", {"target": "first_response"})
    record = Delivery.objects.get()
    assert record.state == DeliveryState.RETRYING and record.attempts == 1
    assert record.response_code == 503 and "down" in record.error
    waits = [(record.next_attempt_at - record.last_attempt_at).total_seconds()]
    for _ in range(delivery.MAX_ATTEMPTS - 1):  # what the scheduled retries do
        delivery.attempt(record.pk)
        record.refresh_from_db()
        if record.next_attempt_at:
            waits.append((record.next_attempt_at - record.last_attempt_at).total_seconds())
    assert waits == sorted(waits) and waits[0] < 60 < waits[-1]
    assert record.state == DeliveryState.FAILED
    assert record.attempts == delivery.MAX_ATTEMPTS and record.next_attempt_at is None
    assert delivery.attempt(record.pk) is None  # settled: nothing is sent again


@respx.mock
def test_a_client_error_is_final(endpoint_with_secret, commit):
    endpoint, _secret = endpoint_with_secret
    respx.post(RECEIVER).mock(return_value=httpx.Response(400, text="bad signature"))
    with commit(execute=True):
        services.emit(endpoint.workspace_id, "message.received", {})
    record = Delivery.objects.get()
    assert record.state == DeliveryState.FAILED and record.attempts == 1
    assert record.response_code == 400 and record.response_excerpt == "bad signature"


@respx.mock
def test_a_redirect_is_not_followed_and_counts_as_failure(endpoint_with_secret, commit):
    endpoint, _secret = endpoint_with_secret
    respx.post(RECEIVER).mock(
        return_value=httpx.Response(302, headers={"Location": "http://127.0.0.1/admin"})
    )
    with commit(execute=True):
        services.emit(endpoint.workspace_id, "message.received", {})
    record = Delivery.objects.get()
    assert record.state == DeliveryState.FAILED and record.response_code == 302


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/x",
        "ftp://x/",
        "http://0177.0.0.1/hook",  # octal loopback
        "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/hook",  # fullwidth digits
    ],
)
def test_private_addresses_are_refused_when_saving(members, url):
    owner = members["owner"]
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(owner, Actor(user=owner.user), url=url, events=[])
    assert "url" in refused.value.message_dict
    assert not Endpoint.objects.exists()


def test_an_address_that_turned_private_is_refused_at_delivery(endpoint_with_secret, commit):
    endpoint, _secret = endpoint_with_secret
    Endpoint.objects.filter(pk=endpoint.pk).update(url="http://169.254.169.254/latest/meta-data")
    with commit(execute=True):
        services.emit(endpoint.workspace_id, "message.received", {})
    record = Delivery.objects.get()
    assert record.state == DeliveryState.FAILED and record.response_code is None
    assert "private or reserved" in record.error


@override_settings(ALLOW_PRIVATE_ADDRESSES=True)
def test_private_addresses_are_allowed_when_the_install_says_so(members):
    owner = members["owner"]
    endpoint, _secret = services.create_endpoint(
        owner, Actor(user=owner.user), url="http://127.0.0.1:9/hook", events=[]
    )
    assert endpoint.url == "http://127.0.0.1:9/hook"


@override_settings(ALLOW_PRIVATE_ADDRESSES=True)
@pytest.mark.parametrize("url", ["http://0177.0.0.1/hook", "http://\uff11\uff12\uff17.0.0.1/"])
def test_an_unparseable_host_is_refused_even_where_private_addresses_are_allowed(members, url):
    owner = members["owner"]
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(owner, Actor(user=owner.user), url=url, events=[])
    assert "url" in refused.value.message_dict


def test_the_api_answers_400_for_an_octal_host(members, client):
    owner = members["owner"]
    client.force_login(owner.user)
    response = client.post(
        f"/api/v1/workspaces/{owner.workspace.slug}/webhooks",
        {"url": "http://0177.0.0.1/hook", "events": []},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "host name" in response.content.decode()


def test_unknown_events_are_refused(members):
    owner = members["owner"]
    with pytest.raises(ValidationError):
        services.create_endpoint(owner, Actor(user=owner.user), url=RECEIVER, events=["nope"])


@respx.mock
def test_send_test_event_and_the_page_shows_the_delivery(
    endpoint_with_secret, member_client, commit
):
    endpoint, _secret = endpoint_with_secret
    respx.post(RECEIVER).mock(return_value=httpx.Response(204))
    client = member_client("manager")
    with commit(execute=True):
        page = client.post(
            f"/w/{endpoint.workspace.slug}/settings/webhooks/{endpoint.pk}/test/", follow=True
        )
    assert "Test event sent" in page.content.decode()
    text = client.get(f"/w/{endpoint.workspace.slug}/settings/webhooks/{endpoint.pk}/").content
    assert b"ping" in text and b"HTTP 204" in text and b"Delivered" in text
