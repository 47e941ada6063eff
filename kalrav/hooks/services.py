"""Managing a workspace's webhook endpoints and emitting events to them.

`emit` is what the rest of Kalrav calls: it writes one delivery per subscribed endpoint in the
caller's transaction and queues the sending for after the commit, so an event is never sent for a
change that was rolled back, and a slow receiver never holds up the inbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

import httpx
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kalrav import crypto
from kalrav.connectors.errors import ConnectorError
from kalrav.connectors.http import check_url, private_addresses_allowed
from kalrav.hooks import signing
from kalrav.hooks.delivery import deliver
from kalrav.hooks.models import Delivery, DeliveryState, Endpoint, Event
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

MAX_ENDPOINTS = 20
TEST_EVENT = "ping"


def _require(member: Member) -> None:
    if not member.can(Perm.WEBHOOKS_MANAGE):
        raise PermissionDenied(_("Your role does not allow this."))


def clean_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise ValidationError({"url": _("Give an address starting with https://.")})
    if len(url) > 500:
        raise ValidationError({"url": _("The address is too long (500 characters at most).")})
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        # e.g. an octal (0177.0.0.1) or fullwidth-digit host: checked even where private
        # addresses are allowed, since delivery could never reach it.
        raise ValidationError(
            {"url": _("This is not a web address Kalrav can send to; check the host name.")}
        ) from None
    if not private_addresses_allowed():
        try:
            check_url(url)
        except ConnectorError as error:
            raise ValidationError(
                {"url": _("Kalrav cannot send there: %(reason)s") % {"reason": error}}
            ) from None
    return url


def clean_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in Event.values]
    if unknown:
        raise ValidationError(
            {"events": _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    return chosen


@transaction.atomic
def create_endpoint(
    member: Member, actor: Actor, *, url: str, events: Sequence[str], description: str = ""
) -> tuple[Endpoint, str]:
    """Returns the endpoint and its secret in clear: the only time anyone sees it."""
    _require(member)
    if Endpoint.objects.filter(workspace_id=member.workspace_id).count() >= MAX_ENDPOINTS:
        raise ValidationError(_("A workspace has at most 20 endpoints."))
    secret = signing.new_secret()
    endpoint = Endpoint(
        workspace=member.workspace,
        url=clean_url(url),
        events=clean_events(events),
        description=description.strip()[:200],
        secret=crypto.encrypt(secret),
        secret_hint=secret[-4:],
        created_by=actor.user,
    )
    endpoint.save()
    audit.record(
        member.workspace,
        actor,
        "webhook.create",
        endpoint,
        {"url": [None, endpoint.url], "events": [None, endpoint.events]},
    )
    return endpoint, secret


def _locked(member: Member, endpoint_id: int) -> Endpoint:
    return Endpoint.objects.select_for_update().get(
        pk=endpoint_id, workspace_id=member.workspace_id
    )


@transaction.atomic
def update_endpoint(
    member: Member,
    actor: Actor,
    endpoint_id: int,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Endpoint:
    _require(member)
    endpoint = _locked(member, endpoint_id)
    fields = ("url", "events", "description", "enabled")
    before = audit.snapshot(endpoint, fields)
    if url is not None:
        endpoint.url = clean_url(url)
    if events is not None:
        endpoint.events = clean_events(events)
    if description is not None:
        endpoint.description = description.strip()[:200]
    if enabled is not None:
        endpoint.enabled = enabled
    endpoint.save()
    changes = audit.diff(before, audit.snapshot(endpoint, fields))
    if changes:
        audit.record(member.workspace, actor, "webhook.update", endpoint, changes)
    return endpoint


@transaction.atomic
def rotate_secret(member: Member, actor: Actor, endpoint_id: int) -> tuple[Endpoint, str]:
    """A new secret, shown once; deliveries from now on are signed with it."""
    _require(member)
    endpoint = _locked(member, endpoint_id)
    secret = signing.new_secret()
    endpoint.secret, endpoint.secret_hint = crypto.encrypt(secret), secret[-4:]
    endpoint.save(update_fields=["secret", "secret_hint"])
    audit.record(member.workspace, actor, "webhook.secret", endpoint, {})
    return endpoint, secret


@transaction.atomic
def delete_endpoint(member: Member, actor: Actor, endpoint_id: int) -> None:
    _require(member)
    endpoint = _locked(member, endpoint_id)
    audit.record(member.workspace, actor, "webhook.delete", endpoint, {"url": [endpoint.url, None]})
    endpoint.delete()


def _queue(deliveries: Sequence[Delivery]) -> None:
    for delivery in deliveries:
        transaction.on_commit(partial(deliver, delivery.pk))


@transaction.atomic
def send_test(member: Member, actor: Actor, endpoint_id: int) -> Delivery:
    """A `ping` to one endpoint, whatever events it chose, to check the receiver end to end."""
    _require(member)
    endpoint = _locked(member, endpoint_id)
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event=TEST_EVENT,
        payload={"message": "A test event from Kalrav: your endpoint is reachable."},
    )
    audit.record(member.workspace, actor, "webhook.test", endpoint, {})
    _queue([delivery])
    return delivery


@transaction.atomic
def redeliver(member: Member, actor: Actor, delivery_id: int) -> Delivery:
    """Send a failed delivery again, as a new delivery of the same event (same event id)."""
    _require(member)
    old = Delivery.objects.select_related("endpoint").get(
        pk=delivery_id, endpoint__workspace_id=member.workspace_id
    )
    again = Delivery.objects.create(
        endpoint=old.endpoint,
        event=old.event,
        event_id=old.event_id,
        payload=old.payload,
        callback=old.callback,
    )
    audit.record(
        member.workspace, actor, "webhook.test", old.endpoint, {"redeliver": [None, old.pk]}
    )
    _queue([again])
    return again


def emit(
    workspace_id: int, event: str, data: dict, *, exclude: Iterable[int] = ()
) -> list[Delivery]:
    """Record the event for every endpoint of the workspace that asked for it, and send after
    commit. Cheap when nobody listens: one indexed query for a handful of endpoints."""
    assert event in Event.values, f"unknown event {event}"
    skip = set(exclude)
    endpoints = [
        e
        for e in Endpoint.objects.filter(workspace_id=workspace_id, enabled=True)
        if e.wants(event) and e.pk not in skip
    ]
    if not endpoints:
        return []
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(
            Delivery(endpoint=e, event=event, payload=data) for e in endpoints
        )
        _queue(deliveries)
    return deliveries


def deliver_to(endpoint: Endpoint, event: str, data: dict, *, callback: str = "") -> Delivery:
    """One delivery to a chosen endpoint (a team's helpdesk), whatever events it subscribed to."""
    delivery = Delivery.objects.create(
        endpoint=endpoint, event=event, payload=data, callback=callback
    )
    _queue([delivery])
    return delivery


def pending_states() -> list[str]:
    return [DeliveryState.PENDING, DeliveryState.RETRYING]
