"""What analytics keeps: tracked links and their clicks, and the conversions a brand's site
reports (registrations, calls, sales), attributed to the click that brought the visitor."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.publishing.models import Post, Variant
from kalrav.workspaces.models import Workspace

CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/l/I


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def new_click_id() -> str:
    return secrets.token_urlsafe(12)


class TrackedLink(models.Model):
    """A short link Kalrav serves at /l/<code>, leading to `destination` (the brand's address with
    the UTM parameters of the post, network and campaign added)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracked_links"
    )
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracked_links"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.CharField(max_length=120, blank=True)
    code = models.CharField(max_length=16, unique=True, default=new_code)
    target = models.URLField(_("address"), max_length=2000)
    destination = models.URLField(max_length=2600)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "target"], name="one_link_per_variant_target"
            )
        ]

    def __str__(self) -> str:
        return f"/l/{self.code}"


class Click(models.Model):
    """One visit through a tracked link. Bots and link previews (a network fetching the page to
    draw its card, a mail scanner) are kept, marked, and left out of every count."""

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="clicks")
    click_id = models.CharField(max_length=24, unique=True, default=new_click_id)
    at = models.DateTimeField(default=timezone.now)
    # A daily salted hash of address and browser: counts unique visitors without keeping either.
    visitor = models.CharField(max_length=32)
    automated = models.BooleanField(default=False)
    referrer_host = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["link", "at"], name="clicks_by_link_time")]

    def __str__(self) -> str:
        return f"click {self.click_id}"


class ConversionKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    CALL = "call", _("Call")
    SALE = "sale", _("Sale")
    LEAD = "lead", _("Lead")


class ConversionSource(models.TextChoices):
    SERVER = "server", _("Brand's server (signed)")
    BROWSER = "browser", _("Brand's web page (script)")


class ConversionKey(models.Model):
    """The secret a brand's server signs its conversion reports with."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    secret = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"conversion key of workspace {self.workspace_id}"


class Conversion(models.Model):
    """A registration, call, sale or lead the brand's site reported, attributed to the click that
    brought the visitor when it came within the attribution window."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ConversionKind.choices)
    event_id = models.CharField(max_length=120, help_text="the brand's own id: a repeat is refused")
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    source = models.CharField(max_length=8, choices=ConversionSource.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    click = models.ForeignKey(
        Click, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversions"
    )
    link = models.ForeignKey(
        TrackedLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversions"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversions"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "event_id"], name="one_conversion_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class Reading(models.Model):
    """One reading of one figure, as the network names it ("likes", "reposts", "replies",
    "views", "followers"…). Readings are added, never overwritten: the history is the time series
    the dashboards and the best time to post are computed from."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=32)
    value = models.FloatField()
    measured_at = models.DateTimeField()

    class Meta:
        abstract = True


class PostMetric(Reading):
    """A reading of what a published variant achieved."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="metrics")

    class Meta:
        indexes = [
            models.Index(fields=["variant", "metric", "measured_at"], name="post_metric_series"),
            models.Index(fields=["channel", "measured_at"], name="post_metric_by_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} of variant {self.variant_id}"


class ChannelMetric(Reading):
    """A reading of a channel-wide figure, such as its followers: audience growth over time."""

    class Meta:
        indexes = [
            models.Index(fields=["channel", "metric", "measured_at"], name="channel_metric_series")
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} of channel {self.channel_id}"


class MetricsSchedule(models.Model):
    """When a published variant's figures are read next: often while the post is young, rarely
    later, never after COLLECT_FOR (see collection.schedule)."""

    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="+")
    next_at = models.DateTimeField(db_index=True)
    last_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"metrics of variant {self.variant_id} at {self.next_at}"


# Sub-features keep their models in their own folders; Django finds them through this module.
from kalrav.analytics.campaigns.models import Campaign, GoalMetric  # noqa: E402, F401
from kalrav.analytics.reports.models import ScheduledReport  # noqa: E402, F401
from kalrav.analytics.rollups.models import (  # noqa: E402, F401
    AudienceDay,
    ChannelDay,
    ChannelHour,
    PostFigures,
)
