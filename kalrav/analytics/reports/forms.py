"""The forms of the reports page: a report on demand, and a scheduled report."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kalrav.analytics.reports.models import ScheduledReport, validate_recipients
from kalrav.channels.models import Channel
from kalrav.workspaces.models import Workspace

FORMAT_CHOICES = [("pdf", "PDF"), ("csv", "CSV"), ("xlsx", "XLSX")]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
LONGEST = timedelta(days=366)


def _channels(workspace: Workspace) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Channel.objects.filter(workspace=workspace, archived_at=None).order_by("name"),
        required=False,
        label=_("Channels"),
        help_text=_("None chosen: every channel."),
        widget=forms.CheckboxSelectMultiple,
    )


class OnDemandForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    format = forms.ChoiceField(
        label=_("Format"), choices=[("html", _("View here")), *FORMAT_CHOICES]
    )

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"] = _channels(workspace)

    def clean(self) -> dict:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last and (last < first or last - first > LONGEST):
            raise ValidationError(_("Choose a period of one day to a year, first day first."))
        return data


class RecipientsField(forms.CharField):
    """E-mail addresses, one a line or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    # A list where CharField gives a string: the field's value is the model's list of addresses.
    def to_python(self, value) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]

    def validate(self, value) -> None:
        validate_recipients(value)


class ScheduledReportForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(
        label=_("Formats"), choices=FORMAT_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    recipients = RecipientsField(
        label=_("Recipients"), help_text=_("E-mail addresses, one a line.")
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekday (weekly reports)"), choices=WEEKDAYS, coerce=int
    )
    day = forms.IntegerField(
        label=_("Day of the month (monthly reports)"), min_value=1, max_value=28
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = ScheduledReport
        fields = ["name", "frequency", "weekday", "day", "language", "formats", "recipients"]

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"] = _channels(workspace)
        if self.instance.pk:
            self.initial["channels"] = list(self.instance.channels.all())
        else:
            self.initial.setdefault("language", workspace.language)
            self.initial.setdefault("formats", ["pdf"])
