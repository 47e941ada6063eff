"""Pages for response-time targets: the report (and its CSV), a team's page, and hand-offs
from a conversation."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.hooks.models import Endpoint
from kalrav.inbox import handoff, sla_report, teams
from kalrav.inbox.models import Conversation, Handoff, Team
from kalrav.inbox.sla_forms import ReportRangeForm, TeamEditForm
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import MATRIX, Perm


def _report(request: HttpRequest) -> tuple[ReportRangeForm, sla_report.Report | None]:
    member: Member = request.member  # type: ignore[attr-defined]
    form = ReportRangeForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    return form, sla_report.build(member.workspace, data.get("start"), data.get("end"))


@workspace_view(Perm.INBOX_REPORT)
def report(request: HttpRequest) -> HttpResponse:
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
def report_csv(request: HttpRequest) -> HttpResponse:
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


def _hours_text(hours: dict) -> str:
    return "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in windows) for day, windows in hours.items()
    )


@workspace_view(Perm.WORKSPACE_EDIT)
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    found = get_object_or_404(Team, pk=team_id, workspace=member.workspace)
    people = Member.objects.filter(
        workspace=member.workspace, role__in=list(MATRIX[Perm.INBOX_VIEW])
    ).select_related("user")
    endpoints = Endpoint.objects.filter(workspace=member.workspace)
    initial = {
        "name": found.name,
        "email": found.email,
        "handoff_endpoint": str(found.handoff_endpoint_id or ""),
        "members": [str(pk) for pk in found.members.values_list("pk", flat=True)],
        "first_response_minutes": found.first_response_minutes,
        "resolution_minutes": found.resolution_minutes,
        "time_zone": found.time_zone,
        "business_hours": _hours_text(found.business_hours),
        "holidays": "\n".join(found.holidays),
    }
    form = TeamEditForm(request.POST or None, initial=initial, endpoints=endpoints, people=people)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        chosen = data.pop("handoff_endpoint")
        member_ids = [int(pk) for pk in data.pop("members")]
        if data.get("resolution_minutes") is None:
            data["resolution_minutes"] = found.resolution_minutes
        try:
            teams.update_team(
                member,
                Actor(user=request.user),
                found.pk,
                member_ids=member_ids,
                handoff_endpoint_id=int(chosen) if chosen else None,
                **data,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Team saved. Conversations handed to it from now on use its targets.")
            )
            return redirect("inbox:team", ws=member.workspace.slug, team_id=found.pk)
    context = {"team": found, "form": form, "nav": "inbox"}
    return render(request, "inbox/team.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def hand_off(request: HttpRequest, conversation_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    get_object_or_404(Conversation, pk=conversation_id, workspace=member.workspace)
    team_id = request.POST.get("team", "")
    try:
        done = handoff.hand_off(
            member,
            Actor(user=request.user),
            conversation_id,
            int(team_id) if team_id.isdigit() else 0,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Handed off: %(what)s.") % {"what": "; ".join(done)})
    return redirect("inbox:conversation", ws=member.workspace.slug, conversation_id=conversation_id)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def handoff_retry(request: HttpRequest, handoff_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    found = get_object_or_404(Handoff, pk=handoff_id, conversation__workspace=member.workspace)
    try:
        handoff.retry(member, Actor(user=request.user), found.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Trying the hand-off again."))
    return redirect(
        "inbox:conversation", ws=member.workspace.slug, conversation_id=found.conversation_id
    )
