"""The composer's and the post page's forms."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class PostForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("For the calendar and the team; networks do not see it."),
    )
    text = forms.CharField(
        label=_("Master copy"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Each channel's variant starts from this; rewrite it for each network below."),
    )
    campaign = forms.CharField(label=_("Campaign"), max_length=120, required=False)
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False, help_text=_("Separate with commas.")
    )
    notes = forms.CharField(
        label=_("Internal notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only your team sees these."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), required=False, widget=forms.CheckboxSelectMultiple
    )
    media_ids = forms.MultipleChoiceField(label=_("Media"), required=False)

    def __init__(self, *args, channels, assets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [(str(c.pk), c.name) for c in channels]  # type: ignore[attr-defined]
        self.fields["media_ids"].choices = [(str(a.pk), str(a)) for a in assets]  # type: ignore[attr-defined]

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("title", "text", "campaign", "tags", "notes")
        }


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        input_formats=[LOCAL_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )

    def __init__(self, *args, zone: zoneinfo.ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_scheduled_at(self) -> datetime:
        value = self.cleaned_data["scheduled_at"]
        # The field reads the text in the current time zone; what was meant is the workspace's.
        return value.replace(tzinfo=None).replace(tzinfo=self.zone)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
