"""Alert pages: the list of alerts with the rules that fire them, and the crisis page of one
alert, where the team sees its mentions with their sentiment, assigns it, sends mentions to the
inbox to answer them, and acknowledges and resolves it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.listening import services as listening
from kalrav.listening.alerts import services
from kalrav.listening.alerts.forms import AlertRuleForm
from kalrav.listening.alerts.models import Alert, AlertRule, AlertState
from kalrav.listening.models import Mention
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import MATRIX, Perm

SENTIMENTS = ("negative", "neutral", "positive")


@workspace_view(Perm.LISTENING_VIEW)
def alert_list(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    form = None
    if request.member.can(Perm.LISTENING_EDIT):
        form = AlertRuleForm(
            request.POST if request.method == "POST" else None, workspace=workspace
        )
    elif request.method == "POST":
        request.member.require(Perm.LISTENING_EDIT)
    if request.method == "POST" and form is not None and form.is_valid():
        services.save_rule(request.member, Actor(user=request.user), form.save(commit=False))
        messages.success(request, _("Alert rule saved."))
        return redirect("listening_alerts:alerts", ws=workspace.slug)
    alerts = Alert.objects.filter(workspace=workspace).select_related("monitor", "assignee")[:100]
    rules = AlertRule.objects.filter(workspace=workspace).select_related("monitor", "room")
    return render(
        request,
        "listening/alerts/list.html",
        {"alerts": alerts, "rules": rules, "form": form, "nav": "listening", "insight": "alerts"},
    )


@require_POST
@workspace_view(Perm.LISTENING_EDIT)
def rule_delete(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id, workspace=request.workspace)
    services.delete_rule(request.member, Actor(user=request.user), rule)
    messages.success(request, _("Alert rule removed."))
    return redirect("listening_alerts:alerts", ws=request.workspace.slug)


@workspace_view(Perm.LISTENING_VIEW)
def crisis(request: WorkspaceRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(
        Alert.objects.select_related("monitor", "rule", "assignee"),
        pk=alert_id,
        workspace=request.workspace,
    )
    sentiment = request.GET.get("sentiment", "")
    if sentiment not in SENTIMENTS:
        sentiment = ""
    mentions = services.mentions_of(alert, sentiment)
    team = Member.objects.filter(
        workspace=request.workspace, role__in=MATRIX[Perm.INBOX_REPLY]
    ).select_related("user")
    return render(
        request,
        "listening/alerts/crisis.html",
        {
            "alert": alert,
            "mentions": mentions,
            "sentiment": sentiment,
            "sentiments": SENTIMENTS,
            "team": team,
            "states": AlertState,
            "can_work": request.member.can(Perm.INBOX_REPLY),
            "nav": "listening",
            "insight": "alerts",
        },
    )


def _alert(request: WorkspaceRequest, alert_id: int) -> Alert:
    return get_object_or_404(Alert, pk=alert_id, workspace=request.workspace)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def alert_assign(request: WorkspaceRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    chosen = request.POST.get("assignee", "")
    member = None
    if chosen:
        member = get_object_or_404(
            Member,
            workspace=request.workspace,
            user_id=chosen if chosen.isdigit() else 0,
            role__in=MATRIX[Perm.INBOX_REPLY],
        )
    services.assign(request.member, Actor(user=request.user), alert, member)
    messages.success(request, _("Assigned.") if member else _("Unassigned."))
    return redirect("listening_alerts:alert", ws=request.workspace.slug, alert_id=alert.pk)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def alert_state(request: WorkspaceRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    state = request.POST.get("state", "")
    if state not in AlertState.values:
        messages.error(request, _("Choose a state."))
    else:
        services.set_state(request.member, Actor(user=request.user), alert, state)
        messages.success(request, _("Alert updated."))
    return redirect("listening_alerts:alert", ws=request.workspace.slug, alert_id=alert.pk)


@require_POST
@workspace_view(Perm.INBOX_REPLY)
def alert_mention_inbox(request: WorkspaceRequest, alert_id: int, mention_id: int) -> HttpResponse:
    """Send one of the alert's mentions to the inbox, where the team answers it."""
    alert = _alert(request, alert_id)
    mention = get_object_or_404(
        Mention.objects.select_related("source"), pk=mention_id, workspace=request.workspace
    )
    try:
        conversation = listening.send_to_inbox(mention)
    except listening.NoChannel as error:
        messages.error(request, str(error))
        return redirect("listening_alerts:alert", ws=request.workspace.slug, alert_id=alert.pk)
    if conversation.answer_on_source:
        messages.success(request, listening.sent_on_source())
    else:
        messages.success(request, _("Sent to the inbox: answer it there."))
    return redirect(
        "inbox:conversation", ws=request.workspace.slug, conversation_id=conversation.pk
    )
