"""Outgoing webhook endpoints over the API; the secret is returned once, on creation or
replacement, and never again."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.hooks import services
from kalrav.hooks.models import Endpoint
from kalrav.workspaces.permissions import Perm

router = Router(tags=["webhooks"])
RECENT = 50


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    secret_hint: str
    created_at: datetime


class EndpointWithSecretOut(EndpointOut):
    secret: str


class EndpointIn(Schema):
    url: str
    events: list[str] = []
    description: str = ""


class EndpointPatch(Schema):
    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


class DeliveryOut(Schema):
    id: int
    event: str
    event_id: UUID
    state: str
    attempts: int
    response_code: int | None
    response_excerpt: str
    duration_ms: int | None
    error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def _with_secret(endpoint: Endpoint, secret: str) -> dict:
    return {**EndpointOut.from_orm(endpoint).model_dump(), "secret": secret}


@router.get(
    "/{ws}/webhooks",
    response={200: list[EndpointOut], **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def list_endpoints(request: ApiRequest, ws: str):
    member = request.member
    return list(Endpoint.objects.filter(workspace=member.workspace))


@router.post(
    "/{ws}/webhooks",
    response={201: EndpointWithSecretOut, **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def create_endpoint(request: ApiRequest, ws: str, payload: EndpointIn):
    """The answer holds `secret` once: keep it to verify `Kalrav-Signature` (docs/webhooks.md)."""
    who = caller(request)
    member = request.member
    endpoint, secret = services.create_endpoint(
        member, who.actor, url=payload.url, events=payload.events, description=payload.description
    )
    return Status(201, _with_secret(endpoint, secret))


@router.get(
    "/{ws}/webhooks/{endpoint_id}",
    response={200: EndpointOut, **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def get_endpoint(request: ApiRequest, ws: str, endpoint_id: int):
    member = request.member
    return get_object_or_404(Endpoint, pk=endpoint_id, workspace=member.workspace)


@router.patch(
    "/{ws}/webhooks/{endpoint_id}",
    response={200: EndpointOut, **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def update_endpoint(request: ApiRequest, ws: str, endpoint_id: int, payload: EndpointPatch):
    who = caller(request)
    member = request.member
    return services.update_endpoint(
        member, who.actor, endpoint_id, **payload.model_dump(exclude_unset=True)
    )


@router.delete(
    "/{ws}/webhooks/{endpoint_id}",
    response={204: None, **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def delete_endpoint(request: ApiRequest, ws: str, endpoint_id: int):
    who = caller(request)
    services.delete_endpoint(request.member, who.actor, endpoint_id)
    return Status(204, None)


@router.post(
    "/{ws}/webhooks/{endpoint_id}/secret",
    response={200: EndpointWithSecretOut, **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def rotate_secret(request: ApiRequest, ws: str, endpoint_id: int):
    """A new secret, returned once; deliveries are signed with it from now on."""
    who = caller(request)
    endpoint, secret = services.rotate_secret(request.member, who.actor, endpoint_id)
    return _with_secret(endpoint, secret)


@router.post(
    "/{ws}/webhooks/{endpoint_id}/test",
    response={202: DeliveryOut, **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def send_test(request: ApiRequest, ws: str, endpoint_id: int):
    """Send a `ping` event; read its outcome from the deliveries."""
    who = caller(request)
    delivery = services.send_test(request.member, who.actor, endpoint_id)
    delivery.refresh_from_db()
    return Status(202, delivery)


@router.get(
    "/{ws}/webhooks/{endpoint_id}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
)
@requires(Perm.WEBHOOKS_MANAGE)
def deliveries(request: ApiRequest, ws: str, endpoint_id: int):
    """The most recent deliveries first (50)."""
    member = request.member
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id, workspace=member.workspace)
    return list(endpoint.deliveries.all()[:RECENT])
