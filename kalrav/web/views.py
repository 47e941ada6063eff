from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kalrav import disk_full
from kalrav.channels.models import Channel
from kalrav.workspaces.access import SESSION_KEY, WorkspaceRequest, membership, workspace_view
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm, can

from . import notifications
from .sections import BY_SLUG, SECTIONS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    remembered = request.session.get(SESSION_KEY)
    if remembered and membership(request.user, remembered):
        return redirect("web:workspace-home", ws=remembered)
    # Nothing remembered (a first sign-in): land where there is something to see, a workspace
    # with channels before an empty one, then by name.
    first = (
        Member.objects.filter(user=request.user)  # type: ignore[misc]
        .select_related("workspace")
        .annotate(has_channels=Exists(Channel.objects.filter(workspace=OuterRef("workspace"))))
        .order_by("-has_channels", "workspace__name")
        .first()
    )
    if first is None:
        return render(request, "web/no_workspace.html")
    return redirect("web:workspace-home", ws=first.workspace.slug)


@workspace_view(Perm.WORKSPACE_VIEW)
def workspace_home(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    for section in SECTIONS:
        if can(member.role, section.perm):
            return redirect("web:section", ws=member.workspace.slug, section=section.slug)
    return redirect("workspaces:brand", ws=member.workspace.slug)


@workspace_view(Perm.WORKSPACE_VIEW)
def section(request: WorkspaceRequest, section: str) -> HttpResponse:
    member: Member = request.member
    found = BY_SLUG.get(section)
    if found is None:
        raise Http404
    if not can(member.role, found.perm):
        raise PermissionDenied
    has_channels = Channel.objects.filter(workspace=member.workspace).exists()
    return render(
        request,
        "web/section.html",
        {"section": found, "nav": found.slug, "has_channels": has_channels},
    )


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # A full disk met outside a view (a session being saved) still gets its own message.
    if disk_full.is_disk_full(sys.exc_info()[1]):
        return disk_full.html_response(request)
    return render(request, "500.html", status=500)


@workspace_view(Perm.WORKSPACE_VIEW)
def notification_centre(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    context = {
        "entries": notifications.entries(member),
        "awaiting_approval": notifications.awaiting_approval(member),
        "nav": "notifications",
    }
    return render(request, "web/notifications.html", context)


@require_POST
@workspace_view(Perm.WORKSPACE_VIEW)
def notifications_read(request: WorkspaceRequest) -> HttpResponse:
    notifications.mark_all_read(request.member)
    return redirect("web:notifications", ws=request.member.workspace.slug)
