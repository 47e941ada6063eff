"""Monitors: the list, writing one with a live preview of what it would have found, deleting."""

from __future__ import annotations

from datetime import timedelta

import regex
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.listening import services
from kalrav.listening.forms import MonitorForm
from kalrav.listening.models import Monitor
from kalrav.listening.query import QuerySyntaxError
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm

# One user-perceived character: a Bengali letter with its vowel sign is marked whole.
GRAPHEME = regex.compile(r"\X")


@workspace_view(Perm.LISTENING_VIEW)
def monitor_list(request: WorkspaceRequest) -> HttpResponse:
    since = timezone.now() - timedelta(days=7)
    monitors = Monitor.objects.filter(workspace=request.workspace).annotate(
        recent=Count("matches", filter=Q(matches__published_at__gte=since)),
        negative=Count(
            "matches",
            filter=Q(matches__published_at__gte=since, matches__sentiment="negative"),
        ),
    )
    return render(request, "listening/monitors.html", {"monitors": monitors, "nav": "listening"})


@workspace_view(Perm.LISTENING_EDIT)
def monitor_edit(request: WorkspaceRequest, monitor_id: int | None = None) -> HttpResponse:
    monitor = (
        get_object_or_404(Monitor, pk=monitor_id, workspace=request.workspace)
        if monitor_id
        else Monitor(workspace=request.workspace, created_by=request.member.user)
    )
    form = MonitorForm(request.POST or None, instance=monitor)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        transaction.on_commit(lambda: services.backfill_task(saved.pk))
        messages.success(
            request,
            _(
                "Monitor saved. The mentions of the last 30 days are matched against it now, "
                "new ones as they arrive."
            ),
        )
        return redirect("listening:monitors", ws=request.workspace.slug)
    context = {"form": form, "monitor": monitor, "nav": "listening"}
    return render(
        request, "listening/monitor_form.html", context, status=400 if form.errors else 200
    )


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def monitor_delete(request: WorkspaceRequest, monitor_id: int) -> HttpResponse:
    monitor = get_object_or_404(Monitor, pk=monitor_id, workspace=request.workspace)
    monitor.delete()
    messages.success(request, _("Monitor deleted, with its matches."))
    return redirect("listening:monitors", ws=request.workspace.slug)


def _pointed(error: QuerySyntaxError) -> dict[str, str]:
    """The query cut at the problem: before it, the character there (marked), and after."""
    before = error.query[: error.offset]
    cluster = GRAPHEME.match(error.query, error.offset)
    at = cluster.group() if cluster else ""
    return {
        "message": error.message,
        "before": before,
        "at": at,
        "after": error.query[error.offset + len(at) :],
        "column": str(len(GRAPHEME.findall(before)) + 1),
    }


@workspace_view(Perm.LISTENING_VIEW)
def preview(request: WorkspaceRequest) -> HttpResponse:
    """What the query being typed would have found over the last days (htmx, debounced)."""
    query = request.GET.get("query", "")
    context: dict[str, object] = {"query": query, "days": services.PREVIEW_DAYS}
    if query.strip():
        try:
            context["result"] = services.preview(request.workspace, query)
        except QuerySyntaxError as error:
            context["error"] = _pointed(error)
    return render(request, "listening/_preview.html", context)
