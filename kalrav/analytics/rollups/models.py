"""Rollups: what the dashboards read instead of the readings. Readings (PostMetric,
ChannelMetric) grow by millions of rows and keep every reading of every figure; a dashboard only
needs each post's newest figures and their sums per channel and day (or hour).

Every post figure is counted on the day and hour the post was *published*: "impressions on 3 May"
means the impressions of the posts published on 3 May, as read most recently. So a period's totals
are what that period's posts achieved, and comparing two periods compares like with like.

Names starting with "@" are Kalrav's own sums (see rollups.services.DERIVED); every other metric
is the network's own name for its figure.
"""

from __future__ import annotations

from django.db import models

from kalrav.channels.models import Channel
from kalrav.publishing.models import Post, Variant
from kalrav.workspaces.models import Workspace


class PostFigures(models.Model):
    """A published variant's newest value of each figure, with what the filters need copied from
    its post (campaign, tags, language), so top and bottom posts are one indexed query."""

    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=32)
    language = models.CharField(max_length=8, blank=True)
    campaign = models.CharField(max_length=120, blank=True)
    # "|summer|tea|": a tag filter is one LIKE on both SQLite and PostgreSQL.
    tags = models.CharField(max_length=1000, blank=True)
    published_at = models.DateTimeField()
    day = models.DateField(help_text="the day of publication in the workspace's time zone")
    values = models.JSONField(default=dict)
    # When each value was read (unix seconds), so an older reading never replaces a newer one.
    read_at = models.JSONField(default=dict)
    engagements = models.FloatField(default=0)
    impressions = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "day"], name="post_figures_ws_day"),
            models.Index(fields=["channel", "day"], name="post_figures_channel_day"),
            models.Index(fields=["channel", "published_at"], name="post_figures_channel_time"),
        ]

    def __str__(self) -> str:
        return f"figures of variant {self.variant_id}"


class ChannelDay(models.Model):
    """The sum of a figure over the posts a channel published on a day (workspace zone)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    metric = models.CharField(max_length=32)
    value = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "metric", "day"], name="one_channel_day_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} on {self.day} of channel {self.channel_id}"


class ChannelHour(models.Model):
    """The same by the hour of publication (UTC hour start): the last week's curve."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    metric = models.CharField(max_length=32)
    value = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "metric", "hour"], name="one_channel_hour_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} at {self.hour} of channel {self.channel_id}"


class AudienceDay(models.Model):
    """A channel-wide figure (followers) as last read on a day: audience growth."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    metric = models.CharField(max_length=32)
    value = models.FloatField()
    measured_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "metric", "day"], name="one_audience_day_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} on {self.day} of channel {self.channel_id}"
