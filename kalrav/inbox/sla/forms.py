"""Forms of response targets: the workspace's targets, business hours and holidays, and the
report's date range; `check_hours` gives the API the same checks."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kalrav.inbox.sla.calendar import DAYS


class ReportRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes before the start."))
        if start and end and (end - start).days > 366:
            self.add_error("end", _("Choose at most a year."))
        return data


class WeekHoursWidget(forms.Textarea):
    """The text form of business hours (one line per day, for people who type fast), which the
    page's script turns into a week of pickers above it: a box and two times per day, written
    back into the text as they change. Day names and labels come in the reader's language."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            attrs={"rows": 7, "placeholder": "mon 09:00-18:00\ntue 09:00-13:00, 14:00-18:00"}
            | (attrs or {})
        )

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        labels = {
            "legend": gettext("Opening hours by day"),
            "open": gettext("Open"),
            "opens": gettext("Opens"),
            "closes": gettext("Closes"),
            "more": gettext("More than one opening a day: change it in the text below."),
        }
        attrs = (attrs or {}) | {
            "data-week-hours": json.dumps(
                {"days": DAYS, "names": [str(WEEKDAYS[n]) for n in range(7)], "labels": labels}
            )
        }
        return super().get_context(name, value, attrs)


class InboxSettingsForm(forms.Form):
    first_response_minutes = forms.IntegerField(
        label=_("First response target (minutes)"), min_value=1, max_value=7 * 24 * 60
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution target (minutes)"),
        min_value=1,
        max_value=90 * 24 * 60,
        initial=24 * 60,
        required=False,
        help_text=_("From the first message to resolved, in business hours."),
    )
    business_hours = forms.CharField(
        label=_("Business hours"),
        required=False,
        widget=WeekHoursWidget(),
        help_text=_(
            "One line per day: mon … sun, then one or more opening times. Empty: targets count every minute."
        ),
    )
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-25"}),
        help_text=_("One date per line (YYYY-MM-DD); targets do not count these days."),
    )

    def clean_business_hours(self) -> dict:
        from datetime import time

        hours: dict[str, list[list[str]]] = {}
        for number, line in enumerate(self.cleaned_data["business_hours"].splitlines(), start=1):
            if not line.strip():
                continue
            day, _sep, rest = line.strip().partition(" ")
            day = day.lower()[:3]
            if day not in DAYS or not rest.strip():
                raise forms.ValidationError(
                    _("Line %(n)d: start with a day (mon … sun), then times such as 09:00-18:00.")
                    % {"n": number}
                )
            windows = []
            for chunk in rest.split(","):
                start, _dash, end = chunk.strip().partition("-")
                try:
                    opens, closes = (
                        time.fromisoformat(start.strip()),
                        time.fromisoformat(end.strip()),
                    )
                except ValueError:
                    raise forms.ValidationError(
                        _("Line %(n)d: write times as 09:00-18:00.") % {"n": number}
                    ) from None
                if closes != time(0) and closes <= opens:
                    raise forms.ValidationError(
                        _("Line %(n)d: a window must close after it opens.") % {"n": number}
                    )
                windows.append([opens.strftime("%H:%M"), closes.strftime("%H:%M")])
            hours.setdefault(day, []).extend(windows)
        return hours

    def clean_holidays(self) -> list[str]:
        from datetime import date

        days = []
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            if line.strip():
                try:
                    days.append(date.fromisoformat(line.strip()).isoformat())
                except ValueError:
                    raise forms.ValidationError(
                        _("Line %(n)d: write a date as 2026-12-25.") % {"n": number}
                    ) from None
        return sorted(set(days))


def check_hours(hours: dict | None, holidays: list[str] | None) -> tuple[dict | None, list | None]:
    """Business hours and holidays given to the API, checked as the settings page checks them."""
    if hours is None and holidays is None:
        return None, None
    text = "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in windows)
        for day, windows in (hours or {}).items()
        if windows
    )
    form = InboxSettingsForm(
        {
            "first_response_minutes": 1,
            "business_hours": text,
            "holidays": "\n".join(holidays or []),
        }
    )
    if not form.is_valid():
        raise ValidationError({k: v for k, v in form.errors.items()})
    return (
        form.cleaned_data["business_hours"] if hours is not None else None,
        form.cleaned_data["holidays"] if holidays is not None else None,
    )
