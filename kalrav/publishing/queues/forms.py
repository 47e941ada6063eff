from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from kalrav.publishing.queues import services
from kalrav.publishing.queues.models import Frequency

DAY_GROUPS = {"weekdays": range(5), "weekends": range(5, 7), "daily": range(7)}


class SlotTextForm(forms.Form):
    text = forms.CharField(
        label=_("Time slots"),
        required=False,
        max_length=2000,
        help_text=_("Such as “Mon-Fri 09:30, 13:00; Sat 11:00”. Leave empty to clear the queue."),
    )

    def clean_text(self) -> list[services.Slot]:
        return services.parse_slots(self.cleaned_data["text"])


class AddSlotForm(forms.Form):
    days = forms.ChoiceField(label=_("Days"))
    time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [  # type: ignore[attr-defined]
            ("weekdays", _("Monday to Friday")),
            ("daily", _("Every day")),
            ("weekends", _("Saturday and Sunday")),
            *[(str(n), WEEKDAYS[n]) for n in range(7)],
        ]

    def slots(self) -> list[services.Slot]:
        days = self.cleaned_data["days"]
        weekdays = DAY_GROUPS[days] if days in DAY_GROUPS else [int(days)]
        at = self.cleaned_data["time"].replace(second=0, microsecond=0)
        return [(d, at) for d in weekdays]


class RecurrenceForm(forms.Form):
    frequency = forms.ChoiceField(label=_("Repeats"), choices=Frequency.choices)
    interval = forms.IntegerField(label=_("Every"), min_value=1, max_value=52, initial=1)
    day_of_month = forms.IntegerField(
        label=_("On day"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_("Monthly only; a month without that day takes its last day."),
    )
    starts_on = forms.DateField(
        label=_("First date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the post's planned date."),
    )
    at = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Empty: the post's planned time."),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    count = forms.IntegerField(label=_("Times in all"), min_value=1, max_value=1000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("frequency") == Frequency.WEEKLY and data.get("day_of_month"):
            raise ValidationError(
                {"day_of_month": _("A day of the month is for monthly posts only.")}
            )
        return data

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields} | {
            "interval": self.cleaned_data.get("interval") or 1
        }
