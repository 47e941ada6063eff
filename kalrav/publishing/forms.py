from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.publishing.calendar_grid import VIEWS
from kalrav.publishing.models import VariantState

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


class CalendarFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    date = forms.DateField(required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *VariantState.choices],
    )

    def __init__(self, *args, channels, campaigns, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("All channels"))] + [  # type: ignore[attr-defined]
            (str(c.pk), c.name) for c in channels
        ]
        self.fields["campaign"].choices = [("", _("All campaigns"))] + [  # type: ignore[attr-defined]
            (c, c) for c in campaigns
        ]
        self.fields["tag"].choices = [("", _("All tags"))] + [(t, t) for t in tags]  # type: ignore[attr-defined]
        for name in ("channel", "campaign", "tag", "state"):
            self.fields[name].widget.attrs["data-autosubmit"] = ""


class PublishingSettingsForm(forms.Form):
    require_approval = forms.BooleanField(
        label=_("Require approval before anything is scheduled"), required=False
    )
    reapprove_after_edit = forms.BooleanField(
        label=_("Ask for approval again after a last-minute edit"), required=False
    )


class MediaUploadForm(forms.Form):
    file = forms.FileField(label=_("Image or video"))
    alt_text = forms.CharField(
        label=_("Alternative text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Describe the image for people who cannot see it; networks show this to screen readers."
        ),
    )


class AltTextForm(forms.Form):
    alt_text = forms.CharField(
        label=_("Alternative text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
