"""Pages for teams and routing: the routing page (teams and rules), a team's page, and
handing a conversation to a team (and retrying a hand-off that failed)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels.services import networks as channel_networks
from kalrav.hooks.models import Endpoint
from kalrav.inbox.models import Conversation, Handoff, RoutingRule, Team
from kalrav.inbox.teams import handoff, services
from kalrav.inbox.teams.forms import RuleForm, TeamEditForm, TeamForm
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import MATRIX, Perm


def _hours_text(hours: dict) -> str:
    return "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in windows) for day, windows in hours.items()
    )


@workspace_view(Perm.WORKSPACE_EDIT)
def team(request: WorkspaceRequest, team_id: int) -> HttpResponse:
    member: Member = request.member
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
            services.update_team(
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
def hand_off(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    member: Member = request.member
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
def handoff_retry(request: WorkspaceRequest, handoff_id: int) -> HttpResponse:
    member: Member = request.member
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


@workspace_view(Perm.INBOX_VIEW)
def routing(request: WorkspaceRequest) -> HttpResponse:
    """Teams and the ordered rules that route new conversations to them."""
    member: Member = request.member
    teams = Team.objects.filter(workspace=member.workspace)
    networks = channel_networks()
    team_form = TeamForm(
        request.POST if request.POST.get("form") == "team" else None, prefix="team"
    )
    rule_form = RuleForm(
        request.POST if request.POST.get("form") == "rule" else None,
        teams=teams,
        networks=networks,
        prefix="rule",
    )
    if request.method == "POST":
        if not member.can(Perm.WORKSPACE_EDIT):
            raise PermissionDenied
        form = team_form if request.POST.get("form") == "team" else rule_form
        if form.is_valid():
            try:
                if form is team_form:
                    services.create_team(member, Actor(user=request.user), **form.cleaned_data)
                else:
                    services.create_rule(member, Actor(user=request.user), **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Saved."))
                return redirect("inbox:routing", ws=member.workspace.slug)
    context = {
        "teams": teams,
        "rules": RoutingRule.objects.filter(workspace=member.workspace).select_related("team"),
        "team_form": team_form,
        "rule_form": rule_form,
        "nav": "inbox",
    }
    status = 400 if (team_form.errors or rule_form.errors) else 200
    return render(request, "inbox/routing.html", context, status=status)


@require_POST
@workspace_view(Perm.WORKSPACE_EDIT)
def rule_delete(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(RoutingRule, pk=rule_id, workspace=member.workspace)
    services.delete_rule(member, Actor(user=request.user), rule_id)
    messages.success(request, _("Rule deleted."))
    return redirect("inbox:routing", ws=member.workspace.slug)
