from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.channels import services
from kalrav.channels.models import Channel
from kalrav.workspaces.permissions import Perm

router = Router(tags=["channels"])


class ChannelOut(Schema):
    id: int
    network: str
    name: str
    handle: str
    url: str
    state: str
    state_detail: str
    rate_limited_until: datetime | None
    # When the network stops honouring the credentials without a new sign-in (Meta: 60 days).
    credentials_expire_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str
    config: dict


class ChannelIn(Schema):
    network: str
    name: str = ""
    settings: dict[str, str]


@router.get(
    "/{ws}/channels",
    response={200: list[ChannelOut], **ERRORS},
)
@requires(Perm.CHANNELS_VIEW)
def list_channels(request: ApiRequest, ws: str):
    member = request.member
    return Channel.objects.filter(workspace=member.workspace)


@router.post("/{ws}/channels", response={201: ChannelOut, **ERRORS})
@requires(Perm.CHANNELS_MANAGE)
def connect_channel(request: ApiRequest, ws: str, payload: ChannelIn):
    who = caller(request)
    member = request.member
    channel = services.connect_channel(
        member, who.actor, network=payload.network, name=payload.name, values=payload.settings
    )
    return Status(201, channel)


@router.get(
    "/{ws}/channels/{channel_id}",
    response={200: ChannelOut, **ERRORS},
)
@requires(Perm.CHANNELS_VIEW)
def get_channel(request: ApiRequest, ws: str, channel_id: int):
    member = request.member
    return get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)


@router.post(
    "/{ws}/channels/{channel_id}/pause",
    response={200: ChannelOut, **ERRORS},
)
@requires(Perm.CHANNELS_MANAGE)
def pause_channel(request: ApiRequest, ws: str, channel_id: int):
    who = caller(request)
    member = request.member
    return services.pause_channel(member, who.actor, channel_id)


@router.post(
    "/{ws}/channels/{channel_id}/resume",
    response={200: ChannelOut, **ERRORS},
)
@requires(Perm.CHANNELS_MANAGE)
def resume_channel(request: ApiRequest, ws: str, channel_id: int):
    who = caller(request)
    member = request.member
    return services.resume_channel(member, who.actor, channel_id)


@router.delete(
    "/{ws}/channels/{channel_id}",
    response={204: None, **ERRORS},
)
@requires(Perm.CHANNELS_MANAGE)
def remove_channel(request: ApiRequest, ws: str, channel_id: int):
    who = caller(request)
    member = request.member
    services.remove_channel(member, who.actor, channel_id)
    return Status(204, None)
