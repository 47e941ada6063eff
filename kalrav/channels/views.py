from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels import expiry, services
from kalrav.channels.forms import ChannelForm
from kalrav.channels.models import Channel
from kalrav.connectors import catalogue, registry
from kalrav.connectors.account import OAuthConnect
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def _apply(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@workspace_view(Perm.CHANNELS_VIEW)
def channel_list(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    channels = Channel.objects.filter(workspace=member.workspace)
    return render(
        request,
        "channels/list.html",
        {"channels": channels, "networks": services.networks(), "section": "channels"},
    )


@workspace_view(Perm.CHANNELS_MANAGE)
def connect(request: WorkspaceRequest, network: str) -> HttpResponse:
    member: Member = request.member
    try:
        known = catalogue.network(network)
    except registry.UnknownNetwork:
        raise Http404 from None
    signs_in = known.can(OAuthConnect)
    pastes = bool(known.settings_fields) or not signs_in
    if request.method == "POST" and not pastes:
        # Connected only by signing in: a pasted form would make a channel with no token.
        return redirect("channels:connect", ws=member.workspace.slug, network=network)
    form = ChannelForm(request.POST or None, fields=known.settings_fields)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        name = values.pop("name", "")
        try:
            channel = services.connect_channel(
                member, Actor(user=request.user), network=network, name=name, values=values
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is connected. Kalrav is checking it now.") % {"name": channel.name},
            )
            return redirect("channels:detail", ws=member.workspace.slug, channel_id=channel.pk)
    # Sign-in is offered wherever the network has it, with a server address to ask for only
    # where the network's catalogue entry names one.
    context = {
        "form": form,
        "network_label": known.label,
        "section": "channels",
        "network": network,
        "signs_in": signs_in,
        # Several sign-in pages (Instagram: through Facebook, or Instagram Login): one button each.
        "routes": services.oauth_routes(network) if signs_in else (),
        "server_field": known.server_field if signs_in else None,
        # A network connected only by signing in (Facebook Pages) has nothing to paste.
        "pastes": pastes,
    }
    return render(request, "channels/connect.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.CHANNELS_VIEW)
def detail(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    member: Member = request.member
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    known = catalogue.network(channel.network)
    # A channel whose network signs in is reconnected by signing in again, renewing this very
    # channel; only the others (pasted tokens, app passwords) show their form. Demo: neither.
    again = services.sign_in_again(channel)
    pastes = bool(known.settings_fields) and again is None and not channel.is_demo
    form = ChannelForm(
        request.POST or None,
        fields=known.settings_fields,
        reconnecting=True,
        initial=channel.config,
    )
    if request.method == "POST":
        if not member.can(Perm.CHANNELS_MANAGE):
            raise PermissionDenied
        if not pastes:
            return redirect("channels:detail", ws=member.workspace.slug, channel_id=channel.pk)
        if form.is_valid():
            try:
                services.reconnect_channel(
                    member, Actor(user=request.user), channel.pk, form.cleaned_data
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Saved. Kalrav is checking the channel again."))
                return redirect("channels:detail", ws=member.workspace.slug, channel_id=channel.pk)
    context = {
        "channel": channel,
        "form": form,
        "network_label": known.label,
        "rules": known.rules,
        "budgets": list(channel.rate_budgets.all()),
        "section": "channels",
        "sign_in_again": again is not None,
        "pastes": pastes,
        "expires_soon": expiry.expires_soon(channel),
    }
    return render(request, "channels/detail.html", context, status=400 if form.errors else 200)


def _action(request: WorkspaceRequest, channel_id: int, action, done: str) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    try:
        action(member, Actor(user=request.user), channel_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("channels:detail", ws=member.workspace.slug, channel_id=channel_id)


@require_POST
@workspace_view(Perm.CHANNELS_MANAGE)
def pause(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    return _action(
        request,
        channel_id,
        services.pause_channel,
        _("Paused: nothing is published or read until you resume it."),
    )


@require_POST
@workspace_view(Perm.CHANNELS_MANAGE)
def resume(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    return _action(
        request, channel_id, services.resume_channel, _("Resumed. Kalrav is checking the channel.")
    )


@require_POST
@workspace_view(Perm.CHANNELS_MANAGE)
def remove(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    services.remove_channel(member, Actor(user=request.user), channel_id)
    messages.success(request, _("Channel removed. Its saved credentials are deleted."))
    return redirect("channels:list", ws=member.workspace.slug)
