"""The mentions page: filters, pagination, bulk actions, CSV export of the filtered set, one
mention opened (which asks for its quality sentiment) and sending a mention to the inbox."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kalrav.listening import services
from kalrav.listening.forms import MentionFilters
from kalrav.listening.models import Mention, Monitor, Source
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm

PER_PAGE = 50


def _filtered(request: WorkspaceRequest) -> tuple[MentionFilters, QuerySet[Mention]]:
    workspace = request.workspace
    mentions = Mention.objects.filter(workspace=workspace)
    languages = (
        mentions.exclude(language="")
        .order_by("language")
        .values_list("language", flat=True)
        .distinct()
    )
    data = request.GET.copy()
    data.setdefault("period", "7")
    form = MentionFilters(
        data,
        monitors=Monitor.objects.filter(workspace=workspace),
        sources=Source.objects.filter(workspace=workspace).select_related("channel"),
        languages=list(languages[:50]),
    )
    found = mentions.filter(is_hidden=False)
    if form.is_valid():
        chosen = form.cleaned_data
        if chosen["monitor"]:
            found = found.filter(matches__monitor_id=chosen["monitor"])
        if chosen["source"]:
            found = found.filter(source_id=chosen["source"])
        if chosen["language"]:
            found = found.filter(language=chosen["language"])
        if chosen["sentiment"]:
            found = found.filter(sentiment=chosen["sentiment"])
        if chosen["period"]:
            found = found.filter(
                published_at__gte=timezone.now() - timedelta(days=int(chosen["period"]))
            )
        if chosen["q"]:
            found = found.filter(text__icontains=chosen["q"]) | found.filter(
                title__icontains=chosen["q"]
            )
    return form, found.order_by("-published_at", "-pk")


@workspace_view(Perm.LISTENING_VIEW)
def mention_list(request: WorkspaceRequest) -> HttpResponse:
    form, found = _filtered(request)
    page = Paginator(found.select_related("source"), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "total": page.paginator.count,
        "query": query.urlencode(),
        "nav": "listening",
    }
    template = "listening/_mention_rows.html" if request.htmx else "listening/mentions.html"
    return render(request, template, context)


@workspace_view(Perm.LISTENING_VIEW)
def mention_detail(request: WorkspaceRequest, mention_id: int) -> HttpResponse:
    mention = get_object_or_404(
        Mention.objects.select_related("source", "conversation"),
        pk=mention_id,
        workspace=request.workspace,
    )
    services.opened([mention])
    monitors = Monitor.objects.filter(matches__mention=mention)
    context = {
        "mention": mention,
        "monitors": monitors,
        "on_source": (
            mention.conversation.answer_on_source
            if mention.conversation
            else services.answered_on_source(mention)
        ),
        "nav": "listening",
    }
    return render(request, "listening/mention.html", context)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@workspace_view(Perm.LISTENING_VIEW)
def mention_export(request: WorkspaceRequest) -> StreamingHttpResponse:
    _form, found = _filtered(request)
    writer = csv.writer(_Echo())
    header = [
        "published_at", "network", "url", "author_handle", "author_name", "author_reach",
        "language", "sentiment", "sentiment_score", "quality_sentiment", "title", "text",
    ]  # fmt: skip

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)  # the mark makes spreadsheets read UTF-8
        for mention in found.iterator(chunk_size=1000):
            yield writer.writerow(
                [_cell(mention.published_at.isoformat())]
                + [_cell(getattr(mention, name)) for name in header[1:]]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="mentions-{stamp}.csv"'
    return response


def _back(request: WorkspaceRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("listening:mentions", ws=request.workspace.slug)


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def mention_bulk(request: WorkspaceRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("mention") if pk.isdigit()]
    chosen = Mention.objects.filter(workspace=request.workspace, pk__in=ids)
    action = request.POST.get("action")
    if not ids:
        messages.error(request, _("Select mentions first."))
        return _back(request)
    if action == "read":
        done = chosen.update(is_read=True)
    elif action == "hide":
        done = chosen.update(is_hidden=True)
    elif action == "delete":
        done = chosen.count()
        chosen.delete()
    elif action == "inbox":
        done = 0
        for mention in chosen.select_related("source"):
            try:
                services.send_to_inbox(mention)
            except services.NoChannel as error:
                messages.error(request, str(error))
                return _back(request)
            done += 1
    else:
        messages.error(request, _("Unknown action."))
        return _back(request)
    messages.success(
        request, ngettext("%(n)s mention changed.", "%(n)s mentions changed.", done) % {"n": done}
    )
    return _back(request)


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def mention_to_inbox(request: WorkspaceRequest, mention_id: int) -> HttpResponse:
    mention = get_object_or_404(
        Mention.objects.select_related("source"), pk=mention_id, workspace=request.workspace
    )
    try:
        conversation = services.send_to_inbox(mention)
    except services.NoChannel as error:
        messages.error(request, str(error))
        return redirect("listening:mention", ws=request.workspace.slug, mention_id=mention.pk)
    if conversation.answer_on_source:
        messages.success(request, services.sent_on_source())
    else:
        messages.success(request, _("Sent to the inbox; routing rules have been applied."))
    return redirect(
        "inbox:conversation", ws=request.workspace.slug, conversation_id=conversation.pk
    )
