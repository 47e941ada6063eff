"""Campaign pages: the list with each campaign's progress, and a form to make or change one."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.analytics.campaigns import services
from kalrav.analytics.campaigns.models import Campaign, GoalMetric
from kalrav.analytics.dashboards import queries
from kalrav.publishing import workspace_settings
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor, record
from kalrav.workspaces.permissions import Perm


class CampaignForm(forms.ModelForm):
    tags_text = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy(
            "Posts carrying one of these tags and published within the dates join."
        ),
    )

    class Meta:
        model = Campaign
        fields = ["name", "starts_on", "ends_on", "goal", "goal_value", "goal_metric"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "goal": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if self.instance.pk:
            self.fields["tags_text"].initial = " ".join(self.instance.tags)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The campaign ends before it starts."))
        if (cleaned.get("goal_value") is None) != (not cleaned.get("goal_metric")):
            self.add_error(
                "goal_value", _("A numeric goal needs both a number and what it counts.")
            )
        name = (cleaned.get("name") or "").strip()
        clash = Campaign.objects.filter(workspace=self.workspace, name=name)
        if name and clash.exclude(pk=self.instance.pk).exists():
            self.add_error("name", _("Another campaign has this name."))
        return cleaned

    def save(self, commit: bool = True) -> Campaign:
        campaign = super().save(commit=False)
        campaign.workspace = self.workspace
        campaign.name = campaign.name.strip()
        campaign.tags = services.clean_tags(self.cleaned_data.get("tags_text") or "")
        if commit:
            campaign.save()
        return campaign


def _progress(campaign: Campaign, zone) -> dict:
    filters = queries.Filters(
        workspace_id=campaign.workspace_id,
        zone=zone,
        start=campaign.starts_on,
        end=campaign.ends_on,
        campaign=campaign,
    )
    totals = queries.totals(filters)
    reached = None
    if campaign.goal_metric and campaign.goal_value:
        key = {
            GoalMetric.IMPRESSIONS: "impressions",
            GoalMetric.ENGAGEMENTS: "engagements",
            GoalMetric.CLICKS: "clicks",
            GoalMetric.CONVERSIONS: "conversions",
        }[GoalMetric(campaign.goal_metric)]
        reached = min(100, round(100 * (totals[key] or 0) / campaign.goal_value))
        totals["goal_so_far"] = totals[key]
    return {"campaign": campaign, "totals": totals, "reached": reached}


@workspace_view(Perm.ANALYTICS_VIEW)
def campaign_list(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.member.workspace
    zone = workspace_settings.zone_of(workspace)
    rows = [_progress(c, zone) for c in Campaign.objects.filter(workspace=workspace)]
    return render(
        request,
        "analytics/campaigns.html",
        {"rows": rows, "nav": "analytics", "can_edit": request.member.can(Perm.CAMPAIGNS_EDIT)},
    )


@workspace_view(Perm.CAMPAIGNS_EDIT)
def campaign_edit(request: WorkspaceRequest, campaign_id: int | None = None) -> HttpResponse:
    workspace = request.member.workspace
    campaign = (
        get_object_or_404(Campaign, pk=campaign_id, workspace=workspace) if campaign_id else None
    )
    form = CampaignForm(request.POST or None, instance=campaign, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        record(
            workspace,
            Actor(user=request.user),
            "campaign.changed" if campaign else "campaign.created",
            saved,
            {"name": saved.name},
        )
        return redirect("analytics:campaigns", ws=workspace.slug)
    return render(
        request,
        "analytics/campaign_form.html",
        {"form": form, "campaign": campaign, "nav": "analytics"},
        status=400 if request.method == "POST" else 200,
    )
