"""Resolving the workspace of a request and checking the member's role against the matrix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

SESSION_KEY = "kalrav_workspace"


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
            request.workspace = member.workspace  # type: ignore[attr-defined]
            request.member = member  # type: ignore[attr-defined]
            if request.session.get(SESSION_KEY) != ws:  # a write only when it changes
                request.session[SESSION_KEY] = ws
            return view(request, *args, **kwargs)

        guarded = login_required(wrapper)
        guarded.kalrav_perm = perm  # type: ignore[attr-defined]
        return guarded

    return decorate
