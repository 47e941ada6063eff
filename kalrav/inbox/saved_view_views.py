"""Saving the list's filters as a named view, renaming, sharing and deleting it, and the
sidebar that lists the views with their counts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.inbox import saved_views
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def _list(member: Member, query: str = "") -> HttpResponse:
    url = reverse("inbox:list", kwargs={"ws": member.workspace.slug})
    return redirect(f"{url}?{query}" if query else url)


@workspace_view(Perm.INBOX_VIEW)
def views(request: HttpRequest) -> HttpResponse:
    """GET: the sidebar (htmx refreshes it; the page's URL says which filters are on screen).
    POST: save the filters on screen as a view."""
    member: Member = request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        filters = saved_views.clean_filters(request.POST.get("query", ""))
        try:
            saved = saved_views.save_view(
                member,
                Actor(user=request.user),
                name=request.POST.get("name", ""),
                filters=filters,
                shared=request.POST.get("shared") == "on",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _list(member, saved_views.querystring(filters))
        messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
        return _list(member, saved_views.querystring(saved.filters))
    current = getattr(request, "htmx", None) and request.htmx.current_url  # type: ignore[attr-defined]
    return render(request, "inbox/_views_sidebar.html", {"current_url": current or ""})


def _change(request: HttpRequest, view_id: int, action) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    try:
        done = action(member, Actor(user=request.user))
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return _list(member, request.POST.get("query", ""))


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def view_change(request: HttpRequest, view_id: int) -> HttpResponse:
    name = request.POST.get("name")
    shared = request.POST.get("shared") == "on" if "shared_shown" in request.POST else None

    def change(member, actor):
        saved_views.change_view(member, actor, view_id, name=name, shared=shared)
        return _("View saved.")

    return _change(request, view_id, change)


@require_POST
@workspace_view(Perm.INBOX_VIEW)
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    def delete(member, actor):
        saved_views.delete_view(member, actor, view_id)
        return _("View deleted.")

    return _change(request, view_id, delete)
