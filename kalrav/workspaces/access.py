"""Resolving the workspace of a request and checking the member's role against the matrix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Perm

SESSION_KEY = "kalrav_workspace"


class WorkspaceRequest(HttpRequest):
    """The request a `workspace_view` hands to its view. Only a type: the object is Django's own
    request, on which the decorator has set `member` and `workspace` and HtmxMiddleware `htmx`."""

    member: Member
    workspace: Workspace
    htmx: HtmxDetails


def membership(user, slug: str) -> Member | None:
    if not user.is_authenticated:
        return None
    return (
        Member.objects.select_related("workspace", "user")
        .filter(workspace__slug=slug, user=user)
        .first()
    )


def workspace_view(perm: Perm) -> Callable:
    """Decorate a view under /w/<ws>/: outsiders get 404 (no hint the workspace exists), members
    without the permission get 403. The permission is kept on the view for the matrix tests."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, ws: str, *args, **kwargs) -> HttpResponse:
            member = membership(request.user, ws)
            if member is None:
                raise Http404
            if not member.can(perm):
                raise PermissionDenied
            typed = cast(WorkspaceRequest, request)
            typed.workspace = member.workspace
            typed.member = member
            if request.session.get(SESSION_KEY) != ws:  # a write only when it changes
                request.session[SESSION_KEY] = ws
            return view(typed, *args, **kwargs)

        guarded = login_required(wrapper)
        guarded.kalrav_perm = perm  # type: ignore[attr-defined]
        return guarded

    return decorate
