"""Queue slots of a channel and recurring series of posts; imported by models.py so Django sees them.

Both are wall-clock times in the workspace's time zone, turned into UTC only when a variant is
scheduled (see services.py and recurrence.py), so that 09:30 stays 09:30 across daylight-saving changes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.workspaces.models import Workspace


class QueueSlot(models.Model):
    """One weekly time at which a channel's queue publishes (weekday 0 is Monday)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_slots")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    time = models.TimeField(_("time"))

    class Meta:
        ordering = ["channel", "weekday", "time"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "weekday", "time"], name="one_slot_per_time"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="queue_slot_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.weekday} {self.time:%H:%M}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Recurrence(models.Model):
    """A post that repeats. Occurrence dates are computed from the anchor (never from the previous
    occurrence), so a monthly series on the 31st that falls on 30 April returns to 31 May."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(_("repeats"), max_length=8, choices=Frequency.choices)
    interval = models.PositiveSmallIntegerField(
        _("every"), default=1, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    # The local date and wall-clock time of the occurrence at `anchor_index`; every other
    # occurrence is that many weeks or months away, at the same local time.
    anchor_date = models.DateField(_("starts on"))
    anchor_index = models.PositiveIntegerField(_("counted from"), default=0)
    local_time = models.TimeField(_("time"))
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    until = models.DateField(_("until"), null=True, blank=True)
    count = models.PositiveIntegerField(
        _("times in all"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("repeating"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.frequency} from {self.anchor_date} at {self.local_time:%H:%M}"


class Occurrence(models.Model):
    """A post's place in its series. The unique (series, index) pair is what makes creating the
    next occurrence idempotent: a signal delivered twice cannot make two."""

    recurrence = models.ForeignKey(Recurrence, on_delete=models.CASCADE, related_name="occurrences")
    index = models.PositiveIntegerField()
    post = models.OneToOneField(
        "publishing.Post", on_delete=models.CASCADE, related_name="occurrence"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recurrence", "index"]
        constraints = [
            models.UniqueConstraint(fields=["recurrence", "index"], name="one_post_per_occurrence")
        ]

    def __str__(self) -> str:
        return f"occurrence {self.index} of {self.recurrence_id}"
