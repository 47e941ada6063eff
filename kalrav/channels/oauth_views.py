"""Connecting a channel by signing in on the network's own page (OAuth authorization code).

The start view registers Kalrav with the server and sends the person there; the network sends
them back to one callback URL for every workspace, so what the callback needs (workspace,
network, the app's registration) is kept in their session under a random state value.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels.models import Channel
from kalrav.connectors.account import Connection
from kalrav.connectors.base import Author
from kalrav.connectors.errors import ConnectorError
from kalrav.workspaces.access import WorkspaceRequest, membership, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

SESSION_KEY = "kalrav_oauth"
# Accounts a sign-in offered, kept until the person picks which to connect. Credentials are kept
# sealed (as channels keep them), never in the clear in the session store.
PICK_KEY = "kalrav_oauth_pick"
KEPT_OFFERS = 3


def callback_url() -> str:
    return settings.BASE_URL + reverse("channels-oauth-callback")


@require_POST
@workspace_view(Perm.CHANNELS_MANAGE)
def start(request: WorkspaceRequest, network: str) -> HttpResponse:
    member: Member = request.member
    try:
        if not services.supports_oauth(network):
            raise Http404
    except ValidationError:
        raise Http404 from None
    state = secrets.token_urlsafe(24)
    server = request.POST.get("server", "").strip()
    route = request.POST.get("route", "").strip()
    # "Sign in again" on a channel's page: the same network, route and server it was connected
    # with, and the callback renews that channel instead of adding one.
    channel_id = None
    if request.POST.get("channel"):
        if not request.POST["channel"].isdigit():
            raise Http404
        channel = get_object_or_404(
            Channel, pk=request.POST["channel"], workspace=member.workspace, network=network
        )
        again = services.sign_in_again(channel)
        if again is None:
            raise Http404
        channel_id, route, server = channel.pk, again["route"], again["server"]
    try:
        target, kept = services.oauth_start(
            network, server, redirect_uri=callback_url(), state=state, route=route
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("channels:connect", ws=member.workspace.slug, network=network)
    except ConnectorError as error:
        messages.error(
            request, _("The server did not let Kalrav register: %(error)s") % {"error": error}
        )
        return redirect("channels:connect", ws=member.workspace.slug, network=network)
    pending = request.session.get(SESSION_KEY, {})
    pending[state] = {
        "ws": member.workspace.slug,
        "network": network,
        "kept": kept,
        "channel": channel_id,
    }
    request.session[SESSION_KEY] = pending
    return redirect(target)


@login_required
def callback(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    pending = request.session.get(SESSION_KEY, {})
    waiting = pending.pop(state, None)
    request.session[SESSION_KEY] = pending
    if waiting is None:
        return render(
            request,
            "channels/oauth_failed.html",
            {
                "problem": _(
                    "This sign-in was not started here, or it was already used. Start again from the channels page."
                )
            },
            status=400,
        )
    member = membership(request.user, waiting["ws"])
    if member is None or not member.can(Perm.CHANNELS_MANAGE):
        raise PermissionDenied
    if request.GET.get("error") or not request.GET.get("code"):
        problem = request.GET.get("error_description") or _("The network did not grant access.")
        return render(
            request,
            "channels/oauth_failed.html",
            {"problem": problem, "workspace_slug": member.workspace.slug},
            status=400,
        )
    if waiting.get("channel"):
        return _renew_channel(request, member, waiting)
    if services.signs_in_many(waiting["network"]):
        return _offer_accounts(request, member, waiting)
    try:
        connection = services.oauth_finish(waiting["network"], waiting["kept"], request.GET["code"])
        channel = services.connect_oauth_channel(
            member, Actor(user=request.user), network=waiting["network"], connection=connection
        )
    except ConnectorError as error:
        return render(
            request,
            "channels/oauth_failed.html",
            {"problem": str(error), "workspace_slug": member.workspace.slug},
            status=400,
        )
    messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
    return redirect("channels:detail", ws=member.workspace.slug, channel_id=channel.pk)


def _renew_channel(request: HttpRequest, member: Member, waiting: dict) -> HttpResponse:
    """The sign-in came from a channel's "Sign in again": that channel takes the new access
    (services.renew_oauth_channel, as the pick page renews an account already connected)."""
    network, channel_id = waiting["network"], int(waiting["channel"])
    channel = Channel.objects.filter(pk=channel_id, workspace=member.workspace).first()
    problem = ""
    if channel is None:
        raise Http404
    try:
        code = request.GET["code"]
        if services.signs_in_many(network):
            offered = services.oauth_finish_many(network, waiting["kept"], code)
        else:
            offered = [services.oauth_finish(network, waiting["kept"], code)]
        # A sign-in listing several accounts (a person's Pages) renews the channel's own.
        mine = [c for c in offered if c.account.remote_id == channel.remote_id] or offered[:1]
        renewed = None
        if mine:
            renewed = services.renew_oauth_channel(
                member,
                Actor(user=request.user),
                network=network,
                connection=mine[0],
                channel_id=channel_id,
            )
        if renewed is None:
            problem = _("The sign-in gave Kalrav no access to this channel's account.")
    except ConnectorError as error:
        problem = str(error)
    except ValidationError as error:
        problem = " ".join(error.messages)
    if problem:
        return render(
            request,
            "channels/oauth_failed.html",
            {"problem": problem, "workspace_slug": member.workspace.slug},
            status=400,
        )
    messages.success(request, _("Access renewed. Kalrav is checking the channel again."))
    return redirect("channels:detail", ws=member.workspace.slug, channel_id=channel_id)


# --- One sign-in, many channels ------------------------------------------------------------------


def _offer_accounts(request: HttpRequest, member: Member, waiting: dict) -> HttpResponse:
    """The network listed every account the sign-in may connect: keep them and ask which."""
    network = waiting["network"]
    try:
        connections = services.oauth_finish_many(network, waiting["kept"], request.GET["code"])
    except ConnectorError as error:
        return render(
            request,
            "channels/oauth_failed.html",
            {"problem": str(error), "workspace_slug": member.workspace.slug},
            status=400,
        )
    if not connections:
        return render(
            request,
            "channels/oauth_failed.html",
            {
                "problem": _("The sign-in gave Kalrav no account to connect."),
                "workspace_slug": member.workspace.slug,
            },
            status=400,
        )
    pick = secrets.token_urlsafe(16)
    offered = request.session.get(PICK_KEY, {})
    offered[pick] = {
        "ws": member.workspace.slug,
        "network": network,
        "accounts": [_kept(connection) for connection in connections],
    }
    # Abandoned choices hold sealed tokens: only the newest few are kept.
    request.session[PICK_KEY] = dict(list(offered.items())[-KEPT_OFFERS:])
    return redirect("channels:oauth-pick", ws=member.workspace.slug, pick=pick)


def _kept(connection: Connection) -> dict:
    account = connection.account
    return {
        "remote_id": account.remote_id,
        "handle": account.handle,
        "display_name": account.display_name,
        "url": account.url,
        "avatar_url": account.avatar_url,
        "config": dict(connection.config),
        "credentials": sealed.seal(connection.credentials),
        "expires_at": connection.expires_at.isoformat() if connection.expires_at else "",
    }


def _connection(kept: dict) -> Connection:
    return Connection(
        config=kept["config"],
        credentials=sealed.unseal(kept["credentials"]),
        account=Author(
            remote_id=kept["remote_id"],
            handle=kept["handle"],
            display_name=kept["display_name"],
            url=kept["url"],
            avatar_url=kept["avatar_url"],
        ),
        expires_at=parse_datetime(kept["expires_at"]) if kept["expires_at"] else None,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Perm.CHANNELS_MANAGE)
def pick(request: WorkspaceRequest, pick: str) -> HttpResponse:
    """Which of the signed-in person's accounts become channels. Accounts the workspace already
    has are marked; picking one again renews its access (a new sign-in before the old expires)."""
    member: Member = request.member
    offered = request.session.get(PICK_KEY, {})
    waiting = offered.get(pick)
    if waiting is None or waiting["ws"] != member.workspace.slug:
        messages.error(request, _("This choice has expired. Sign in again to connect accounts."))
        return redirect("channels:list", ws=member.workspace.slug)
    network = waiting["network"]
    connected = services.connected_remote_ids(member, network)
    accounts = waiting["accounts"]
    if request.method == "POST":
        chosen = set(request.POST.getlist("account"))
        actor = Actor(user=request.user)
        added = renewed = 0
        for kept in accounts:
            if kept["remote_id"] not in chosen:
                continue
            connection = _connection(kept)
            if services.renew_oauth_channel(member, actor, network=network, connection=connection):
                renewed += 1
            else:
                services.connect_oauth_channel(
                    member, actor, network=network, connection=connection, check=True
                )
                added += 1
        offered.pop(pick, None)
        request.session[PICK_KEY] = offered
        if added:
            messages.success(
                request,
                ngettext("%(count)d channel connected.", "%(count)d channels connected.", added)
                % {"count": added},
            )
        if renewed:
            messages.success(
                request,
                ngettext(
                    "Access renewed for %(count)d channel.",
                    "Access renewed for %(count)d channels.",
                    renewed,
                )
                % {"count": renewed},
            )
        if not added and not renewed:
            messages.info(request, _("Nothing was connected."))
        return redirect("channels:list", ws=member.workspace.slug)
    rows = [{**kept, "connected": kept["remote_id"] in connected} for kept in accounts]
    context = {
        "accounts": rows,
        "network_label": services.network_info(network).label,
        "pick": pick,
        "section": "channels",
    }
    return render(request, "channels/oauth_pick.html", context)
