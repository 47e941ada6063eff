"""A campaign: a name, dates, a goal and tags, grouping posts across networks.

A post belongs to a campaign when its campaign field names it (the explicit choice, made in the
composer) or when it shares one of the campaign's tags and was published within its dates.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import Workspace


class GoalMetric(models.TextChoices):
    IMPRESSIONS = "@impressions", _("Impressions")
    ENGAGEMENTS = "@engagements", _("Engagements")
    CLICKS = "clicks", _("Clicks by people")
    CONVERSIONS = "conversions", _("Conversions")


class Campaign(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The name is what posts, tracked links and the UTM campaign parameter carry.
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    goal = models.TextField(_("goal"), blank=True)
    goal_value = models.FloatField(_("numeric goal"), null=True, blank=True)
    goal_metric = models.CharField(
        _("goal measured in"), max_length=16, choices=GoalMetric.choices, blank=True
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_campaign_per_name"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.name
