"""A report sent by e-mail on a schedule: weekly (on a weekday) or monthly (on a day of the
month), for the week or month just ended, in the report's own language and formats."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.channels.models import Channel
from kalrav.workspaces.models import Workspace


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


def validate_recipients(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give at least one e-mail address."))
    for address in value:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("%(address)s is not an e-mail address."), params={"address": address}
            ) from None


def validate_formats(value: object) -> None:
    if not isinstance(value, list) or not value or not set(value) <= {"pdf", "csv", "xlsx"}:
        raise ValidationError(_("Choose at least one format."))


class ScheduledReport(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    # Monday = 0, as Python counts; used by weekly reports.
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)
    # 1-28, so every month has the day; used by monthly reports.
    day = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    language = models.CharField(_("language"), max_length=8)
    formats = models.JSONField(_("formats"), default=list, validators=[validate_formats])
    recipients = models.JSONField(_("recipients"), default=list, validators=[validate_recipients])
    channels = models.ManyToManyField(
        Channel,
        blank=True,
        related_name="+",
        verbose_name=_("channels"),
        help_text=_("none: every channel"),
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The period last sent (its first day): a second worker that finds it claimed sends nothing.
    last_period = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name
