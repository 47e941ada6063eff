"""The reports page: a report on demand (viewed here, or as PDF, CSV or XLSX) and the reports
mailed on a schedule."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.analytics.reports import documents, schedule
from kalrav.analytics.reports.figures import Period, compute
from kalrav.analytics.reports.forms import OnDemandForm, ScheduledReportForm
from kalrav.analytics.reports.models import ScheduledReport
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor, record
from kalrav.workspaces.permissions import Perm


def _on_demand_form(request: WorkspaceRequest) -> OnDemandForm:
    workspace = request.workspace
    if "first" in request.GET:
        return OnDemandForm(request.GET, workspace=workspace)
    today = timezone.now().astimezone(ZoneInfo(workspace.time_zone)).date()
    period = schedule.preview_period(today, "weekly", workspace.time_zone)
    return OnDemandForm(
        initial={"first": period.first, "last": period.last, "language": workspace.language,
                 "format": "html"},
        workspace=workspace,
    )  # fmt: skip


@workspace_view(Perm.ANALYTICS_VIEW)
def reports(request: WorkspaceRequest) -> HttpResponse:
    context = {
        "form": _on_demand_form(request),
        "scheduled": ScheduledReport.objects.filter(workspace=request.workspace),
        "pdf_unavailable": documents.pdf_unavailable(),
        "can_manage": request.member.can(Perm.WORKSPACE_EDIT),
    }
    return render(request, "analytics/reports/list.html", context)


@workspace_view(Perm.ANALYTICS_VIEW)
def download(request: WorkspaceRequest) -> HttpResponse:
    form = OnDemandForm(request.GET, workspace=request.workspace)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("analytics:reports", ws=request.workspace.slug)
    data = form.cleaned_data
    kind, language = data["format"], data["language"]
    period = Period(data["first"], data["last"], request.workspace.time_zone)
    figures = compute(request.workspace, period, [c.pk for c in data["channels"]] or None)
    if kind == "html":
        return HttpResponse(documents.html(figures, language, browser=True))
    if kind == "pdf" and (reason := documents.pdf_unavailable()):
        messages.error(
            request, _("PDF is unavailable on this server: %(reason)s") % {"reason": reason}
        )
        return redirect("analytics:reports", ws=request.workspace.slug)
    response = HttpResponse(
        documents.render(figures, language, kind), content_type=documents.CONTENT_TYPES[kind]
    )
    response["Content-Disposition"] = f'attachment; filename="{documents.file_name(figures, kind)}"'
    return response


def _edit(request: WorkspaceRequest, report: ScheduledReport) -> HttpResponse:
    workspace = request.workspace
    form = ScheduledReportForm(
        request.POST if request.method == "POST" else None, instance=report, workspace=workspace
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            made = report.pk is None
            saved = form.save(commit=False)
            saved.workspace = workspace
            saved.save()
            saved.channels.set(form.cleaned_data["channels"])
            record(
                workspace,
                Actor(user=request.user),
                "report.created" if made else "report.changed",
                saved,
                {"recipients": saved.recipients, "frequency": saved.frequency},
            )
        messages.success(request, _("The report is saved."))
        return redirect("analytics:reports", ws=workspace.slug)
    return render(request, "analytics/reports/form.html", {"form": form, "report": report})


@workspace_view(Perm.WORKSPACE_EDIT)
def create(request: WorkspaceRequest) -> HttpResponse:
    return _edit(request, ScheduledReport(workspace=request.workspace))


@workspace_view(Perm.WORKSPACE_EDIT)
def edit(request: WorkspaceRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(ScheduledReport, pk=report_id, workspace=request.workspace)
    return _edit(request, report)


@require_POST
@workspace_view(Perm.WORKSPACE_EDIT)
def delete(request: WorkspaceRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(ScheduledReport, pk=report_id, workspace=request.workspace)
    with transaction.atomic():
        record(request.workspace, Actor(user=request.user), "report.deleted", report)
        report.delete()
    messages.success(request, _("The report is deleted."))
    return redirect("analytics:reports", ws=request.workspace.slug)


@require_POST
@workspace_view(Perm.WORKSPACE_EDIT)
def send_now(request: WorkspaceRequest, report_id: int) -> HttpResponse:
    """The last full period, mailed now; the schedule is left as it is."""
    report = get_object_or_404(ScheduledReport, pk=report_id, workspace=request.workspace)
    period = schedule.last_full_period(report, timezone.now())
    schedule.send(report, period)
    record(request.workspace, Actor(user=request.user), "report.sent", report,
           {"recipients": report.recipients})  # fmt: skip
    messages.success(
        request,
        _("The report is sent to %(addresses)s.") % {"addresses": ", ".join(report.recipients)},
    )
    return redirect("analytics:reports", ws=request.workspace.slug)
