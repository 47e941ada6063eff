"""Pages for response-time targets: the workspace's targets and business hours, and the
response-time report (and its CSV)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kalrav.inbox.models import InboxSettings
from kalrav.inbox.sla import report as sla_report
from kalrav.inbox.sla import targets
from kalrav.inbox.sla.forms import InboxSettingsForm, ReportRangeForm
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def _report(request: WorkspaceRequest) -> tuple[ReportRangeForm, sla_report.Report | None]:
    member: Member = request.member
    form = ReportRangeForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    return form, sla_report.build(member.workspace, data.get("start"), data.get("end"))


@workspace_view(Perm.INBOX_REPORT)
def report(request: WorkspaceRequest) -> HttpResponse:
    form, found = _report(request)
    titles = {
        "team": _("By team"),
        "member": _("By member (assignee)"),
        "network": _("By network"),
        "week": _("By ISO week (received)"),
    }
    sections = []
    if found is not None:
        sections = [(titles[d], found.groups[d]) for d in sla_report.DIMENSIONS]
        if not request.GET:
            form = ReportRangeForm(initial={"start": found.start, "end": found.end})
    context = {
        "form": form,
        "report": found,
        # Not "sections": that name is the main navigation's (kalrav.web.context).
        "groups": sections,
        "query": request.GET.urlencode(),
        "nav": "inbox",
    }
    return render(request, "inbox/sla_report.html", context, status=400 if found is None else 200)


@workspace_view(Perm.INBOX_REPORT)
def report_csv(request: WorkspaceRequest) -> HttpResponse:
    _form, found = _report(request)
    if found is None:
        return HttpResponse(_("Choose a valid date range."), status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="response-times-{found.start}-{found.end}.csv"'
    )
    writer = csv.writer(response)
    for row in sla_report.csv_rows(found):
        writer.writerow(row)
    return response


@workspace_view(Perm.WORKSPACE_EDIT)
def inbox_settings(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    current = InboxSettings.for_workspace(member.workspace.pk)
    hours = "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in windows)
        for day, windows in current.business_hours.items()
    )
    initial = {
        "first_response_minutes": current.first_response_minutes,
        "resolution_minutes": current.resolution_minutes,
        "business_hours": hours,
        "holidays": "\n".join(current.holidays),
    }
    form = InboxSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        targets.update_settings(member, Actor(user=request.user), **form.cleaned_data)
        messages.success(request, _("Response-time targets saved. New conversations use them."))
        return redirect("inbox:settings", ws=member.workspace.slug)
    return render(
        request,
        "inbox/settings.html",
        {"form": form, "nav": "inbox"},
        status=400 if form.errors else 200,
    )
