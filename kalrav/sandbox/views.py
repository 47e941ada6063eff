"""The sandbox network's page: per workspace, what each sandbox channel published there, with its
growing numbers, what the simulated audience wrote, and the outage switch."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels.models import Channel
from kalrav.channels.services import check_channel_task
from kalrav.sandbox import audience
from kalrav.sandbox.models import SandboxAccount, SandboxItem, SandboxPost
from kalrav.sandbox.server import account_key, set_outage
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

SLUG = "sandbox"
SHOWN = 50


@workspace_view(Perm.CHANNELS_VIEW)
def network_page(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    channels = list(Channel.objects.filter(workspace=member.workspace, network=SLUG))
    accounts = {
        account.key: account
        for account in SandboxAccount.objects.filter(
            key__in=[account_key(channel.pk) for channel in channels]
        )
    }
    now = timezone.now()
    shown = []
    for channel in channels:
        account = accounts.get(account_key(channel.pk))
        posts = (
            list(SandboxPost.objects.filter(account=account, deleted_at=None)[:SHOWN])
            if account
            else []
        )
        items = (
            list(SandboxItem.objects.filter(account=account).order_by("-id")[:SHOWN])
            if account
            else []
        )
        shown.append(
            {
                "channel": channel,
                "account": account,
                "posts": [
                    {
                        "post": post,
                        "numbers": audience.engagement(post.remote_id, post.created_at, now),
                    }
                    for post in posts
                ],
                "items": items,
            }
        )
    return render(request, "sandbox/network.html", {"channels": shown, "nav": "sandbox"})


@require_POST
@workspace_view(Perm.CHANNELS_MANAGE)
def outage(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    member: Member = request.member
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace, network=SLUG)
    on = request.POST.get("outage") == "on"
    set_outage(account_key(channel.pk), on)
    if on:
        messages.warning(
            request,
            _("Outage switched on: every request to %(name)s now fails until you switch it off.")
            % {"name": channel.name},
        )
    else:
        # The network is back; Kalrav finds out by checking the channel, as after any outage.
        check_channel_task(channel.pk)
        messages.success(
            request,
            _("Outage switched off: Kalrav is checking %(name)s again.") % {"name": channel.name},
        )
    return redirect("sandbox:network", ws=member.workspace.slug)
