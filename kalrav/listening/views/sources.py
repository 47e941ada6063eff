"""The sources page: each source's health, adding a feed or a public stream, OPML import, pause
and resume."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kalrav.channels import services as channels
from kalrav.listening.forms import FeedForm, OpmlForm
from kalrav.listening.models import Source, SourceKind, SourceState
from kalrav.listening.sources import health, network, streams
from kalrav.listening.sources.opml import OpmlError, import_opml
from kalrav.listening.tasks import fetch_source_task
from kalrav.nlp.services import stream_reading_is_native
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm


def _page(request: WorkspaceRequest, feed_form: FeedForm, opml_form: OpmlForm, status: int = 200):
    sources = list(Source.objects.filter(workspace=request.workspace).select_related("channel"))
    # Stream sources show the stream's health (last item, position age, reconnects) instead of
    # fetch times.
    rows = [
        (source, streams.health_of(source) if source.kind in streams.STREAM_KINDS else None)
        for source in sources
    ]
    context = {
        "sources": sources,
        "rows": rows,
        "streamable": [
            (channel, channels.network_info(channel.network).label)
            for channel in streams.streamable_channels(request.workspace.pk)
        ],
        "feed_form": feed_form,
        "opml_form": opml_form,
        "nav": "listening",
        "failing": sum(1 for s in sources if s.state == SourceState.FAILING),
        # Said only where it matters: a busy public stream read without the compiled reader.
        "portable_reading": any(stream for _, stream in rows) and not stream_reading_is_native(),
    }
    return render(request, "listening/sources.html", context, status=status)


@workspace_view(Perm.LISTENING_VIEW)
def source_list(request: WorkspaceRequest) -> HttpResponse:
    # Channels connected since the last visit start being searched now, not at the next run.
    network.ensure_network_sources(request.workspace.pk)
    return _page(request, FeedForm(workspace=request.workspace), OpmlForm())


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def feed_add(request: WorkspaceRequest) -> HttpResponse:
    form = FeedForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        return _page(request, form, OpmlForm(), status=400)
    source = Source.objects.create(
        workspace=request.workspace,
        kind=SourceKind.FEED,
        url=form.cleaned_data["url"],
        title=form.cleaned_data["title"],
    )
    fetch_source_task(source.pk)
    messages.success(request, _("Feed added; it is fetched now and every 15 minutes."))
    return redirect("listening:sources", ws=request.workspace.slug)


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def stream_add(request: WorkspaceRequest) -> HttpResponse:
    """Follow a connected channel's public stream (run by `kalrav listen`)."""
    wanted = request.POST.get("channel", "")
    channel = next(
        (c for c in streams.streamable_channels(request.workspace.pk) if str(c.pk) == wanted),
        None,
    )
    if channel is None:
        messages.error(request, _("That channel has no public stream to listen to."))
    else:
        streams.add_stream_source(request.workspace.pk, channel)
        messages.success(
            request,
            _("Listening to the public stream of %(channel)s. New posts with your monitors' "
              "words arrive within seconds.") % {"channel": channel},
        )  # fmt: skip
    return redirect("listening:sources", ws=request.workspace.slug)


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def opml_import(request: WorkspaceRequest) -> HttpResponse:
    back = redirect("listening:sources", ws=request.workspace.slug)
    form = OpmlForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the OPML file your feed reader exported."))
        return back
    try:
        result = import_opml(request.workspace, form.cleaned_data["file"].read())
    except OpmlError as error:
        messages.error(request, str(error))
        return back
    messages.success(
        request,
        ngettext("%(n)s feed added.", "%(n)s feeds added.", len(result.created))
        % {"n": len(result.created)}
        + (
            " " + _("%(n)s were already sources.") % {"n": result.already} if result.already else ""
        ),
    )
    for url, why in result.refused[:20]:
        messages.error(request, _("Not added: %(url)s: %(why)s") % {"url": url, "why": why})
    for source in result.created:
        fetch_source_task(source.pk)
    return back


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def source_state(request: WorkspaceRequest, source_id: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=source_id, workspace=request.workspace)
    action = request.POST.get("action")
    if action == "pause":
        health.pause(source)
        messages.success(request, _("Source paused."))
    elif action == "resume":
        health.resume(source)
        fetch_source_task(source.pk)
        messages.success(request, _("Source resumed; it is fetched now."))
    elif action == "delete":
        source.delete()
        messages.success(request, _("Source removed. Its mentions are kept."))
    return redirect("listening:sources", ws=request.workspace.slug)
