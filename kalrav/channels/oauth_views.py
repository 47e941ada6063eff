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
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels import services
from kalrav.connectors.errors import ConnectorError
from kalrav.workspaces.access import WorkspaceRequest, membership, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

SESSION_KEY = "kalrav_oauth"


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
    try:
        target, kept = services.oauth_start(
            network, server, redirect_uri=callback_url(), state=state
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
    pending[state] = {"ws": member.workspace.slug, "network": network, "kept": kept}
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
