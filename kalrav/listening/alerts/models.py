"""Alert rules on a monitor, the alerts they fire, and each alert's deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.workspaces.models import Workspace

# Listening's own models are named by label ("listening.Monitor"): kalrav.listening.models imports
# this module to register it, so importing that one here would make a circle.


class AlertKind(models.TextChoices):
    SPIKE = "spike", _("Volume spike")
    NEGATIVE_SHARE = "negative_share", _("Negative share")
    NEW_TERM = "new_term", _("New term")


class AlertRule(models.Model):
    """What to watch on a monitor and whom to tell. `min_count` means mentions in the window for
    a spike and a negative share, and uses of the term in an hour for a new term."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    monitor = models.ForeignKey(
        "listening.Monitor",
        verbose_name=_("monitor"),
        on_delete=models.CASCADE,
        related_name="alert_rules",
    )
    kind = models.CharField(
        _("type"), max_length=16, choices=AlertKind.choices, default=AlertKind.SPIKE
    )
    is_active = models.BooleanField(_("active"), default=True)
    min_count = models.PositiveIntegerField(_("at least this many mentions"), default=10)
    negative_share = models.FloatField(_("negative share above"), default=0.4)
    cooldown_minutes = models.PositiveIntegerField(_("quiet time after an alert"), default=180)
    notify_in_app = models.BooleanField(_("in Kalrav"), default=True)
    emails = models.TextField(_("email addresses"), blank=True)
    notify_webhook = models.BooleanField(_("signed webhook"), default=False)
    room = models.ForeignKey(
        Channel,
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The claim that makes one episode one alert: a worker fires only by moving this forward in
    # one conditional UPDATE, so two workers seeing the same spike never both fire.
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["monitor_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.monitor_id}"

    @property
    def email_list(self) -> list[str]:
        return [e.strip() for e in self.emails.replace(";", ",").split(",") if e.strip()]


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Alert(models.Model):
    """One firing of a rule: the mentions it gathers are the monitor's from `started_at` to
    `ended_at` (still growing while it is open), or those holding `term` for a new term."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    monitor = models.ForeignKey(
        "listening.Monitor", on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    started_at = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    window_minutes = models.PositiveIntegerField(default=60)
    count = models.PositiveIntegerField(default=0)
    # All the monitor's mentions in the window (a negative share's denominator).
    total = models.PositiveIntegerField(default=0)
    expected = models.FloatField(default=0)
    term = models.CharField(max_length=100, blank=True)
    summary = models.TextField(blank=True)
    # A spike on a monitor with less than a week of history: fired on the rule's minimum count.
    without_baseline = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-fired_at", "-id"]
        indexes = [models.Index(fields=["workspace", "fired_at"], name="alerts_by_time")]

    def __str__(self) -> str:
        return self.summary or f"{self.kind} {self.pk}"

    def describe(self) -> str:
        """The summary in the reader's language (`summary` keeps it as it was sent)."""
        if self.kind == AlertKind.SPIKE:
            said = gettext(
                "%(count)d mentions in %(minutes)d minutes, about %(expected)s expected"
            ) % {
                "count": self.count,
                "minutes": self.window_minutes,
                "expected": number_format(self.expected, 1),
            }
            if self.without_baseline:
                said += " (" + gettext("no seasonal baseline yet: fired on the minimum count") + ")"
            return said
        if self.kind == AlertKind.NEGATIVE_SHARE:
            return gettext("%(percent)d%% of the last hour's %(total)d mentions are negative") % {
                "percent": round(100 * self.count / max(self.total, 1)),
                "total": self.total,
            }
        return gettext(
            "“%(term)s” appeared %(count)d times this hour, never in the last 30 days"
        ) % {
            "term": self.term,
            "count": self.count,
        }


class Target(models.TextChoices):
    EMAIL = "email", _("Email")
    ROOM = "room", _("Room")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertDelivery(models.Model):
    """An alert sent by email or to a room. In-app notices are written with the alert, webhooks
    by Kalrav's outgoing webhooks; these two need a worker and a claim (see `delivery`)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    target = models.CharField(max_length=8, choices=Target.choices)
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "target"], name="listening_alert_target_once")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.target} ({self.state})"


class AlertNotice(models.Model):
    """An alert in a member's notification centre."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notices")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "workspace", "read_at"], name="alert_unread_notices")
        ]

    def __str__(self) -> str:
        return f"alert {self.alert_id} for {self.user_id}"
